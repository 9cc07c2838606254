"""The calibrated audio-visual sync detector (evaluate/sync.py): known offsets
on synthetic clips, the real clips' natural lag, their audio shifted by known
frames, an unrelated recording below the threshold, and our own video."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import resample_poly

import facespeak
from facespeak import demo_portrait_path
from facespeak.errors import VideoInputError
from facespeak.evaluate.phonetics import phone_features, phonetic_features, recognize_phones
from facespeak.evaluate.sync import CONFIDENCE_THRESHOLD, lip_shape, measure_sync
from facespeak.evaluate.video import track_video
from facespeak.face.geometry import canonical_face_model
from facespeak.media.audio import read_audio
from facespeak.motion.track import load_motion
from facespeak.types import Phone

FPS = 25
RATE = 16000
REAL_CLIPS = ("talking_news_clip", "talking_news_clip_2")


def shifted(audio: np.ndarray, frames: int, fps: float = FPS) -> np.ndarray:
    """``audio`` (16 kHz) delayed by ``frames`` video frames (advanced when
    negative), silence filling the gap, the length unchanged."""
    k = round(abs(frames) * RATE / fps)
    out = np.zeros_like(audio)
    if frames > 0:
        out[k:] = audio[:-k]
    else:
        out[:-k] = audio[k:]
    return out


def shifted_phones(phones: tuple[Phone, ...], frames: int, fps: float = FPS
                   ) -> tuple[Phone, ...]:
    dt = frames / fps
    return tuple(Phone(p.symbol, p.start_s + dt, p.end_s + dt) for p in phones)


# ------------------------------------------------------------ synthetic clips
VOWELS, CONSONANTS = ("ɑ", "i", "u", "ɛ", "o", "æ"), ("p", "t", "s", "m", "k", "f")


def synthetic_clip(seed: int, seconds: float = 8.0, fps: float = FPS):
    """(landmarks, audio, phones): a random syllable sequence spoken by crude
    formant-like tones and noise, and a face whose lower lip drops with each
    phone's openness (shut on p, m, f) and whose mouth narrows when rounded."""
    rng = np.random.default_rng(seed)
    phones, t = [Phone("", 0.0, 0.3)], 0.3
    while t < seconds - 0.6:
        for symbol, low, high in ((rng.choice(CONSONANTS), 0.06, 0.1),
                                  (rng.choice(VOWELS), 0.1, 0.25)):
            d = rng.uniform(low, high)
            phones.append(Phone(str(symbol), t, t + d))
            t += d
        if rng.random() < 0.25:
            d = rng.uniform(0.15, 0.4)
            phones.append(Phone("", t, t + d))
            t += d
    phones.append(Phone("", t, seconds))
    audio = np.zeros(round(seconds * RATE))
    for p in phones:
        a, b = round(p.start_s * RATE), round(p.end_s * RATE)
        openness, *_ = phone_features(p.symbol)
        if p.symbol in VOWELS:
            time = np.arange(b - a) / RATE
            f1 = 300 + 600 * openness  # the first formant rises as the jaw opens
            audio[a:b] = (0.2 + 0.3 * openness) * (np.sin(2 * np.pi * 120 * time)
                                                    + 0.8 * np.sin(2 * np.pi * f1 * time))
        elif p.symbol:
            audio[a:b] = 0.05 * rng.standard_normal(b - a)
    n_frames = round(seconds * fps)
    opening, rounding = phonetic_features(phones, fps, n_frames)[:, :2].T
    model = canonical_face_model()
    face = np.zeros((478, 3))
    face[:468] = 12 * model + (256, 256, 0)
    iod = np.linalg.norm(face[33] - face[263])
    landmarks = np.repeat(face[None], n_frames, axis=0)
    landmarks[:, [14, 17], 1] += 0.3 * iod * opening[:, None]
    landmarks[:, [78, 308], 0] += 0.1 * iod * rounding[:, None] * [1, -1]
    landmarks += rng.normal(0, 0.3, landmarks.shape)  # tracker noise, px
    return landmarks.astype(np.float32), audio.astype(np.float32), tuple(phones)


@pytest.mark.parametrize("delay", [-6, 0, 4])
def test_synthetic_offset_is_recovered_with_its_sign(delay):
    landmarks, audio, phones = synthetic_clip(0)
    result = measure_sync(landmarks, shifted(audio, delay) if delay else audio, RATE, FPS,
                          phones=shifted_phones(phones, delay))
    assert result.offset_frames == delay  # + = the audio is later than the mouth
    assert result.matched and result.confidence > 0.6
    assert result.lags[np.argmax(result.scores)] == delay


def test_synthetic_unrelated_audio_scores_below_the_threshold():
    landmarks, _, _ = synthetic_clip(0)
    _, other_audio, other_phones = synthetic_clip(1)
    result = measure_sync(landmarks, other_audio, RATE, FPS, phones=other_phones)
    assert not result.matched


def test_frames_without_a_face_are_left_out():
    landmarks, audio, phones = synthetic_clip(0)
    landmarks[40:70] = np.nan
    landmarks[150:160] = np.nan
    result = measure_sync(landmarks, shifted(audio, 3), RATE, FPS,
                          phones=shifted_phones(phones, 3))
    assert result.offset_frames == 3 and result.matched


def test_any_sample_rate_and_frame_rate():
    landmarks, audio, phones = synthetic_clip(0, fps=30)
    at_48k = resample_poly(shifted(audio, 5, fps=30), 3, 1).astype(np.float32)
    result = measure_sync(landmarks, at_48k, 48000, 30.0, phones=shifted_phones(phones, 5, 30))
    assert result.offset_frames == 5 and result.offset_s == pytest.approx(5 / 30)
    assert len(result.lags) == 2 * 30 + 1  # ±1 s


def test_silent_audio_and_short_clips_are_one_line_input_errors():
    landmarks, audio, phones = synthetic_clip(0)
    with pytest.raises(VideoInputError, match="audio is silent"):
        measure_sync(landmarks, np.zeros_like(audio), RATE, FPS, phones=phones)
    with pytest.raises(VideoInputError, match=r"needs at least 100 frames with a face"):
        measure_sync(landmarks[:99], audio, RATE, FPS, phones=phones)


def test_phonetic_features_follow_textbook_phonetics():
    open_a, close_i, close_u, bilabial = (phone_features(s) for s in ("ɑ", "i", "u", "m"))
    assert open_a[0] > close_i[0] and close_u[1] > open_a[1]
    assert bilabial[0] == 0 and bilabial[2] == 1
    assert phone_features("") == (0, 0, 0, 1) and phone_features("ˈaː") == phone_features("a")


def test_lip_shape_is_normalised_by_the_eye_distance():
    landmarks, _, _ = synthetic_clip(0)
    assert np.allclose(lip_shape(landmarks * 2), lip_shape(landmarks), atol=1e-3)


# ------------------------------------------------------------ the real clips
@pytest.fixture(scope="module")
def real(real_dir):
    """Landmarks and audio of both real clips (one Face Mesh pass each), the
    unrelated recording at the same rate, and each clip with its own audio."""
    tracks = {name: track_video(real_dir / f"{name}.mp4") for name in REAL_CLIPS}
    radio, rate = read_audio(real_dir / "speech_male_radio.wav")
    radio = resample_poly(radio, RATE, rate) if rate != RATE else radio
    results = {name: measure_sync(t.landmarks_px, t.audio, t.sample_rate, t.fps)
               for name, t in tracks.items()}
    return tracks, radio.astype(np.float32), results


@pytest.mark.parametrize("name", REAL_CLIPS)
def test_real_speech_has_a_natural_lag_with_the_mouth_leading(real, name):
    _, _, results = real
    natural = results[name]
    # The plain aperture-envelope correlation puts talking_news_clip at -6 frames.
    assert 1 <= natural.offset_frames <= 5, natural
    assert natural.matched


@pytest.mark.parametrize("name", REAL_CLIPS)
@pytest.mark.parametrize("frames", [5, -8])
def test_real_audio_shifted_by_known_frames_is_measured_so(real, name, frames):
    tracks, _, results = real
    track = tracks[name]
    moved = measure_sync(track.landmarks_px, shifted(track.audio, frames), RATE, track.fps)
    assert abs(moved.offset_frames - results[name].offset_frames - frames) <= 1


@pytest.mark.parametrize("name", REAL_CLIPS)
def test_unrelated_recording_falls_below_the_threshold_the_true_audio_clears(real, name):
    tracks, radio, results = real
    track = tracks[name]
    unrelated = np.resize(radio, len(track.audio))  # looped or cut to the clip's length
    result = measure_sync(track.landmarks_px, unrelated, RATE, track.fps)
    assert result.confidence < CONFIDENCE_THRESHOLD <= results[name].confidence


def test_recognised_phones_are_silent_where_the_speaker_pauses(real):
    tracks, _, _ = real
    audio = tracks["talking_news_clip"].audio
    phones = recognize_phones(audio.astype(np.float64), RATE)
    speech = phonetic_features(phones, FPS, len(audio) * FPS // RATE)[:, 3] < 0.5
    # She pauses from 4.6 to 5.2 s and talks through 1.4-4.4 s (spectrogram).
    assert not speech[round(4.7 * FPS):round(5.1 * FPS)].any()
    assert speech[round(1.4 * FPS):round(4.4 * FPS)].mean() > 0.85


# ------------------------------------------------------------ our own output
@pytest.mark.slow
def test_our_video_is_in_sync_and_its_shifted_copies_are_not(tmp_path, real_dir):
    video, motion = tmp_path / "said.mp4", tmp_path / "said.json"
    facespeak.say(demo_portrait_path(), "The committee met on Tuesday to review the budget. "
                  "After a long debate, they agreed to fund the new library and the park.",
                  video, crop="face", seed=1, save_motion=motion)
    track = track_video(video)
    timeline = load_motion(motion).phones
    heard = measure_sync(track.landmarks_px, track.audio, RATE, track.fps)
    told = measure_sync(track.landmarks_px, track.audio, RATE, track.fps, phones=timeline)
    # The mouth moves 80 ms (two frames) before the sound; real clips read +3.
    for result in (heard, told):
        assert result.offset_frames in (1, 2, 3) and result.matched, result
    for frames in (5, -8):
        moved = measure_sync(track.landmarks_px, shifted(track.audio, frames), RATE, track.fps)
        assert abs(moved.offset_frames - heard.offset_frames - frames) <= 1
    radio, rate = read_audio(real_dir / "speech_male_radio.wav")
    unrelated = np.resize(resample_poly(radio, RATE, rate) if rate != RATE else radio,
                          len(track.audio))
    assert not measure_sync(track.landmarks_px, unrelated, RATE, track.fps).matched
