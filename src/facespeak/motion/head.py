"""Head motion and blinks from a seeded stochastic model.

Head angles are smoothed noise (a critically damped second-order filter on
white noise) scaled to the spread measured on real talking clips
(REAL_FOOTAGE_STATS.md: std yaw/pitch/roll 4.6/4.7/2.5 deg, autocorrelation
time about 0.4 s), livelier while speaking, plus a nod (pitch down, then
back) on stressed words and a deeper one on every SSML-emphasised word; the
whole motion is then smoothed over ~70 ms, the head's inertia. Blinks are a
Poisson process (~17/min) with a refractory gap, more likely just after a
sentence ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facespeak.types import Word


@dataclass(frozen=True)
class HeadStyle:
    """How the head moves; all angles in degrees."""

    yaw_std_deg: float = 4.8
    pitch_std_deg: float = 4.0
    roll_std_deg: float = 2.4
    time_constant_s: float = 0.12
    """Smoothing of the wandering; larger is slower, steadier motion."""
    inertia_s: float = 0.07
    """Gaussian smoothing (sigma) of all head motion: a head's acceleration does
    not jump from frame to frame. Without it the tracker reads the frame-to-frame
    changes of acceleration as non-rigid motion of the whole face (stabilised
    face jitter 0.0106 instead of 0.0088 on man_bw_photo)."""
    nod_deg: float = 3.0
    """Peak pitch of a nod on a stressed word."""
    idle_scale: float = 0.55
    """Motion amplitude in pauses relative to speech."""
    shift_per_deg: float = 0.004
    """Head translation (inter-ocular distances) per degree of rotation."""
    scale: float = 1.0
    """Overall multiplier (``--head-motion``); 0 keeps the head still."""


def smooth_noise(rng: np.random.Generator, n: int, fps: float, tau_s: float) -> np.ndarray:
    """Unit-variance, zero-mean noise with correlation time about ``tau_s``."""
    pad = int(4 * tau_s * fps) + 1
    white = rng.standard_normal(n + pad)
    a = np.exp(-1.0 / (tau_s * fps))
    twice = _one_pole(_one_pole(white, a), a)[pad:]  # two poles: smooth velocity
    twice -= twice.mean()
    return twice / (twice.std() + 1e-12)


def _one_pole(x: np.ndarray, a: float) -> np.ndarray:
    """y[n] = a·y[n-1] + (1-a)·x[n] from rest (scipy.signal.lfilter's result,
    without the 0.8 s its import costs at start-up)."""
    y = np.empty(len(x))
    state = 0.0
    for i, value in enumerate((1 - a) * x):
        state = a * state + value
        y[i] = state
    return y


def gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """``x`` convolved with a Gaussian of ``sigma`` samples, edges mirrored."""
    radius = int(np.ceil(3 * sigma))
    if radius < 1 or len(x) < 2:
        return np.asarray(x, dtype=np.float64)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    padded = np.pad(np.asarray(x, dtype=np.float64), radius, mode="symmetric")
    return np.convolve(padded, kernel / kernel.sum(), mode="valid")


def speech_activity(words: tuple[Word, ...], times_s: np.ndarray, ramp_s: float = 0.3
                    ) -> np.ndarray:
    """0 in silence, 1 while speaking, with soft ramps."""
    edges = np.zeros(len(times_s) + 1)
    for w in words:  # +1 where a word starts, -1 where it ends: a running sum marks speech
        a, b = np.searchsorted(times_s, [w.start_s, w.end_s])
        edges[a] += 1
        edges[b] -= 1
    act = (np.cumsum(edges)[:-1] > 0).astype(float)
    k = max(int(ramp_s / max(times_s[1] - times_s[0], 1e-3)) if len(times_s) > 1 else 1, 1)
    kernel = np.hanning(2 * k + 1)
    return np.convolve(act, kernel / kernel.sum(), mode="same")


MIN_NOD_GAP_S = 0.7
"""Stressed words closer than this to the last nod (or to an emphasised word
just ahead) do not nod: a nod on every content word looks like pecking."""
EMPHASIS_NOD = {"moderate": 1.7, "strong": 2.4}
"""Nod depth on an SSML-emphasised word, in ``depth_deg``s (a stressed word
nods 0.6-1); emphasised words always nod, however close together."""


def nod_curve(words: tuple[Word, ...], times_s: np.ndarray, rng: np.random.Generator,
              depth_deg: float) -> np.ndarray:
    """Pitch added by nods: a smooth dip starting at each nodding word's onset.
    Overlapping nods (emphasised words in a row) merge into one held dip."""
    pitch = np.zeros(len(times_s))
    emphasised = np.array([w.start_s for w in words if w.emphasis in EMPHASIS_NOD])
    last = -10.0
    for w in words:
        emphasis = EMPHASIS_NOD.get(w.emphasis)
        if emphasis is None and not _stress_nods(w, last, emphasised):
            continue
        last = w.start_s
        length = rng.uniform(0.35, 0.55)
        span = slice(*np.searchsorted(times_s, [w.start_s - 0.05, w.start_s - 0.05 + length]))
        phase = (times_s[span] - w.start_s + 0.05) / length
        depth = depth_deg * (emphasis or rng.uniform(0.6, 1.0))
        pitch[span] = np.maximum(pitch[span], depth * np.sin(np.pi * phase) ** 2)
    return pitch


def _stress_nods(word: Word, last_nod_s: float, emphasised_s: np.ndarray) -> bool:
    """Whether a word without SSML emphasis nods: stressed, not "reduced", and
    ``MIN_NOD_GAP_S`` clear of the last nod and of the next emphasised word."""
    ahead = emphasised_s[emphasised_s > word.start_s] - word.start_s
    return (word.stressed and word.emphasis != "reduced"
            and word.start_s - last_nod_s >= MIN_NOD_GAP_S and not np.any(ahead < MIN_NOD_GAP_S))


def head_channels(words: tuple[Word, ...], n_frames: int, fps: float, seed: int,
                  style: HeadStyle = HeadStyle()) -> dict[str, np.ndarray]:
    """yaw/pitch/roll (degrees) and shift_x/shift_y (inter-ocular distances)."""
    rng = np.random.default_rng([seed, 1])
    times = np.arange(n_frames) / fps
    gain = style.idle_scale + (1 - style.idle_scale) * speech_activity(words, times)
    tau = style.time_constant_s
    yaw = style.yaw_std_deg * gain * smooth_noise(rng, n_frames, fps, tau * 1.3)
    pitch = style.pitch_std_deg * gain * smooth_noise(rng, n_frames, fps, tau)
    roll = style.roll_std_deg * gain * smooth_noise(rng, n_frames, fps, tau * 1.6)
    pitch += nod_curve(words, times, rng, style.nod_deg)
    rigid = {
        "yaw_deg": yaw, "pitch_deg": pitch, "roll_deg": roll,
        "shift_x": -style.shift_per_deg * yaw,
        "shift_y": style.shift_per_deg * 0.5 * pitch,
    }
    sigma = style.inertia_s * fps
    channels = {k: (style.scale * gaussian_smooth(v, sigma)).astype(np.float32)
                for k, v in rigid.items()}
    # Breathing stays with a still head, so it never looks frozen.
    channels["shift_y"] += (0.004 * np.sin(2 * np.pi * 0.25 * times + rng.uniform(0, 6.3))
                            ).astype(np.float32)
    return channels


def blink_channel(n_frames: int, fps: float, seed: int, sentence_ends_s: list[float],
                  rate_per_min: float = 17.0) -> np.ndarray:
    """Eyelid closure 0..1 per frame: fast close, slower open; 220-360 ms from
    first to last movement, 170-280 ms of it more than a third closed."""
    rng = np.random.default_rng([seed, 2])
    duration = n_frames / fps
    starts: list[float] = []
    t = rng.uniform(0.4, 2.0)
    while t < duration - 0.3:
        starts.append(t)
        t += 1.2 + rng.exponential(60.0 / rate_per_min - 1.2)
    # People blink at phrase boundaries: pull the nearest blink onto a sentence end.
    for end in sentence_ends_s:
        near = [i for i, s in enumerate(starts) if abs(s - end) < 1.0]
        if near:
            starts[near[0]] = end + 0.05
    times = np.arange(n_frames) / fps
    closure = np.zeros(n_frames)
    for s in starts:
        length = rng.uniform(0.22, 0.36)
        span = slice(*np.searchsorted(times, [s, s + length]))
        phase = (times[span] - s) / length
        shape = np.minimum(np.clip(phase / 0.35, 0, 1), np.clip((1 - phase) / 0.65, 0, 1)) ** 0.7
        closure[span] = np.maximum(closure[span], shape * (phase > 0))
    return closure.astype(np.float32)
