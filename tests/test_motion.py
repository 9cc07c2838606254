import numpy as np
import pytest

from facespeak.errors import MotionFileError
from facespeak.motion.head import HeadStyle, blink_channel, head_channels
from facespeak.motion.track import (MotionOptions, build_motion_track, frame_count,
                                    motion_from_json, motion_to_json)
from facespeak.motion.visemes import mouth_channels, split_diphthongs, viseme_for
from facespeak.types import MOTION_CHANNELS, Phone, Word

from .conftest import make_speech


def test_viseme_table_closes_bilabials_and_opens_vowels():
    for sym in ("p", "b", "m", "pʰ"):
        assert viseme_for(sym).lip_press == 1.0
    assert viseme_for("ɑ").jaw_open > 0.7
    assert viseme_for("uː").lip_round == 1.0
    assert viseme_for("").jaw_open == 0.0
    assert viseme_for("l").tongue == 1.0


def test_diphthongs_split_in_two():
    parts = split_diphthongs((Phone("aɪ", 1.0, 1.2),))
    assert [p.symbol for p in parts] == ["a", "ɪ"]
    assert parts[0].end_s == pytest.approx(1.12) and parts[1].end_s == 1.2


def test_bilabial_middle_frames_are_closed(papa_speech):
    track = build_motion_track(papa_speech, MotionOptions(fps=25, mouth_lead_s=0.0))
    for ph in papa_speech.phones:
        if ph.symbol in ("p", "b", "m"):
            i = round((ph.start_s + ph.end_s) / 2 * 25)
            assert track.channels["lip_press"][i] > 0.95, ph
        if ph.symbol in ("a", "ɑ"):
            i = round((ph.start_s + ph.end_s) / 2 * 25)
            assert track.channels["jaw_open"][i] > 0.4, ph


def test_forced_closures_meet_and_part_over_a_frame():
    from facespeak.motion.visemes import EDGE_PRESS, force_bilabial_closures

    channels = {"lip_press": np.zeros(20, np.float32)}
    force_bilabial_closures(channels, (Phone("a", 0.0, 0.2), Phone("p", 0.2, 0.36),
                                       Phone("a", 0.36, 0.8)), fps=25)
    press = channels["lip_press"]
    assert press[5:10].tolist() == [1.0] * 5  # the whole phone, frames 5-9
    assert press[4] == press[10] == EDGE_PRESS  # half-way the frame before and after
    assert press[:4].max() == press[11:].max() == 0.0


def test_loudness_flicker_from_frame_to_frame_does_not_shake_the_jaw():
    """A vowel whose loudness alternates every 40 ms frame: the loudness gain is
    smoothed over neighbouring frames, so the jaw holds steady."""
    from facespeak.types import Speech

    rate, frame = 16000, 640
    t = np.arange(2 * rate) / rate
    # Each frame's loudness window is centred on its time: blocks centred there too.
    loudness = np.where(((np.arange(len(t)) + frame // 2) // frame) % 2 == 0, 0.8, 0.2)
    speech = Speech((loudness * np.sin(2 * np.pi * 200 * t)).astype(np.float32), rate,
                    (Phone("a", 0.0, 2.0),), ())
    jaw = build_motion_track(speech, MotionOptions(fps=25, mouth_lead_s=0.0)).channels["jaw_open"]
    assert jaw[10:40].mean() > 0.3
    assert np.abs(np.diff(jaw[10:40])).max() < 0.02


def test_coarticulation_is_smooth_not_stepped(papa_speech):
    times = np.arange(0, papa_speech.duration_s, 0.005)
    jaw = mouth_channels(papa_speech.phones, times)["jaw_open"]
    # A step change would jump by the full target (~0.9) within one 5 ms sample.
    assert np.abs(np.diff(jaw)).max() < 0.15
    assert jaw.max() > 0.7 and jaw.min() < 0.05


def test_track_covers_the_audio_and_is_seeded(papa_speech):
    a = build_motion_track(papa_speech, MotionOptions(seed=1))
    b = build_motion_track(papa_speech, MotionOptions(seed=1))
    c = build_motion_track(papa_speech, MotionOptions(seed=2))
    assert a.n_frames == frame_count(papa_speech.duration_s, 25) == int(np.ceil(papa_speech.duration_s * 25))
    assert set(a.channels) == set(MOTION_CHANNELS)
    assert all(np.array_equal(a.channels[k], b.channels[k]) for k in MOTION_CHANNELS)
    assert not np.array_equal(a.channels["yaw_deg"], c.channels["yaw_deg"])


def _long_words(duration_s: float) -> tuple[Word, ...]:
    return tuple(Word(f"word{i}", t, t + 0.3, stressed=i % 3 == 0)
                 for i, t in enumerate(np.arange(0.5, duration_s - 1, 0.4)))


def test_head_motion_statistics_are_in_the_range_of_real_footage():
    fps, n = 25, 25 * 60
    ch = head_channels(_long_words(60), n, fps, seed=3)
    assert 2 <= ch["yaw_deg"].std() <= 8
    assert 2 <= ch["pitch_deg"].std() <= 7
    assert 1 <= ch["roll_deg"].std() <= 3.5
    speed = np.sqrt(sum((np.diff(ch[k]) * fps) ** 2 for k in ("yaw_deg", "pitch_deg", "roll_deg")))
    assert 8 <= np.sqrt((speed ** 2).mean()) <= 60


def test_head_acceleration_changes_smoothly_between_frames():
    # Acceleration that jumps from frame to frame reads as non-rigid face jitter
    # to a tracker; with the head's inertia it changes far less than velocity.
    ch = head_channels(_long_words(60), 25 * 60, 25, seed=3)
    for key in ("yaw_deg", "pitch_deg", "roll_deg"):
        angle = ch[key].astype(np.float64)
        velocity, acceleration = np.diff(angle), np.diff(angle, 2)
        assert np.sqrt((acceleration ** 2).mean()) < 0.5 * np.sqrt((velocity ** 2).mean())


def test_head_motion_scale_zero_is_still_but_breathes():
    ch = head_channels(_long_words(20), 500, 25, seed=0, style=HeadStyle(scale=0.0))
    assert np.abs(ch["yaw_deg"]).max() == 0 and np.abs(ch["pitch_deg"]).max() == 0
    assert ch["shift_y"].std() > 0


def test_blinks_rate_and_duration():
    fps, n = 25, 25 * 60
    blink = blink_channel(n, fps, seed=5, sentence_ends_s=[10.0, 20.0])
    closed = blink > 0.5
    starts = np.flatnonzero(np.diff(closed.astype(int)) == 1)
    assert 10 <= len(starts) <= 30
    # Eyelids visibly closing (the renderer covers the eye from 0.35 on) for 100-300 ms.
    lengths = np.diff(np.flatnonzero(np.diff(np.r_[0, (blink > 0.35).astype(int), 0])))[::2] / fps
    assert (lengths >= 0.1).all() and (lengths <= 0.3).all()
    assert blink.max() == pytest.approx(1.0, abs=0.05)


def test_motion_json_round_trip(papa_speech):
    track = build_motion_track(papa_speech)
    again = motion_from_json(motion_to_json(track))
    assert again.n_frames == track.n_frames and again.fps == track.fps
    assert np.allclose(again.channels["jaw_open"], track.channels["jaw_open"], atol=1e-4)
    assert again.phones[1].symbol == track.phones[1].symbol
    assert again.words == tuple(Word(w.text, round(w.start_s, 4), round(w.end_s, 4), w.stressed)
                                for w in track.words)


@pytest.mark.parametrize("text", ["", "{}", '{"fps": 25, "channels": {}}', "[1, 2]",
                                  '{"fps": 0, "channels": {"jaw_open": [1]}}'])
def test_bad_motion_json_is_rejected(text):
    with pytest.raises(MotionFileError):
        motion_from_json(text)


def test_energy_widens_the_jaw():
    quiet = make_speech([("ah", [("a", 0.4)])])
    loud = make_speech([("ah", [("a", 0.4)])])
    loud.samples[:] *= 0  # silence except the vowel in `quiet`
    q = build_motion_track(quiet).channels["jaw_open"].max()
    s = build_motion_track(loud).channels["jaw_open"].max()
    assert q > s


def test_a_binary_file_is_not_a_motion_file(tmp_path):
    from facespeak.errors import MotionFileError
    from facespeak.motion.track import load_motion

    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x80\x81\xfe")
    with pytest.raises(MotionFileError, match="not a facespeak motion file"):
        load_motion(path)
