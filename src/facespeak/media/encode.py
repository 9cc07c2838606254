"""Stream RGB frames and a waveform into an MP4: H.264 (libx264, yuv420p) + AAC,
constant frame rate, ``movflags=+faststart``, written through ``atomic_output``.

Frames go through a small queue to one background thread that converts them
to YUV (OpenCV, 5x faster than swscale), encodes and muxes them. OpenCV, x264
and the muxer all release the GIL, so on two cores encoding runs beside the
renderer instead of after it; measured by benchmarks/bench_encode.py.
"""

from __future__ import annotations

import queue
import sys
import threading
from contextlib import ExitStack, suppress
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

import av
import cv2
import numpy as np

from facespeak.media.atomic import atomic_output

DEFAULT_PRESET = "superfast"
"""The fastest x264 preset with CABAC and deblocking. On a 512x512 talking head
at CRF 20 it makes files 4x smaller than "ultrafast" (0.9 vs 3.5 Mbit/s) at the
same PSNR (43 dB), for 0.3 ms more per frame beside the renderer (4.0 vs 3.7)."""
DEFAULT_CRF = 20
X264_THREADS = 1
"""One x264 thread. The renderer already keeps both cores of a 2-core machine
partly busy; a second encoder thread was slower overall at every preset and
size measured (512x512: 4.0 vs 4.6 ms per frame rendered and encoded)."""
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                "slower", "veryslow", "placebo")
QUEUE_FRAMES = 8
GIL_SWITCH_S = 0.0005
"""While writing, Python hands the GIL between threads this often (default
5 ms). The encoder thread needs the GIL only briefly per frame, but with the
default it waits behind the renderer's Python code for up to 5 ms each time:
at 512x512, render+encode took 6.8 ms per frame with 5 ms and 4.5 ms with 0.5 ms."""
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
             11025, 8000, 7350)
"""Sample rates the AAC format defines; any other input rate is resampled to 48 kHz."""
AAC_FALLBACK_RATE = 48000
AAC_BIT_RATE = 96_000
# FFmpeg's AVColorSpace / AVColorRange codes for what cv2's RGB->I420 produces:
# BT.601 matrix, limited (16-235) range. Tagged so players decode the colours
# right, even at HD sizes where untagged video is assumed to be BT.709.
_AVCOL_SPC_SMPTE170M = 6
_AVCOL_RANGE_MPEG = 1

_FINISH = object()
_ABORT = object()


class SampleSource(Protocol):
    """A soundtrack read in pieces (``facespeak.types.Utterance`` is one), so a
    long one never has to be in memory whole."""

    n_samples: int

    def read(self, start: int, stop: int) -> np.ndarray:
        """float32 samples [start, stop), zeros past the end."""
        ...


class VideoWriter:
    """Context manager that writes RGB frames and an optional soundtrack to an MP4.

    ``with VideoWriter(path, w, h, fps, audio, rate) as out: out.write(frame)``

    The file appears at ``path`` only when the ``with`` block ends without an
    exception; otherwise nothing is left, not even a temporary file.

    Audio and video end together: at close the soundtrack is cut, or padded
    with silence, to exactly ``frames_written / fps`` seconds, because the
    caller decides the frame count (from the audio length).
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: float,
                 audio: np.ndarray | SampleSource | None = None, sample_rate: int = 0, *,
                 crf: int = DEFAULT_CRF, preset: str = DEFAULT_PRESET,
                 threads: int = X264_THREADS, metadata: dict[str, str] | None = None) -> None:
        _check_size(width, height)
        if not fps > 0:
            raise ValueError(f"fps must be positive, not {fps}")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must be in 0..51, not {crf}")
        if preset not in X264_PRESETS:  # x264 would only complain at the first frame
            raise ValueError(f"unknown x264 preset {preset!r}; choose one of "
                             f"{', '.join(X264_PRESETS)}")
        self.path = Path(path)
        self.width, self.height = width, height
        self.fps = Fraction(float(fps)).limit_denominator(1001)  # 29.97 -> 2997/100
        self.frames_written = 0
        self._audio = _check_audio(audio, sample_rate)
        self._sample_rate = sample_rate
        self._x264 = {"preset": preset, "crf": str(crf)}
        self._threads = threads
        self._metadata = dict(metadata or {})
        self._queue: queue.Queue[object] = queue.Queue(QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._encoded = 0
        self._audio_fed = 0
        self._stack: ExitStack | None = None

    def __enter__(self) -> Self:
        stack = ExitStack()
        try:
            stack.callback(sys.setswitchinterval, sys.getswitchinterval())
            sys.setswitchinterval(GIL_SWITCH_S)
            tmp = stack.enter_context(atomic_output(self.path))
            self._box = av.open(str(tmp), "w", format="mp4",
                                container_options={"movflags": "+faststart"})
            self._box.metadata.update(self._metadata)
            self._add_streams()
            self._thread = threading.Thread(target=self._run, name="VideoWriter", daemon=True)
            self._thread.start()
        except BaseException as exc:
            stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._stack = stack
        return self

    def _add_streams(self) -> None:
        video = self._box.add_stream("libx264", rate=self.fps)
        video.width, video.height, video.pix_fmt = self.width, self.height, "yuv420p"
        video.codec_context.thread_count = self._threads
        video.codec_context.colorspace = _AVCOL_SPC_SMPTE170M
        video.codec_context.color_range = _AVCOL_RANGE_MPEG
        video.codec_context.options = self._x264
        self._video = video
        self._aac = None
        if self._audio is not None:
            rate = self._sample_rate if self._sample_rate in AAC_RATES else AAC_FALLBACK_RATE
            self._aac = self._box.add_stream("aac", rate=rate, layout="mono")
            self._aac.bit_rate = AAC_BIT_RATE

    def write(self, frame: np.ndarray) -> None:
        """Queue one (height, width, 3) uint8 RGB frame (copied, so the caller may
        reuse its buffer). Blocks while the encoder is ``QUEUE_FRAMES`` behind."""
        if self._stack is None:
            raise RuntimeError("VideoWriter.write() outside its `with` block")
        if self._error is not None:
            raise self._error
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame is {frame.dtype} {frame.shape}, expected uint8 "
                             f"{(self.height, self.width, 3)}")
        self._queue.put(np.array(frame, order="C", copy=True))
        self.frames_written += 1

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        stack, self._stack = self._stack, None
        if stack is None:
            return
        if exc_type is not None:
            try:
                self._stop(_ABORT)
                self._close_quietly()
            finally:  # even if a second Ctrl-C lands here
                stack.__exit__(exc_type, exc, tb)  # deletes the temporary file
            return
        try:
            self._stop(_FINISH)
            self._finish()
        except BaseException as failure:
            self._close_quietly()
            stack.__exit__(type(failure), failure, failure.__traceback__)
            raise
        stack.close()  # renames the finished file into place

    def _stop(self, sentinel: object) -> None:
        self._queue.put(sentinel)
        self._thread.join()

    def _close_quietly(self) -> None:
        # Already failing: the first error is the one to report, and the
        # half-written file is about to be deleted anyway.
        with suppress(Exception):
            self._box.close()

    def _run(self) -> None:
        """Background thread: encode queued frames until a sentinel arrives."""
        try:
            while (item := self._queue.get()) is not _FINISH and item is not _ABORT:
                self._encode_frame(item)  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            self._error = exc
            while (item := self._queue.get()) is not _FINISH and item is not _ABORT:
                pass  # keep draining so write() never blocks on a dead consumer

    def _encode_frame(self, rgb: np.ndarray) -> None:
        yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
        picture = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        picture.pts = self._encoded
        picture.time_base = 1 / self.fps
        self._box.mux(self._video.encode(picture))
        self._encoded += 1
        if self._audio is not None:
            # Keep audio level with video so the muxer interleaves them finely.
            self._feed_audio(min(self._samples_at(self._encoded), self._audio.n_samples))

    def _finish(self) -> None:
        if self._error is not None:
            raise self._error
        if self.frames_written == 0:
            raise ValueError(f"no frames were written to {self.path}")
        self._box.mux(self._video.encode(None))
        if self._aac is not None:
            self._feed_audio(self._samples_at(self.frames_written))
            self._box.mux(self._aac.encode(None))
        self._box.close()

    def _samples_at(self, frames: int) -> int:
        """Input-rate samples that last as long as ``frames`` video frames."""
        return round(frames * self._sample_rate / self.fps)

    def _feed_audio(self, end: int) -> None:
        """Encode input samples up to ``end``, silence past the waveform's end."""
        if self._audio is None or self._aac is None or end <= self._audio_fed:
            return
        chunk = np.clip(np.nan_to_num(self._audio.read(self._audio_fed, end)), -1.0, 1.0)
        frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
        frame.sample_rate = self._sample_rate
        frame.pts = self._audio_fed
        frame.time_base = Fraction(1, self._sample_rate)
        self._box.mux(self._aac.encode(frame))
        self._audio_fed = end


def _check_size(width: int, height: int) -> None:
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"H.264 yuv420p needs positive even width and height, "
                         f"not {width}x{height}")


def _check_audio(audio: np.ndarray | SampleSource | None, sample_rate: int
                 ) -> SampleSource | None:
    if audio is None:
        return None
    if sample_rate <= 0:
        raise ValueError(f"audio needs a positive sample rate, not {sample_rate}")
    if hasattr(audio, "read"):
        return audio  # type: ignore[return-value]
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise ValueError(f"audio must be mono (n,) samples, not shape {audio.shape}")
    return _ArraySource(audio)


class _ArraySource:
    """A soundtrack already in memory, read like any other ``SampleSource``."""

    def __init__(self, samples: np.ndarray) -> None:
        self.samples = samples
        self.n_samples = len(samples)

    def read(self, start: int, stop: int) -> np.ndarray:
        chunk = self.samples[start:stop].astype(np.float32)
        return np.pad(chunk, (0, max(stop - start, 0) - len(chunk)))
