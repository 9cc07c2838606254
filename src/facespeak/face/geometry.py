"""Head pose from 3-D landmarks: weighted similarity Procrustes onto MediaPipe's
canonical face model (the method of ../shared/reference/REAL_FOOTAGE_STATS.md),
and the landmark index groups the later stages use."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
from scipy.spatial.transform import Rotation

# MediaPipe's 33-point procrustes_landmark_basis (geometry_pipeline_metadata.pbtxt).
PROCRUSTES_IDS = np.array(
    [4, 6, 10, 33, 54, 67, 117, 119, 121, 127, 129, 132, 133, 136, 143, 147, 198, 205,
     263, 284, 297, 346, 348, 350, 356, 358, 361, 362, 365, 372, 376, 420, 425])
PROCRUSTES_WEIGHTS = np.array(
    [0.0709, 0.0321, 0.0084, 0.0587, 0.0077, 0.0091, 0.0098, 0.0146, 0.0186, 0.0052, 0.1206,
     0.0056, 0.0533, 0.0669, 0.0148, 0.0143, 0.0255, 0.0473,
     0.0587, 0.0077, 0.0091, 0.0098, 0.0146, 0.0186, 0.0052, 0.1206,
     0.0056, 0.0533, 0.0669, 0.0148, 0.0143, 0.0255, 0.0473])

# Eye corners (outer) used for the inter-ocular distance.
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263
# Inner lip contour, upper then lower, each from the right corner (78) to the left (308).
INNER_LIP_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
INNER_LIP_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
OUTER_LIP_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
OUTER_LIP_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
# Eyelids, corner to corner; the eye-aspect-ratio pairs of the reference method.
RIGHT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_EYE_LOWER = (263, 249, 390, 373, 374, 380, 381, 382, 362)
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21,
             54, 103, 67, 109)
CHIN = 152
NOSE_TIP = 4


@lru_cache(maxsize=1)
def canonical_face_model() -> np.ndarray:
    """(468, 3) float64 MediaPipe canonical face, in image axes (x right, y down,
    z away from the camera), centimetres."""
    path = resources.files("facespeak.face") / "data" / "canonical_face_model.npy"
    with resources.as_file(path) as p:
        model = np.load(p).astype(np.float64)
    return model * np.array([1.0, -1.0, -1.0])


def similarity_fit(src: np.ndarray, dst: np.ndarray, weights: np.ndarray
                   ) -> tuple[float, np.ndarray, np.ndarray]:
    """Weighted Umeyama fit, no reflections: dst ≈ s · R @ src + t.
    Returns (s, R (3, 3), t (3,))."""
    w = weights / weights.sum()
    mu_s, mu_d = w @ src, w @ dst
    a, b = src - mu_s, dst - mu_d
    cov = (b * w[:, None]).T @ a
    u, sig, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.diag([1.0, 1.0, d])
    rot = u @ fix @ vt
    var_s = (w * (a ** 2).sum(1)).sum()
    scale = float((sig * np.diag(fix)).sum() / var_s)
    return scale, rot, mu_d - scale * rot @ mu_s


def fit_head_pose(landmarks: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(scale, R, t) mapping the canonical face onto (478 or 468, 3) landmarks."""
    model = canonical_face_model()[PROCRUSTES_IDS]
    return similarity_fit(model, landmarks[PROCRUSTES_IDS].astype(np.float64),
                          PROCRUSTES_WEIGHTS)


def euler_from_rotation(rot: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees, intrinsic YXZ, signs of the reference method:
    yaw + = nose toward image left, pitch + = head down, roll + = clockwise."""
    yaw, pitch, roll = Rotation.from_matrix(rot).as_euler("YXZ", degrees=True)
    return float(yaw), float(pitch), float(roll)


def rotation_from_euler(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """Inverse of ``euler_from_rotation``: Ry(yaw) @ Rx(pitch) @ Rz(roll), written
    out because the renderer needs one per frame (scipy's costs 0.2 ms)."""
    cy, sy = np.cos(np.radians(yaw_deg)), np.sin(np.radians(yaw_deg))
    cp, sp = np.cos(np.radians(pitch_deg)), np.sin(np.radians(pitch_deg))
    cr, sr = np.cos(np.radians(roll_deg)), np.sin(np.radians(roll_deg))
    return np.array([[cy * cr + sy * sp * sr, -cy * sr + sy * sp * cr, sy * cp],
                     [cp * sr, cp * cr, -sp],
                     [-sy * cr + cy * sp * sr, sy * sr + cy * sp * cr, cy * cp]])


def inter_ocular_px(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[RIGHT_EYE_OUTER] - landmarks[LEFT_EYE_OUTER]))
