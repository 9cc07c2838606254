"""End to end: portrait + text -> MP4, decoded and checked like a viewer would."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest

import facespeak
from facespeak import demo_portrait_path

TEXT = "Hello! My name is Pat, and I made this video in a moment."


def decode(path):
    """(frames (n, H, W, 3) uint8, fps, video duration s, audio duration s, codecs)."""
    with av.open(str(path)) as box:
        vstream, astream = box.streams.video[0], box.streams.audio[0]
        fps = float(vstream.average_rate)
        codecs = (vstream.codec_context.name, astream.codec_context.name,
                  vstream.codec_context.pix_fmt)
        frames = np.stack([f.to_ndarray(format="rgb24") for f in box.decode(vstream)])
    with av.open(str(path)) as box:
        # The stream's duration (its edit list), as players use it: decoders
        # hand out whole 1024-sample AAC frames, the last one padded.
        audio = box.streams.audio[0]
        audio_s = float(audio.duration * audio.time_base)
    return frames, fps, len(frames) / fps, audio_s, codecs


@pytest.fixture(scope="module")
def demo_video(tmp_path_factory):
    out = tmp_path_factory.mktemp("say") / "demo.mp4"
    motion = out.with_suffix(".json")
    result = facespeak.say(demo_portrait_path(), TEXT, out, crop="face", seed=3,
                           save_motion=motion, save_audio=out.with_suffix(".wav"))
    return result, decode(out)


def test_video_has_browser_streams_and_matching_lengths(demo_video):
    result, (frames, fps, video_s, audio_s, codecs) = demo_video
    assert codecs == ("h264", "aac", "yuv420p")
    assert fps == 25
    assert frames.shape[1:] == (512, 512, 3)
    assert len(frames) == result.motion.n_frames == int(np.ceil(result.speech.duration_s * 25 - 1e-6))
    assert abs(video_s - audio_s) <= 1 / 25
    assert video_s == pytest.approx(result.speech.duration_s, abs=1 / 25)


def test_mouth_moves_while_background_stays(demo_video):
    from facespeak.face.geometry import inter_ocular_px
    from facespeak.face.portrait import load_portrait
    from facespeak.render.layout import make_canvas

    result, (frames, *_rest) = demo_video
    canvas = make_canvas(load_portrait(demo_portrait_path()), result.face, "face")
    mouth = canvas.landmarks_px[[13, 14]].mean(0).astype(int)
    half = int(0.3 * inter_ocular_px(canvas.landmarks_px))
    box = frames[:, mouth[1] - half:mouth[1] + half, mouth[0] - 2 * half:mouth[0] + 2 * half]
    mouth_change = np.abs(np.diff(box.astype(np.int16), axis=0)).mean()
    corner = frames[:, :40, :40].astype(np.int16)  # background, top left
    background_change = np.abs(np.diff(corner, axis=0)).mean()
    assert mouth_change > 4.0, mouth_change
    assert background_change < 1.0, background_change


def test_sidecar_has_timelines_and_replays_to_the_same_video(demo_video, tmp_path):
    result, (frames, *_rest) = demo_video
    doc = json.loads(result.motion_path.read_text())
    assert doc["n_frames"] == len(frames)
    assert any(p[0] == "m" for p in doc["phones"])  # "my", "name", "moment"
    assert [w[0].lower() for w in doc["words"]][:2] == ["hello", "my"]
    replay = tmp_path / "replay.mp4"
    facespeak.say(demo_portrait_path(), TEXT, replay, crop="face", motion=result.motion_path)
    again = decode(replay)[0]
    assert np.abs(again.astype(int) - frames.astype(int)).mean() < 0.5


def test_same_seed_same_video_other_seed_other_motion(demo_video, tmp_path):
    _, (frames, *_rest) = demo_video
    same = tmp_path / "same.mp4"
    other = tmp_path / "other.mp4"
    facespeak.say(demo_portrait_path(), TEXT, same, crop="face", seed=3)
    facespeak.say(demo_portrait_path(), TEXT, other, crop="face", seed=4)
    assert np.array_equal(decode(same)[0], frames)
    assert not np.array_equal(decode(other)[0], frames)


def test_audio_sidecar_is_the_video_soundtrack(demo_video):
    from facespeak.media.audio import read_audio

    result, (_frames, _fps, video_s, _audio_s, _codecs) = demo_video
    samples, rate = read_audio(result.audio_path)
    assert len(samples) / rate == pytest.approx(video_s, abs=0.01)
    assert np.abs(samples).max() > 0.1


def test_full_frame_keeps_the_portrait_framing(tmp_path):
    out = tmp_path / "full.mp4"
    facespeak.say(demo_portrait_path(), "Yes.", out)
    frames = decode(out)[0]
    assert frames.shape[1:] == (512, 512, 3)  # the demo portrait is 512 x 512


def test_every_video_is_marked_as_generated(demo_video, tmp_path):
    from facespeak.render.watermark import Watermark

    result, (frames, *_rest) = demo_video
    with av.open(str(result.video_path)) as box:
        assert "AI-generated" in box.metadata.get("comment", "")
    plain = tmp_path / "plain.mp4"
    facespeak.say(demo_portrait_path(), "Hi.", plain, crop="face", seed=3, label=False)
    with av.open(str(plain)) as box:
        assert "AI-generated" in box.metadata.get("comment", "")  # metadata stays
        unlabelled = next(box.decode(video=0)).to_ndarray(format="rgb24")
    mark = Watermark(512, 512)
    ph, pw = mark.alpha.shape[:2]
    corner = (slice(mark.y0, mark.y0 + ph), slice(mark.x0, mark.x0 + pw))
    drawn = mark.alpha[..., 0] > 0.3
    difference = np.abs(frames[0][corner].astype(int) - unlabelled[corner].astype(int)).mean(-1)
    assert difference[drawn].mean() > 20  # the label shows where it is drawn
    assert difference[mark.alpha[..., 0] == 0].mean() < 4  # and nowhere else in its box
