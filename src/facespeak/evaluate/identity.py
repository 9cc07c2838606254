"""Metric 6, identity preservation against the source portrait: how much the
upper face (forehead, brows, eyes, nose: the parts that carry identity and
that speech should not change) still looks and is shaped like the portrait.

Appearance: every frame's upper face is aligned onto the portrait's by a
similarity transform fitted to the upper-face landmarks, both are resampled
into the same patch (inter-ocular distance ``PATCH_IOD_PX``), and then the
frame's patch is aligned densely onto the portrait's by optical flow (DIS).
SSIM (grey) and PSNR (RGB) are taken inside the upper face's outline.

Why the dense step: a 2-D similarity cannot align a head that turns in 3-D
(the nose moves against the cheeks) and it inherits Face Mesh's landmark
noise, so on fine skin texture it scores pose and tracker noise, not identity:
our renderer's neutral frame scores 0.98 with its exact landmarks but 0.83
with re-tracked ones, and a real news clip scores 0.56 against its own first
frame. After the flow step that clip scores 0.82, while a different person
stays at 0.39-0.47, and blur or a changed skin tone still lower the score
(the flow moves pixels; it cannot restore detail or colour). Geometry is
measured apart, by the shape distance: the upper-face landmarks in the
head's own frame (rigid pose removed) against the portrait's, mean point
distance in inter-ocular distances. The similarity-only SSIM is kept as
``ssim_rigid``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from facespeak.evaluate.signals import PoseSeries, canonical_inter_ocular
from facespeak.face.geometry import (
    LEFT_EYE_OUTER,
    NOSE_TIP,
    RIGHT_EYE_OUTER,
    canonical_face_model,
    fit_head_pose,
)

PATCH_IOD_PX = 96.0
"""The patch's scale: the comparison does not depend on either image's resolution."""
MASK_ERODE_PX = 3


def upper_face_points() -> np.ndarray:
    """Indices of the mesh points at or above the nose tip in the canonical face
    (222 points: forehead, brows, eyes, upper cheeks, nose)."""
    model = canonical_face_model()
    return np.flatnonzero(model[:, 1] <= model[NOSE_TIP, 1])


@dataclass(frozen=True)
class Identity:
    ssim: float
    """Mean over frames of the upper face's SSIM against the portrait after dense
    alignment (1 = identical)."""
    ssim_rigid: float
    """The same with the similarity alignment only: also lowered by head turns
    and landmark noise."""
    ssim_drift: float
    """Mean SSIM over the last third of the frames minus the first third:
    negative when the face drifts away from the portrait over the video."""
    psnr_db: float
    """Mean over frames of the upper face's PSNR against the portrait (dB, higher = closer)."""
    shape_distance: float
    """Median over frames of the mean distance between the upper-face landmarks
    and the portrait's, head pose removed, ÷ inter-ocular distance."""
    frames_compared: int


class UpperFaceComparer:
    """A ``FrameObserver`` that scores every frame's upper face against the portrait."""

    def __init__(self, portrait_rgb: np.ndarray, portrait_landmarks: np.ndarray) -> None:
        self._points = upper_face_points()
        source = portrait_landmarks[self._points, :2].astype(np.float64)
        iod = np.linalg.norm(portrait_landmarks[RIGHT_EYE_OUTER, :2]
                             - portrait_landmarks[LEFT_EYE_OUTER, :2])
        scale = PATCH_IOD_PX / iod
        lo = source.min(axis=0) * scale
        self._targets = source * scale - lo + 8  # 8 px margin for the SSIM window
        size = np.ceil(self._targets.max(axis=0) + 8).astype(int)
        self._size = (int(size[0]), int(size[1]))
        to_patch = _similarity_2d(source, self._targets)
        self._reference = cv2.warpAffine(portrait_rgb, to_patch, self._size,
                                         flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        self._reference_grey = _grey(self._reference)
        hull = cv2.convexHull(np.round(self._targets).astype(np.int32))
        mask = np.zeros(self._size[::-1], np.uint8)
        cv2.fillConvexPoly(mask, hull, 1)
        self._mask = cv2.erode(mask, np.ones((2 * MASK_ERODE_PX + 1,) * 2, np.uint8)) > 0
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self._grid = np.dstack(np.meshgrid(np.arange(self._size[0], dtype=np.float32),
                                           np.arange(self._size[1], dtype=np.float32)))
        self.ssim: list[float] = []
        self.ssim_rigid: list[float] = []
        self.psnr_db: list[float] = []

    def __call__(self, index: int, rgb: np.ndarray, landmarks: np.ndarray | None) -> None:
        if landmarks is None:
            return
        to_patch = _similarity_2d(landmarks[self._points, :2].astype(np.float64), self._targets)
        patch = cv2.warpAffine(rgb, to_patch, self._size, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        grey = _grey(patch)
        self.ssim_rigid.append(self._ssim(grey))
        # flow[y, x]: where the portrait's pixel (x, y) is found in the frame's patch
        where = self._grid + self._flow.calc(self._reference_grey, grey, None)
        patch = cv2.remap(patch, where[..., 0], where[..., 1], cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
        self.ssim.append(self._ssim(_grey(patch)))
        err = (patch.astype(np.float64) - self._reference)[self._mask]
        self.psnr_db.append(float(10 * np.log10(255.0 ** 2 / max((err ** 2).mean(), 1e-10))))

    def _ssim(self, grey: np.ndarray) -> float:
        return float(ssim_map(grey, self._reference_grey)[self._mask].mean())


def identity(comparer: UpperFaceComparer, portrait_landmarks: np.ndarray,
             landmarks: np.ndarray, poses: PoseSeries) -> Identity:
    """Summarise ``comparer``'s per-frame scores and add the shape distance."""
    points = upper_face_points()
    scale, rot, trans = fit_head_pose(portrait_landmarks.astype(np.float64))
    source = ((portrait_landmarks[points] - trans) @ rot) / scale
    frames = poses.to_head_frame(landmarks)[:, points]
    offsets = frames - frames.mean(axis=1, keepdims=True) - (source - source.mean(axis=0))
    per_frame = np.linalg.norm(offsets, axis=-1).mean(axis=1) / canonical_inter_ocular()
    mean = (lambda xs: float(np.mean(xs)) if len(xs) else float("nan"))
    third = len(comparer.ssim) // 3
    drift = (mean(comparer.ssim[-third:]) - mean(comparer.ssim[:third]) if third
             else float("nan"))
    return Identity(ssim=mean(comparer.ssim), ssim_rigid=mean(comparer.ssim_rigid),
                    ssim_drift=drift, psnr_db=mean(comparer.psnr_db),
                    shape_distance=float(np.median(per_frame)),
                    frames_compared=len(comparer.ssim))


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM of two grey images (Wang et al. 2004: 11×11 Gaussian window,
    σ 1.5, K1 0.01, K2 0.03, data range 255)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = (lambda x: cv2.GaussianBlur(x, (11, 11), 1.5))
    a, b = a.astype(np.float64), b.astype(np.float64)
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a ** 2
    var_b = blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)
            / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)))


def _similarity_2d(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(2, 3) least-squares similarity (rotation, uniform scale, shift) taking src to dst."""
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.diag([1.0, d])
    rot = u @ fix @ vt
    scale = (sig * np.diag(fix)).sum() / (a ** 2).sum()
    return np.hstack([scale * rot, (mu_d - scale * rot @ mu_s)[:, None]])


def _grey(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
