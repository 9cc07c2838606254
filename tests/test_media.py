"""Media: atomic outputs, the MP4 writer (decoded back and checked like a player
would), and WAV / audio reading."""

from __future__ import annotations

import os
import threading
import time
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from facespeak.errors import FacespeakInputError, OutputPathError
from facespeak.media import encode
from facespeak.media.atomic import atomic_output, check_writable
from facespeak.media.audio import read_audio, write_wav
from facespeak.media.encode import VideoWriter

W, H, FPS = 96, 64, 25
COLOURS = [(200, 40, 40), (40, 180, 60), (30, 60, 210), (128, 128, 128)]


def tone(seconds: float, rate: int, hz: float = 440.0, level: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def flat(colour) -> np.ndarray:
    return np.full((H, W, 3), colour, np.uint8)


def write_clip(path: Path, n_frames: int, audio: np.ndarray | None, rate: int,
               fps: float = FPS) -> None:
    with VideoWriter(path, W, H, fps, audio, rate) as out:
        for i in range(n_frames):
            out.write(flat(COLOURS[i % len(COLOURS)]))


def probe(path: Path) -> dict:
    """What a player sees: streams, durations, decoded frames and samples."""
    with av.open(str(path)) as box:
        video = box.streams.video[0]
        info = {"vcodec": video.codec_context.name, "pix_fmt": video.codec_context.pix_fmt,
                "rate": video.average_rate, "video_s": float(video.duration * video.time_base),
                "frames": [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]}
    with av.open(str(path)) as box:
        if box.streams.audio:
            audio = box.streams.audio[0]
            info["acodec"], info["audio_rate"] = audio.codec_context.name, audio.rate
            info["audio_s"] = float(audio.duration * audio.time_base)
            info["samples"] = np.concatenate([f.to_ndarray().mean(axis=0)
                                              for f in box.decode(audio=0)])
    return info


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------ writer
@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    write_clip(path, 48, tone(48 / FPS, 16000), 16000)
    return path, probe(path)


def test_streams_are_h264_yuv420p_and_aac(clip):
    _, info = clip
    assert (info["vcodec"], info["pix_fmt"], info["acodec"]) == ("h264", "yuv420p", "aac")
    assert info["rate"] == FPS
    assert info["audio_rate"] == 16000


def test_every_frame_arrives_with_its_colour(clip):
    _, info = clip
    frames = info["frames"]
    assert len(frames) == 48
    assert frames[0].shape == (H, W, 3)
    for i, frame in enumerate(frames):
        mean = frame[8:-8, 8:-8].reshape(-1, 3).mean(axis=0)
        assert mean == pytest.approx(COLOURS[i % len(COLOURS)], abs=4), i


def test_audio_lasts_as_long_as_the_video(clip):
    _, info = clip
    assert info["video_s"] == pytest.approx(48 / FPS)
    assert abs(info["audio_s"] - info["video_s"]) <= 1 / FPS
    # Decoders hand out whole 1024-sample AAC frames; the container's edit list
    # (audio_s above) trims the last one for players.
    assert 0 <= len(info["samples"]) - 48 / FPS * 16000 < 1024


def test_the_tone_survives(clip):
    _, info = clip
    samples = info["samples"][1600:-1600]  # away from the encoder's start and end
    assert peak_hz(samples, 16000) == pytest.approx(440, abs=5)
    assert np.sqrt(np.mean(samples**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)


def test_faststart_puts_the_index_first(clip):
    path, _ = clip
    data = path.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")


def test_short_audio_is_padded_with_silence(tmp_path):
    path = tmp_path / "pad.mp4"
    write_clip(path, 50, tone(0.5, 16000), 16000)
    info = probe(path)
    assert info["audio_s"] == pytest.approx(2.0, abs=1 / FPS)
    samples = info["samples"]
    assert np.abs(samples[1000:7000]).max() > 0.3
    assert np.abs(samples[12000:30000]).max() < 0.01


def test_long_audio_is_cut_to_the_video(tmp_path):
    path = tmp_path / "cut.mp4"
    write_clip(path, 25, tone(5.0, 16000), 16000)
    info = probe(path)
    assert info["video_s"] == pytest.approx(1.0)
    assert info["audio_s"] == pytest.approx(1.0, abs=1 / FPS)


def test_rate_aac_lacks_is_resampled(tmp_path):
    path = tmp_path / "odd_rate.mp4"
    write_clip(path, 25, tone(1.0, 22000, hz=1000), 22000)
    info = probe(path)
    assert info["audio_rate"] == encode.AAC_FALLBACK_RATE
    assert info["audio_s"] == pytest.approx(1.0, abs=1 / FPS)
    assert peak_hz(info["samples"][4800:-4800], info["audio_rate"]) == pytest.approx(1000, abs=5)


@pytest.mark.parametrize("fps, frames", [(30, 30), (12.5, 25)])
def test_other_frame_rates(tmp_path, fps, frames):
    path = tmp_path / "rate.mp4"
    write_clip(path, frames, tone(2.0, 24000), 24000, fps=fps)
    info = probe(path)
    assert info["rate"] == Fraction(fps)
    assert len(info["frames"]) == frames
    assert abs(info["audio_s"] - frames / fps) <= 1 / fps


def test_video_without_audio(tmp_path):
    path = tmp_path / "silent.mp4"
    write_clip(path, 5, None, 0)
    with av.open(str(path)) as box:
        assert not box.streams.audio
        assert box.streams.video[0].frames == 5


def test_caller_may_reuse_its_frame_buffer(tmp_path):
    path = tmp_path / "reuse.mp4"
    buffer = flat(COLOURS[0])
    with VideoWriter(path, W, H, FPS) as out:
        for colour in COLOURS:
            buffer[:] = colour
            out.write(buffer)
    frames = probe(path)["frames"]
    for frame, colour in zip(frames, COLOURS):
        assert frame.reshape(-1, 3).mean(axis=0) == pytest.approx(colour, abs=4)


@pytest.mark.parametrize("size", [(95, 64), (96, 63), (0, 64)])
def test_odd_sizes_are_refused(tmp_path, size):
    with pytest.raises(ValueError, match="even"):
        VideoWriter(tmp_path / "odd.mp4", *size, FPS)


@pytest.mark.parametrize("settings, match", [({"preset": "quick"}, "preset"),
                                             ({"crf": 60}, "crf"), ({"fps": 0}, "fps")])
def test_bad_settings_are_refused(tmp_path, settings, match):
    args = {"path": tmp_path / "x.mp4", "width": W, "height": H, "fps": FPS} | settings
    with pytest.raises(ValueError, match=match):
        VideoWriter(**args)
    assert leftovers(tmp_path) == []


def test_wrong_frame_is_refused_and_nothing_is_left(tmp_path):
    with (
        pytest.raises(ValueError, match="expected uint8"),
        VideoWriter(tmp_path / "x.mp4", W, H, FPS) as out,
    ):
        out.write(np.zeros((H, W, 3), np.float32))
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [RuntimeError("render failed"), KeyboardInterrupt()])
def test_interrupted_writer_leaves_nothing(tmp_path, error):
    path = tmp_path / "out.mp4"
    with pytest.raises(type(error)), VideoWriter(path, W, H, FPS, tone(2.0, 16000), 16000) as out:
        for i in range(30):
            out.write(flat(COLOURS[i % 4]))
        raise error
    assert leftovers(tmp_path) == []


def test_interrupted_writer_keeps_the_previous_file(tmp_path):
    path = tmp_path / "out.mp4"
    path.write_bytes(b"previous video")
    with pytest.raises(KeyboardInterrupt), VideoWriter(path, W, H, FPS) as out:
        out.write(flat(COLOURS[0]))
        raise KeyboardInterrupt
    assert leftovers(tmp_path) == ["out.mp4"]
    assert path.read_bytes() == b"previous video"


def test_encoder_failure_reaches_the_caller(tmp_path, monkeypatch):
    def broken(self, rgb):
        time.sleep(0.2)  # long enough for the caller to fill the queue and block
        raise RuntimeError("encoder exploded")

    def render() -> None:
        with VideoWriter(tmp_path / "out.mp4", W, H, FPS) as out:
            for _ in range(3 * encode.QUEUE_FRAMES):
                out.write(flat(COLOURS[0]))

    monkeypatch.setattr(VideoWriter, "_encode_frame", broken)
    raised: list[BaseException] = []
    caller = threading.Thread(target=lambda: raised.append(pytest.raises(RuntimeError, render)))
    caller.daemon = True  # if the writer deadlocks, do not hang the test run too
    caller.start()
    caller.join(timeout=10)
    assert not caller.is_alive(), "write() blocked on a dead encoder thread"
    assert "exploded" in str(raised[0].value)
    assert leftovers(tmp_path) == []


def test_no_frames_is_an_error(tmp_path):
    with (
        pytest.raises(ValueError, match="no frames"),
        VideoWriter(tmp_path / "out.mp4", W, H, FPS, tone(1.0, 16000), 16000),
    ):
        pass
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------- atomic output
def test_atomic_output_renames_on_success(tmp_path):
    path = tmp_path / "result.mp4"
    with atomic_output(path) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(".") and tmp.suffix == ".mp4"
        tmp.write_bytes(b"data")
        assert not path.exists()
    assert path.read_bytes() == b"data"
    assert leftovers(tmp_path) == ["result.mp4"]


def test_atomic_output_in_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with atomic_output("here.txt") as tmp:
        tmp.write_text("ok")
    assert Path("here.txt").read_text() == "ok"


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_atomic_output_removes_its_file_on_failure(tmp_path, error):
    with pytest.raises(type(error)), atomic_output(tmp_path / "result.wav") as tmp:
        tmp.write_bytes(b"half")
        raise error
    assert leftovers(tmp_path) == []


def test_missing_folder_is_an_output_error(tmp_path):
    with (
        pytest.raises(OutputPathError, match="does not exist") as info,
        atomic_output(tmp_path / "nope" / "out.mp4"),
    ):
        pass
    assert "\n" not in str(info.value)


def test_directory_as_output_is_an_output_error(tmp_path):
    with pytest.raises(OutputPathError, match="is a directory"):
        VideoWriter(tmp_path, W, H, FPS).__enter__()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root may write into any folder")
def test_unwritable_folder_is_an_output_error(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with (
            pytest.raises(OutputPathError, match="not writable"),
            VideoWriter(folder / "out.mp4", W, H, FPS),
        ):
            pass
    finally:
        folder.chmod(0o700)


def test_folder_refusing_files_is_an_output_error(tmp_path, monkeypatch):
    """What an unwritable folder or read-only disk looks like, even to root."""
    def refuse(path, flags, mode=0o777, *, dir_fd=None):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "open", refuse)
    with (
        pytest.raises(OutputPathError, match="Permission denied"),
        VideoWriter(tmp_path / "out.mp4", W, H, FPS),
    ):
        pass


def test_check_writable_refuses_a_read_only_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(OutputPathError, match="not writable"):
        check_writable(tmp_path / "out.mp4")


# -------------------------------------------------------------------- audio
def test_write_wav_is_16_bit_mono_pcm(tmp_path):
    samples = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 2.0, np.nan], np.float32)
    path = tmp_path / "x.wav"
    write_wav(path, samples, 22050)
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    assert pcm.tolist() == [0, 16384, -16384, 32767, -32767, 32767, 0]
    assert leftovers(tmp_path) == ["x.wav"]


def test_wav_round_trip(tmp_path):
    samples = tone(0.5, 16000, level=0.8)
    write_wav(tmp_path / "t.wav", samples, 16000)
    back, rate = read_audio(tmp_path / "t.wav")
    assert rate == 16000 and back.dtype == np.float32
    np.testing.assert_allclose(back, samples, atol=2 / 32767)  # FFmpeg reads s16 as x / 32768


def test_stereo_is_averaged_to_mono(tmp_path):
    left, right = np.full(800, 8000, "<i2"), np.full(800, -2000, "<i2")
    with wave.open(str(tmp_path / "s.wav"), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(np.stack([left, right], axis=1).tobytes())
    back, rate = read_audio(tmp_path / "s.wav")
    assert rate == 8000 and back.shape == (800,)
    assert back[100] == pytest.approx(3000 / 32768, abs=1e-3)


def test_read_audio_of_our_mp4(clip):
    path, _ = clip
    samples, rate = read_audio(path)
    assert rate == 16000
    assert peak_hz(samples[1600:-1600], rate) == pytest.approx(440, abs=5)


def test_read_audio_of_a_real_recording(real_dir):
    samples, rate = read_audio(real_dir / "speech_male_radio.wav")
    assert rate == 16000
    assert 6 < len(samples) / rate < 10
    assert 0.05 < np.abs(samples).max() <= 1.0


@pytest.mark.parametrize("make, match", [
    (lambda p: None, "not found"),
    (lambda p: p.write_text("not audio at all\n" * 50), "cannot read audio"),
    (lambda p: write_clip(p, 3, None, 0), "no audio stream"),
])
def test_read_audio_refuses_bad_files(tmp_path, make, match):
    path = tmp_path / "in.mp4"
    make(path)
    with pytest.raises(FacespeakInputError, match=match) as info:
        read_audio(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("fail", [False, True])
def test_gil_switch_interval_is_restored(tmp_path, fail):
    import sys

    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError) if fail else _no_error():
        with VideoWriter(tmp_path / "x.mp4", W, H, FPS) as out:
            assert sys.getswitchinterval() == pytest.approx(encode.GIL_SWITCH_S)
            out.write(flat(COLOURS[0]))
            if fail:
                raise RuntimeError("render failed")
    assert sys.getswitchinterval() == before


def _no_error():
    from contextlib import nullcontext

    return nullcontext()


def test_a_device_is_never_replaced_by_an_output(tmp_path):
    with pytest.raises(OutputPathError, match="not a regular file"):
        check_writable("/dev/null")
    with pytest.raises(OutputPathError), atomic_output("/dev/null"):
        pass
    assert Path("/dev/null").is_char_device()
