"""Metric 5, stability: landmark jitter (the reference method's mean absolute
second difference, raw and with rigid head motion removed) and background
flicker (mean absolute frame-to-frame grey-level change outside the person)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facespeak.evaluate.signals import PoseSeries, canonical_inter_ocular, inter_ocular
from facespeak.evaluate.video import MESH_POINTS, FaceTrack

# MediaPipe's FACEMESH_LIPS: the 40 points of the outer and inner lip contours.
LIP_POINTS = np.array(
    [0, 13, 14, 17, 37, 39, 40, 61, 78, 80, 81, 82, 84, 87, 88, 91, 95, 146, 178, 181, 185,
     191, 267, 269, 270, 291, 308, 310, 311, 312, 314, 317, 318, 321, 324, 375, 402, 405, 409,
     415])
MIN_BACKGROUND_FRACTION = 0.01
"""Below this share of the frame left as background, flicker is not measured."""


@dataclass(frozen=True)
class Stability:
    face_jitter: float
    """Mean ‖P(t+1) − 2P(t) + P(t−1)‖ over the 468 mesh points and frames, 2-D,
    ÷ the clip's median 3-D inter-ocular distance (IOD per frame)."""
    lip_jitter: float
    """The same over the 40 lip points."""
    face_jitter_stabilised: float
    """Face jitter in the head's own frame (rigid head motion removed), ÷ the
    canonical face's IOD: what moves that a head turn does not explain."""
    lip_jitter_stabilised: float
    background_flicker: float
    """Mean absolute grey-level change per frame (0-255) outside the person;
    NaN when less than 1 % of the frame is background."""
    background_share: float
    """Share of the frame used as background."""


def stability(track: FaceTrack, landmarks: np.ndarray, poses: PoseSeries) -> Stability:
    """``landmarks`` are the track's after duplicate and missing frames were filled."""
    iod = float(np.median(inter_ocular(landmarks)))
    planar = landmarks[:, :MESH_POINTS, :2] / iod
    stable = poses.to_head_frame(landmarks[:, :MESH_POINTS])[..., :2] / canonical_inter_ocular()
    flicker, fraction = background_flicker(track)
    return Stability(
        face_jitter=jitter(planar), lip_jitter=jitter(planar[:, LIP_POINTS]),
        face_jitter_stabilised=jitter(stable), lip_jitter_stabilised=jitter(stable[:, LIP_POINTS]),
        background_flicker=flicker, background_share=fraction)


def jitter(points: np.ndarray) -> float:
    """Mean norm of the second difference in time of (n, m, d) points."""
    if len(points) < 3:
        return float("nan")
    second = points[2:] - 2 * points[1:-1] + points[:-2]
    return float(np.linalg.norm(second, axis=-1).mean())


def background_flicker(track: FaceTrack) -> tuple[float, float]:
    """(mean change outside the person over frames 1…n−1, background share of the frame)."""
    mask = background_cells(track)
    weights = _cell_pixels(track) * mask
    fraction = float(weights.sum() / (track.width * track.height))
    if fraction < MIN_BACKGROUND_FRACTION or track.n_frames < 2:
        return float("nan"), fraction
    grids = track.diff_grid[1:].astype(np.float64)
    per_frame = (grids * weights).sum(axis=(1, 2)) / weights.sum()
    return float(per_frame.mean()), fraction


def background_cells(track: FaceTrack) -> np.ndarray:
    """(grid_h, grid_w) bool: grid cells the person never reaches in the clip.

    For each frame with a face, the person is an ellipse around the head
    (centre 0.15 face heights above the mesh's box centre, semi-axes 0.95 face
    widths and 1.1 face heights: hair, ears, a raised hand near the face) and,
    below the head's centre line, a band 1.7 face widths either side of it
    down to the frame's bottom (neck, shoulders, body). The union over the
    clip, grown by one cell, is the person; the rest is background. On a
    tight head crop only the corners may remain, and then often nothing.
    """
    cell = track.grid_cell_px
    gh, gw = track.diff_grid.shape[1:]
    ys, xs = (np.mgrid[0:gh, 0:gw] + 0.5) * cell
    faces = track.landmarks_px[track.face_found, :MESH_POINTS, :2]
    (x0, y0), (x1, y1) = faces.min(axis=1).T, faces.max(axis=1).T
    fw, fh = (x1 - x0)[:, None, None], (y1 - y0)[:, None, None]
    cx = ((x0 + x1) / 2)[:, None, None]
    cy = ((y0 + y1) / 2)[:, None, None] - 0.15 * fh
    head = ((xs - cx) / (0.95 * fw)) ** 2 + ((ys - cy) / (1.1 * fh)) ** 2 <= 1
    body = (ys >= cy) & (np.abs(xs - cx) <= 1.7 * fw)
    person = (head | body).any(axis=0)
    grown = person.copy()
    grown[1:] |= person[:-1]
    grown[:-1] |= person[1:]
    grown[:, 1:] |= person[:, :-1]
    grown[:, :-1] |= person[:, 1:]
    return ~grown


def _cell_pixels(track: FaceTrack) -> np.ndarray:
    """(grid_h, grid_w) number of frame pixels in each cell (edge cells may be partial)."""
    cell = track.grid_cell_px
    gh, gw = track.diff_grid.shape[1:]
    rows = np.minimum(cell, track.height - np.arange(gh) * cell)
    cols = np.minimum(cell, track.width - np.arange(gw) * cell)
    return np.outer(rows, cols).astype(np.float64)
