"""Metric 4, blinks: eye aspect ratio per frame and blink events, by the method
of REAL_FOOTAGE_STATS.md (both eyes must close; winks do not count)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# (outer corner, inner corner, three (upper, lower) lid pairs), 2-D pixels.
RIGHT_EYE_EAR = (33, 133, ((160, 144), (159, 145), (158, 153)))
LEFT_EYE_EAR = (263, 362, ((387, 373), (386, 374), (385, 380)))
OPEN_BELOW = 0.75
"""A blink is a run with both eyes below this share of their clip median..."""
CLOSED_BELOW = 0.5
"""...that reaches below this share."""
LONG_CLOSURE_S = 1.0
"""Runs longer than this are long closures (squints, looking down), not blinks."""


@dataclass(frozen=True)
class BlinkEvent:
    start_frame: int
    end_frame: int
    """Last frame of the run (inclusive)."""
    duration_ms: float
    """Time below 0.75 of the open-eye EAR, interpolated at the crossings."""
    closed_ms: float
    """From the first to the last crossing of 0.5 (interpolated)."""


@dataclass(frozen=True, eq=False)
class Blinks:
    events: tuple[BlinkEvent, ...]
    long_closures: int
    per_minute: float
    """Blinks ÷ video duration × 60."""
    mean_duration_ms: float
    """Mean time below 0.75 of the open-eye EAR (NaN without blinks)."""
    mean_closed_ms: float
    """Mean time below 0.5 (NaN without blinks)."""
    openness: np.ndarray = field(repr=False)
    """(n,) max over the two eyes of EAR ÷ that eye's clip median (1 = as open as usual)."""

    @property
    def count(self) -> int:
        return len(self.events)


def eye_aspect_ratio(landmarks: np.ndarray, eye: tuple) -> np.ndarray:
    """(n,) mean of the three lid distances ÷ the corner distance (2-D)."""
    outer, inner, pairs = eye
    pts = landmarks[..., :2]
    width = np.linalg.norm(pts[:, outer] - pts[:, inner], axis=-1)
    heights = [np.linalg.norm(pts[:, a] - pts[:, b], axis=-1) for a, b in pairs]
    return np.mean(heights, axis=0) / width


def eye_openness(landmarks: np.ndarray) -> np.ndarray:
    """(n,) max(EAR_right / median, EAR_left / median): low only when both eyes close."""
    ratios = []
    for eye in (RIGHT_EYE_EAR, LEFT_EYE_EAR):
        ear = eye_aspect_ratio(landmarks, eye)
        ratios.append(ear / np.median(ear))
    return np.maximum(*ratios)


def detect_blinks(landmarks: np.ndarray, fps: float) -> Blinks:
    openness = eye_openness(landmarks)
    events, long_closures = [], 0
    for start, end in _runs_below(openness, OPEN_BELOW):
        run = openness[start:end + 1]
        if run.min() >= CLOSED_BELOW:
            continue
        duration = _time_below(openness, start, end, OPEN_BELOW) / fps
        if duration > LONG_CLOSURE_S:
            long_closures += 1
            continue
        closed = np.flatnonzero(run < CLOSED_BELOW) + start
        closed_s = _time_below(openness, int(closed[0]), int(closed[-1]), CLOSED_BELOW) / fps
        events.append(BlinkEvent(start, end, 1000 * duration, 1000 * closed_s))
    minutes = len(openness) / fps / 60
    mean = (lambda xs: float(np.mean(xs)) if xs else float("nan"))
    return Blinks(tuple(events), long_closures, len(events) / minutes,
                  mean([e.duration_ms for e in events]), mean([e.closed_ms for e in events]),
                  openness)


def _runs_below(x: np.ndarray, level: float) -> list[tuple[int, int]]:
    """(first, last) frame of every maximal run with x < level."""
    below = np.concatenate([[False], x < level, [False]])
    edges = np.flatnonzero(np.diff(below.astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def _time_below(x: np.ndarray, first: int, last: int, level: float) -> float:
    """Frames from the down-crossing before ``first`` to the up-crossing after
    ``last``, interpolated linearly; a run at a clip edge starts/ends on that frame."""
    start = float(first)
    if first > 0:
        start = first - 1 + (x[first - 1] - level) / (x[first - 1] - x[first])
    end = float(last)
    if last < len(x) - 1:
        end = last + (x[last] - level) / (x[last] - x[last + 1])
    return end - start
