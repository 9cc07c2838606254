"""Metric 1, the plain audio-visual sync measure of the issue and of
REAL_FOOTAGE_STATS.md: mouth aperture per frame against the audio's RMS
envelope at the frame rate, Pearson correlation at lags −10…+10 frames.

It is weak on short clips (people open the mouth to breathe without sound;
mismatched audio often scores as high), which is why ``sync.measure_sync``
(the calibrated detector) is reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_LAG_FRAMES = 10
ENVELOPE_HALF_WINDOW_S = 0.02


@dataclass(frozen=True, eq=False)
class EnvelopeSync:
    """Aperture-vs-envelope correlation over lags."""

    lag_frames: int
    """Lag of the peak correlation; positive = the audio is later than the mouth."""
    peak_r: float
    """Pearson r at that lag (−1..1)."""
    confidence: float
    """Peak r minus the median r over all lags."""
    lags: np.ndarray = field(repr=False)
    """(2·MAX_LAG_FRAMES + 1,) int lags."""
    r: np.ndarray = field(repr=False)
    """(len(lags),) correlation per lag (NaN where undefined)."""
    envelope: np.ndarray = field(repr=False)
    """(n_frames,) RMS envelope of the audio at each frame."""


def rms_envelope(audio: np.ndarray, sample_rate: int, fps: float, n_frames: int) -> np.ndarray:
    """(n_frames,) RMS of the samples in [i/fps − 20 ms, i/fps + 20 ms), the
    signal zero-padded at both ends (and past its end)."""
    half = round(ENVELOPE_HALF_WINDOW_S * sample_rate)
    centres = np.round(np.arange(n_frames) / fps * sample_rate).astype(np.int64)
    squares = np.asarray(audio, np.float64) ** 2
    csum = np.concatenate([[0.0], np.cumsum(squares)])
    lo = np.clip(centres - half, 0, len(squares))
    hi = np.clip(centres + half, 0, len(squares))
    return np.sqrt((csum[hi] - csum[lo]) / (2 * half))


def lagged_correlation(video: np.ndarray, audio: np.ndarray, max_lag: int = MAX_LAG_FRAMES
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(lags, r): r(L) = Pearson(video[t], audio[t + L]) over the frames both
    cover, for L = −max_lag…max_lag. NaN where a side is constant."""
    lags = np.arange(-max_lag, max_lag + 1)
    n = min(len(video), len(audio))
    r = np.full(len(lags), np.nan)
    for k, lag in enumerate(lags):
        v = video[max(0, -lag):n - max(0, lag)]
        a = audio[max(0, lag):n - max(0, -lag)]
        if len(v) > 2 and np.std(v) > 0 and np.std(a) > 0:
            r[k] = np.corrcoef(v, a)[0, 1]
    return lags, r


def envelope_sync(aperture: np.ndarray, audio: np.ndarray, sample_rate: int, fps: float
                  ) -> EnvelopeSync | None:
    """The plain measure; None when it is undefined (silent audio, a mouth that never moves)."""
    envelope = rms_envelope(audio, sample_rate, fps, len(aperture))
    lags, r = lagged_correlation(aperture, envelope)
    if np.isnan(r).all():
        return None
    best = int(np.nanargmax(r))
    return EnvelopeSync(lag_frames=int(lags[best]), peak_r=float(r[best]),
                        confidence=float(r[best] - np.nanmedian(r)),
                        lags=lags, r=r, envelope=envelope)
