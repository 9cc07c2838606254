"""WAV writing, and reading any common audio file as mono float32."""

from __future__ import annotations

import wave
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from facespeak.errors import FacespeakInputError
from facespeak.media.atomic import atomic_output

if TYPE_CHECKING:
    from facespeak.media.encode import SampleSource


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write (n,) float samples in [-1, 1] as a 16-bit PCM mono WAV, atomically.
    Values outside [-1, 1] are clipped; NaN becomes silence."""
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise ValueError(f"write_wav takes mono (n,) samples, not shape {samples.shape}")
    _write_pcm(path, [samples], sample_rate)


def write_wav_from(path: str | Path, source: SampleSource, n_samples: int, sample_rate: int,
                   chunk: int = 1 << 16) -> None:
    """Like ``write_wav`` for ``n_samples`` read from ``source`` a chunk at a
    time (zeros past its end), so a long soundtrack is never in memory whole."""
    _write_pcm(path, (source.read(a, min(a + chunk, n_samples))
                      for a in range(0, n_samples, chunk)), sample_rate)


def _write_pcm(path: str | Path, chunks: Iterable[np.ndarray], sample_rate: int) -> None:
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, not {sample_rate}")
    with atomic_output(path) as tmp, wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(sample_rate))
        for samples in chunks:
            clean = np.clip(np.nan_to_num(samples.astype(np.float64)), -1.0, 1.0)
            out.writeframes(np.round(clean * 32767).astype("<i2").tobytes())


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """(samples, sample_rate) of the first audio stream of any file FFmpeg reads
    (WAV, MP3, FLAC, OGG, M4A, MP4, ...): (n,) float32 mono, channels averaged
    down, at the stream's own rate. Raises FacespeakInputError on a bad file."""
    path = Path(path)
    if not path.is_file():
        raise FacespeakInputError(f"audio file not found: {path}")
    try:
        samples, rate = _decode_mono(path)
    except (av.error.FFmpegError, OSError) as exc:
        reason = " ".join(str(exc).split())
        raise FacespeakInputError(f"cannot read audio from {path}: {reason}") from None
    if samples.size == 0:
        raise FacespeakInputError(f"audio file {path} holds no samples")
    return samples, rate


def _decode_mono(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as box:
        if not box.streams.audio:
            raise FacespeakInputError(f"{path} has no audio stream")
        stream = box.streams.audio[0]
        rate = stream.codec_context.sample_rate
        # Convert the sample format only: FFmpeg's own downmix to mono is not a
        # mean (it sums channels at -3 dB, so identical channels come out 1.41x).
        to_float = av.AudioResampler(format="fltp", rate=rate)
        chunks = [out.to_ndarray().mean(axis=0)
                  for frame in box.decode(stream) for out in to_float.resample(frame)]
        chunks += [out.to_ndarray().mean(axis=0) for out in to_float.resample(None)]
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return samples.astype(np.float32, copy=False), rate
