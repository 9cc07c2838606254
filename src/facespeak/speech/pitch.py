"""Pitch changes after synthesis, for voices with no pitch control (flite rms).

TD-PSOLA: voiced stretches are cut into grains centred on glottal pulses,
each windowed from the pulse before to the pulse after, and laid down again
one new period apart (each output pulse takes the grain whose pulse is
nearest in time). Pitch changes; the spectral envelope (formants) and the
durations stay, so the phone timeline stays valid. Unvoiced stretches are
cut into 5 ms grains laid back where they were. Cost: one autocorrelation
F0 track (FFT per 10 ms frame) and one overlap-add, ~20 ms per second of speech.
"""

from __future__ import annotations

import functools

import numpy as np

HOP_S = 0.01
WINDOW_S = 0.04  # two periods of the lowest F0
F0_MIN_HZ, F0_MAX_HZ = 60.0, 400.0
VOICED_CORRELATION = 0.6
"""Normalised autocorrelation at the period above which a frame is voiced."""
SILENT_DB = -45.0  # frames this far below the loudest are unvoiced
OCTAVE_TOLERANCE = 0.9
"""The shortest lag whose correlation reaches this share of the best is the
period (the best alone often sits at twice the period)."""
UNVOICED_GRAIN_S = 0.005
MIN_MARK_GAP_S = 0.002


def track_f0(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """F0 in Hz per ``HOP_S`` frame (frame i centred at ``i * HOP_S + WINDOW_S / 2``),
    NaN where unvoiced."""
    hop, win = round(HOP_S * sample_rate), round(WINDOW_S * sample_rate)
    if len(samples) < win:
        return np.full(0, np.nan)
    frames = np.lib.stride_tricks.sliding_window_view(samples.astype(np.float64), win)[::hop]
    frames = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(frames, 2 * win, axis=1)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :win]
    energy = acf[:, 0]
    lo, hi = int(sample_rate / F0_MAX_HZ), int(sample_rate / F0_MIN_HZ)
    unbiased = acf[:, lo - 1:hi + 1] / (win - np.arange(lo - 1, hi + 1)) * win
    score = unbiased / np.maximum(energy[:, None], 1e-12)
    best = score[:, 1:-1].max(axis=1)
    inner = score[:, 1:-1]
    peak = (inner >= score[:, :-2]) & (inner > score[:, 2:]) & (
        inner >= OCTAVE_TOLERANCE * best[:, None])
    k = np.argmax(peak, axis=1)  # the first good peak
    rows = np.arange(len(k))
    left, mid, right = score[rows, k], score[rows, k + 1], score[rows, k + 2]
    curvature = left - 2 * mid + right
    offset = np.where(curvature < 0, 0.5 * (left - right) / np.minimum(curvature, -1e-12), 0.0)
    lag = lo + k + offset
    loud = 10 * np.log10(np.maximum(energy, 1e-12) / max(energy.max(), 1e-12)) > SILENT_DB
    return np.where((best > VOICED_CORRELATION) & loud & peak.any(axis=1), sample_rate / lag,
                    np.nan)


def shift_pitch(samples: np.ndarray, sample_rate: int, pitch_scale: float = 1.0,
                pitch_range: float = 1.0) -> np.ndarray:
    """``samples`` with F0 multiplied by ``pitch_scale`` and its excursions around
    the utterance's mean (in log F0) by ``pitch_range``; same length."""
    if pitch_scale == 1.0 and pitch_range == 1.0:
        return samples
    f0 = track_f0(samples, sample_rate)
    voiced = ~np.isnan(f0)
    if not voiced.any():
        return samples
    mean_log_f0 = float(np.mean(np.log(f0[voiced])))
    marks, periods = pitch_marks(samples, sample_rate, f0)
    factors = np.where(np.isnan(periods), 1.0, pitch_scale * np.exp(
        (pitch_range - 1.0) * (np.log(sample_rate / periods) - mean_log_f0)))
    return overlap_add(samples, marks, np.nan_to_num(periods, nan=0.0), factors)


def pitch_marks(samples: np.ndarray, sample_rate: int, f0: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Analysis marks (sample indices, ascending) and each one's period in
    samples (NaN for the regular marks of unvoiced stretches)."""
    hop, centre = HOP_S * sample_rate, WINDOW_S * sample_rate / 2
    frames = np.flatnonzero(~np.isnan(f0))  # the period anywhere: the nearest voiced frames'
    period_at = np.interp(np.arange(len(samples)), frames * hop + centre,
                          sample_rate / f0[frames])
    voiced = _runs(~np.isnan(f0))
    marks: list[int] = []
    periods: list[float] = []
    for first, last in voiced:
        a = int(first * hop + centre - hop / 2)
        b = min(len(samples), int(last * hop + centre + hop / 2))
        pulses = _pulses(samples, a, b, period_at)
        marks += pulses
        periods += [float(period_at[p]) for p in pulses]
    voiced_marks = np.array(marks, dtype=np.int64)
    grid = np.arange(0, len(samples), max(1, round(UNVOICED_GRAIN_S * sample_rate)))
    in_voiced = np.zeros(len(samples), bool)
    for first, last in voiced:
        in_voiced[int(first * hop + centre - hop / 2):int(last * hop + centre + hop / 2)] = True
    gap = MIN_MARK_GAP_S * sample_rate
    near = np.zeros(len(grid), bool)
    if len(voiced_marks):
        nearest = np.searchsorted(voiced_marks, grid).clip(1, len(voiced_marks) - 1)
        near = np.minimum(np.abs(grid - voiced_marks[nearest - 1]),
                          np.abs(grid - voiced_marks[nearest])) < gap
    unvoiced = grid[~in_voiced[grid] & ~near]
    all_marks = np.concatenate([voiced_marks, unvoiced])
    all_periods = np.concatenate([np.array(periods), np.full(len(unvoiced), np.nan)])
    order = np.argsort(all_marks, kind="stable")
    return all_marks[order], all_periods[order]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _pulses(samples: np.ndarray, a: int, b: int, period_at: np.ndarray) -> list[int]:
    """Glottal pulses in [a, b): the biggest peak in the first period, then the
    biggest peak within a quarter period of one period later, and so on."""
    polarity = 1.0 if samples[a:b].max() >= -samples[a:b].min() else -1.0
    x = samples * polarity
    mark = a + int(np.argmax(x[a:min(b, a + max(2, int(period_at[a])))]))
    pulses = []
    while mark < b:
        pulses.append(mark)
        period = max(period_at[mark], 2.0)
        lo, hi = mark + int(0.75 * period), min(b, mark + int(1.25 * period) + 1)
        if lo >= hi:
            break
        mark = lo + int(np.argmax(x[lo:hi]))
    return pulses


def overlap_add(samples: np.ndarray, marks: np.ndarray, periods: np.ndarray,
                factors: np.ndarray) -> np.ndarray:
    """Lay each output pulse's nearest analysis grain one (new) period after
    the last; grains span from the previous analysis mark to the next."""
    n = len(samples)
    out = np.zeros(n, np.float64)
    bounds = np.r_[0, marks, n - 1]
    step = np.where(periods > 0, periods / factors, np.diff(bounds[1:])).astype(np.float64)
    t = float(marks[0])
    k = 0
    while t < n:
        while k + 1 < len(marks) and abs(marks[k + 1] - t) <= abs(marks[k] - t):
            k += 1
        centre, left, right = round(t), marks[k] - bounds[k], bounds[k + 2] - marks[k]
        grain = samples[marks[k] - left:marks[k] + right] * _window(left, right)
        a = centre - left
        lo, hi = max(0, a), min(n, a + len(grain))
        if hi > lo:
            out[lo:hi] += grain[lo - a:hi - a]
        t += max(step[k], 1.0)
    return out.astype(samples.dtype)


@functools.lru_cache(maxsize=4096)
def _window(left: int, right: int) -> np.ndarray:
    """Rising half-Hann over ``left`` samples, falling over ``right``: neighbouring
    grains laid back at their own marks sum to exactly one."""
    rise = 0.5 - 0.5 * np.cos(np.pi * np.arange(left) / max(left, 1))
    fall = 0.5 + 0.5 * np.cos(np.pi * np.arange(right) / max(right, 1))
    return np.concatenate([rise, fall])
