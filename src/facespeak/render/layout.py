"""Output framing: the full portrait (long side capped, even sizes) or a
square face-centred crop."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from facespeak.errors import FacespeakInputError
from facespeak.types import FaceGeometry, Portrait

MAX_LONG_SIDE_PX = 1280
"""Full-frame output is scaled down so its long side is at most this."""
FACE_CROP_PX = 512
FACE_CROP_IODS = 4.4
"""Side of the face crop in inter-ocular distances (the real 512² clips show about 4.5)."""
CROP_MODES = ("full", "face")


@dataclass(frozen=True, eq=False)
class Canvas:
    """The still frame every video frame starts from, and the face in it."""

    image: np.ndarray
    """(H, W, 3) uint8 RGB, H and W even."""
    landmarks_px: np.ndarray
    """(478, 3) float32 landmarks in this image's pixels (z scaled like x)."""


def make_canvas(portrait: Portrait, face: FaceGeometry, crop: str = "full",
                size: int | None = None) -> Canvas:
    """Scale/crop ``portrait`` for output and carry the landmarks along."""
    if crop not in CROP_MODES:
        raise FacespeakInputError(f"unknown crop {crop!r}; choose one of {', '.join(CROP_MODES)}")
    if size is not None and not 64 <= size <= 4096:
        raise FacespeakInputError(f"--size must be between 64 and 4096 pixels, not {size}")
    if crop == "face":
        return _face_crop(portrait, face, size or FACE_CROP_PX)
    return _full_frame(portrait, face, size or MAX_LONG_SIDE_PX)


def _full_frame(portrait: Portrait, face: FaceGeometry, long_side: int) -> Canvas:
    h, w = portrait.height, portrait.width
    scale = min(1.0, long_side / max(h, w))
    out_w, out_h = _even(w * scale), _even(h * scale)
    image = portrait.pixels
    if (out_w, out_h) != (w, h):
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        image = cv2.resize(image, (out_w, out_h), interpolation=interp)
    factor = np.array([out_w / w, out_h / h, out_w / w], np.float32)
    return Canvas(np.ascontiguousarray(image), face.landmarks_px * factor)


def _face_crop(portrait: Portrait, face: FaceGeometry, side_px: int) -> Canvas:
    side_px = _even(side_px)
    lm = face.landmarks_px
    centre = np.array([lm[:468, 0].mean(), (lm[10, 1] + lm[152, 1]) / 2 - 0.1 * face.iod_px])
    # Stay inside the portrait when it is big enough: repeated edges look smeared.
    side = min(FACE_CROP_IODS * face.iod_px, portrait.width, portrait.height)
    x0, y0 = np.clip(centre - side / 2, 0, [portrait.width - side, portrait.height - side])
    scale = side_px / side
    # Affine crop; tiny portraits repeat their edge beyond the crop.
    affine = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]], np.float32)
    src = portrait.pixels
    if scale < 0.5:  # pre-shrink so the affine sampling does not alias
        src = cv2.resize(src, None, fx=scale * 2, fy=scale * 2, interpolation=cv2.INTER_AREA)
        affine[:, :2] /= scale * 2
    image = cv2.warpAffine(src, affine, (side_px, side_px), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
    landmarks = lm.copy()
    landmarks[:, 0] = (lm[:, 0] - x0) * scale
    landmarks[:, 1] = (lm[:, 1] - y0) * scale
    landmarks[:, 2] = lm[:, 2] * scale
    return Canvas(image, landmarks.astype(np.float32))


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)
