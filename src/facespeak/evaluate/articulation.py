"""Metric 2, articulation against a phone timeline (the sidecar that
``facespeak say --save-motion`` writes, or any ``MotionTrack`` JSON): do the
lips close on p, b, m and open on open vowels, measured on the re-detected
face of the decoded frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facespeak.types import Phone

CLOSED_APERTURE = 0.03
"""Lips count as closed below this aperture (÷ IOD): the valley between the
two modes of real footage's aperture histogram (REAL_FOOTAGE_STATS.md)."""
BILABIALS = frozenset({"p", "b", "m"})
OPEN_VOWELS = frozenset({"a", "ä", "æ", "ɐ", "ɑ", "ɒ", "ɶ"})
"""IPA open and near-open vowels; diphthongs starting with one (aɪ, aʊ) count too."""
_MARKS = "ːˑˈˌ̃ "


@dataclass(frozen=True)
class Articulation:
    bilabials: int
    """p, b, m phones whose middle falls inside the video."""
    bilabial_closed_share: float
    """Share of them whose middle frame shows closed lips (aperture < 0.03)."""
    bilabial_closed_share_near: float
    """Share closed at the middle frame or one frame either side (a one-frame
    sync slip should not count as a missed closure)."""
    open_vowels: int
    open_vowel_aperture: float
    """Mean aperture (÷ IOD) at the middle frames of open vowels."""


def articulation(aperture: np.ndarray, phones: Sequence[Phone], fps: float) -> Articulation:
    """Score ``aperture`` (n_frames,) against the phone timeline (audio time axis)."""
    n = len(aperture)
    bilabial = _middle_frames(phones, fps, n, lambda s: s in BILABIALS)
    vowels = _middle_frames(phones, fps, n, lambda s: s[:1] in OPEN_VOWELS)
    closed = aperture < CLOSED_APERTURE
    near = closed.copy()
    near[1:] |= closed[:-1]
    near[:-1] |= closed[1:]
    share = (lambda flags: float(flags.mean()) if len(flags) else float("nan"))
    return Articulation(
        bilabials=len(bilabial), bilabial_closed_share=share(closed[bilabial]),
        bilabial_closed_share_near=share(near[bilabial]),
        open_vowels=len(vowels),
        open_vowel_aperture=float(aperture[vowels].mean()) if len(vowels) else float("nan"))


def _middle_frames(phones: Sequence[Phone], fps: float, n_frames: int, wanted) -> np.ndarray:
    """Frame index of the middle of every phone whose bare symbol ``wanted`` accepts."""
    frames = [round((p.start_s + p.end_s) / 2 * fps) for p in phones
              if wanted("".join(ch for ch in p.symbol if ch not in _MARKS))]
    return np.array([f for f in frames if 0 <= f < n_frames], dtype=np.int64)


VOICED_RANGE_DB = 20.0
"""Voiced frames: envelope within this many dB of its 95th percentile."""


@dataclass(frozen=True)
class MouthOpening:
    """The aperture distribution (÷ IOD), comparable with REAL_FOOTAGE_STATS.md table B."""

    closed_share: float
    """Share of frames with aperture < 0.03."""
    p50: float
    p95: float
    voiced_closed_share: float
    """The same over voiced frames only (NaN without audio)."""
    voiced_p50: float
    voiced_p95: float


def mouth_opening(aperture: np.ndarray, envelope: np.ndarray | None) -> MouthOpening:
    """Percentiles over all frames, and over the frames whose audio envelope is
    at least p95(dB) − 20 dB when ``envelope`` (n_frames,) is given."""
    nan = float("nan")
    voiced_stats = (nan, nan, nan)
    if envelope is not None and envelope.any():
        level_db = 20 * np.log10(envelope + 1e-6)
        voiced = aperture[level_db >= np.percentile(level_db, 95) - VOICED_RANGE_DB]
        voiced_stats = _opening_stats(voiced)
    return MouthOpening(*_opening_stats(aperture), *voiced_stats)


def _opening_stats(aperture: np.ndarray) -> tuple[float, float, float]:
    p50, p95 = np.percentile(aperture, [50, 95])
    return float((aperture < CLOSED_APERTURE).mean()), float(p50), float(p95)
