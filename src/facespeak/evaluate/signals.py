"""Per-frame series derived from a FaceTrack's landmarks, as the reference
method defines them (../shared/reference/REAL_FOOTAGE_STATS.md): inter-ocular
distance, mouth aperture, head pose, and the duplicate-frame repair that every
measure uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facespeak.face.geometry import (
    LEFT_EYE_OUTER,
    RIGHT_EYE_OUTER,
    canonical_face_model,
    euler_from_rotation,
    fit_head_pose,
)

UPPER_LIP_INNER, LOWER_LIP_INNER = 13, 14
DUPLICATE_MAX_DIFF = 0.3
"""A frame whose mean absolute grey-level change from the previous one is
below this and below ``DUPLICATE_MEDIAN_SHARE`` x the clip median is a repeat."""
DUPLICATE_MEDIAN_SHARE = 0.25


def inter_ocular(landmarks: np.ndarray) -> np.ndarray:
    """(n,) 3-D distance between the outer eye corners (33, 263), pixels."""
    return np.linalg.norm(landmarks[:, RIGHT_EYE_OUTER] - landmarks[:, LEFT_EYE_OUTER], axis=-1)


def mouth_aperture(landmarks: np.ndarray) -> np.ndarray:
    """(n,) inner-lip gap ‖L13 − L14‖ ÷ inter-ocular distance, both 3-D, so
    head rotation does not change it. Closed lips read below ~0.03."""
    gap = np.linalg.norm(landmarks[:, UPPER_LIP_INNER] - landmarks[:, LOWER_LIP_INNER], axis=-1)
    return gap / inter_ocular(landmarks)


def duplicate_frames(frame_diff: np.ndarray) -> np.ndarray:
    """(n,) bool: frames that repeat the previous one (frame-rate conversion or
    a stalled source): change below 0.3 grey levels and below a quarter of the
    clip's median change."""
    diff = np.asarray(frame_diff, np.float64)
    median = np.nanmedian(diff) if np.isfinite(diff).any() else 0.0
    with np.errstate(invalid="ignore"):
        return (diff < DUPLICATE_MAX_DIFF) & (diff < DUPLICATE_MEDIAN_SHARE * median)


def fill_frames(landmarks: np.ndarray, replace: np.ndarray) -> np.ndarray:
    """``landmarks`` with the frames in ``replace`` (and frames without a face)
    linearly interpolated in time from the nearest kept frames; ends are held."""
    keep = ~replace & np.isfinite(landmarks[:, 0, 0])
    if keep.all() or not keep.any():
        return landmarks
    t = np.arange(len(landmarks))
    flat = landmarks.reshape(len(landmarks), -1)
    filled = np.empty_like(flat)
    for j in range(flat.shape[1]):
        filled[:, j] = np.interp(t, t[keep], flat[keep, j])
    return filled.reshape(landmarks.shape)


@dataclass(frozen=True, eq=False)
class PoseSeries:
    """Per-frame rigid fit of the canonical face onto the landmarks:
    x ≈ scale · R @ canonical + t."""

    euler_deg: np.ndarray
    """(n, 3) yaw, pitch, roll in degrees (signs of ``facespeak.types.HeadPose``)."""
    rotations: np.ndarray
    """(n, 3, 3)"""
    scales: np.ndarray
    """(n,) pixels per canonical-model unit."""
    translations: np.ndarray
    """(n, 3) pixels."""

    def to_head_frame(self, landmarks: np.ndarray) -> np.ndarray:
        """(n, m, 3) landmarks mapped into the canonical head frame, Rᵀ(x − t)/s:
        what is left once rigid head motion is removed."""
        centred = landmarks - self.translations[:, None, :]
        return np.einsum("nji,nmj->nmi", self.rotations, centred) / self.scales[:, None, None]


def head_poses(landmarks: np.ndarray) -> PoseSeries:
    """Weighted Procrustes head pose of every frame (frames must all have a face)."""
    n = len(landmarks)
    euler, rots = np.zeros((n, 3)), np.zeros((n, 3, 3))
    scales, trans = np.zeros(n), np.zeros((n, 3))
    for i, points in enumerate(landmarks.astype(np.float64)):
        scales[i], rots[i], trans[i] = fit_head_pose(points)
        euler[i] = euler_from_rotation(rots[i])
    return PoseSeries(euler, rots, scales, trans)


def canonical_inter_ocular() -> float:
    """Inter-ocular distance of the canonical face model, in its units."""
    model = canonical_face_model()
    return float(np.linalg.norm(model[RIGHT_EYE_OUTER] - model[LEFT_EYE_OUTER]))
