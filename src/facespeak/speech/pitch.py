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
                          sample_rate / f0[frames]) if len(frames) else \
        np.full(len(samples), np.nan)
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


def warp(samples: np.ndarray, sample_rate: int, pitch: np.ndarray, stretch: np.ndarray,
         gain: np.ndarray, f0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """TD-PSOLA with a pitch factor, a time stretch (output samples per input
    sample) and a gain for each input sample (arrays as long as ``samples``;
    1 = unchanged): local changes such as an emphasised word.

    Only the stretch where some curve is not 1 is resynthesised. Before it the
    output is the input; once the curves are back to 1, grains are laid one
    analysis gap apart (each ends where the next is centred) and the rest of
    the input is copied, delayed by the time added, so both joins are exact.
    Each output pulse takes the analysis grain nearest to the output time
    mapped back through the stretch, one new period after the last, scaled
    by the gain at its centre: all three change as smoothly as the curves.
    Returns the new samples and, for each input position 0..n, its position
    in the output (float samples; the phone timeline maps through it).
    """
    n = len(samples)
    changed = np.flatnonzero((pitch != 1.0) | (stretch != 1.0) | (gain != 1.0))
    if not len(changed):
        return samples, np.arange(n + 1, dtype=np.float64)
    r0, r1 = int(changed[0]), int(changed[-1]) + 1
    f0 = track_f0(samples, sample_rate) if f0 is None else f0
    marks, periods = pitch_marks(samples, sample_rate, f0)
    at = np.arange(n + 1, dtype=np.float64)  # T: input position -> output position
    at[r0 + 1:] = r0 + np.cumsum(stretch[r0:].astype(np.float64))
    positions = np.arange(n + 1, dtype=np.float64)
    bounds = np.r_[0, marks, n - 1]
    gaps = np.diff(np.r_[marks, n - 1]).astype(np.float64)
    out = np.zeros(n + int(abs(at[-1] - n)) + sample_rate // 10, np.float64)
    j = max(int(np.searchsorted(marks, r0)) - 1, 0)  # the last mark before r0
    out[:marks[j]] = samples[:marks[j]]
    t, k, first, plain_before = float(marks[j]), j, True, True
    while True:
        tau = float(np.interp(t, at, positions))
        if not first:  # the analysis mark nearest to tau
            k = min(max(int(np.searchsorted(marks, tau)), 1), len(marks) - 1)
            k -= int(abs(marks[k - 1] - tau) <= abs(marks[k] - tau))
        centre, place = int(marks[k]), round(t)
        plain = pitch[centre] == 1.0 and gain[centre] == 1.0
        left, right = centre - int(bounds[k]), int(bounds[k + 2]) - centre
        if (tau >= r1 and plain and plain_before) or k == len(marks) - 1:
            # The grain before ends at ``place``: add this one's rise, then the input.
            shift = place - centre
            if place > len(out):
                out = np.concatenate([out, np.zeros(place - len(out))])
            lo = max(0, place - left)
            out[lo:place] += (samples[centre - left:centre] * _window(left, 0))[lo - place + left:]
            result = np.concatenate([out[:place], samples[centre:]])
            # The rounding (at most about a period) goes where the time was added.
            residual = shift - (at[r1 - 1] + 1 - r1)
            share = np.cumsum(np.abs(stretch[r0:r1] - 1.0))
            share = share / share[-1] if share[-1] > 0 else np.arange(1, r1 - r0 + 1) / (r1 - r0)
            at[r0 + 1:r1 + 1] += residual * share
            at[r1:] = positions[r1:] + shift
            return result.astype(samples.dtype), at
        grain = samples[centre - left:centre + right] * _window(left, right) * gain[centre]
        a = place - left
        if first:  # the output before the first mark is the input itself
            grain, a, first = grain[left:], place, False
        if a + len(grain) > len(out):
            out = np.concatenate([out, np.zeros(a + len(grain) - len(out) + sample_rate // 10)])
        lo = max(0, a)
        out[lo:a + len(grain)] += grain[lo - a:]
        # Voiced: the next pulse one new period later; unchanged pitch: one analysis
        # gap later (so that this grain ends where the next is centred).
        step = gaps[k] if pitch[centre] == 1.0 or not periods[k] > 0 else \
            periods[k] / pitch[centre]
        plain_before = plain
        t += max(step, 1.0)
