"""Closed eyelids for blinks.

The warp pulls the upper lid down onto the lower one, but it cannot make the
eye opening vanish: a squashed strip of iris and white stays between the
lids. So, as the blink closes, the opening is covered with the portrait's own
upper-lid skin (the band just above the lid, moved down onto the opening),
shaded a little darker, with the lash line along the lower edge where closed
lids meet: a smooth arc, widest in the middle and tapering to the corners,
dark and thick enough to read as closed lashes (Face Mesh reads a thin or
faint line on a painted or grey portrait as a half-open eye). The mask is
the rigidly moved rest opening, anti-aliased and feathered, so nothing shows
at its border.
"""

from __future__ import annotations

import cv2
import numpy as np

from facespeak.face import geometry as g
from facespeak.render.rig import FaceRig, RigPose

EYES = ((g.RIGHT_EYE_UPPER, g.RIGHT_EYE_LOWER), (g.LEFT_EYE_UPPER, g.LEFT_EYE_LOWER))
COVER_FROM, COVER_TO = 0.35, 0.75
"""The lid skin fades in over this range of the blink channel."""
LID_SHADE = 0.97
LASH_AT = 0.8
"""Closed lids meet this far from the upper lid toward the lower one (as the rig's blink)."""
LASH_OPACITY = 0.85
LASH_WIDTH_IOD = 0.02
"""The lash line's width in the middle, in inter-ocular distances."""
LASH_CORNER_WIDTH = 0.35
"""Its width at the eye corners, as a share of the middle's."""
LASH_SAMPLES = 24
SUBPIXEL_BITS = 4


class EyelidPainter:
    def __init__(self, image: np.ndarray, rig: FaceRig):
        self.rig = rig
        self.eyes = [_EyeRest(image, rig.mesh, upper, lower, rig.iod) for upper, lower in EYES]

    def paint(self, frame: np.ndarray, pose: RigPose, blink: float) -> None:
        """Cover the eye openings in ``frame`` (in place) as far as ``blink`` asks."""
        cover = float(np.clip((blink - COVER_FROM) / (COVER_TO - COVER_FROM), 0.0, 1.0))
        if cover <= 0.0:
            return
        cover = cover * cover * (3 - 2 * cover)
        for eye in self.eyes:
            eye.paint(frame, self.rig.rigid_points(eye.outline3d, pose), cover)


class _EyeRest:
    """One eye's rest outline and its lid-skin patch, in portrait pixels."""

    def __init__(self, image: np.ndarray, mesh: np.ndarray, upper: tuple[int, ...],
                 lower: tuple[int, ...], iod: float):
        self.outline3d = mesh[list(upper) + list(reversed(lower[1:-1]))]
        outline = self.outline3d[:, :2]
        opening = float(np.ptp(outline[:, 1]))
        self.feather = max(0.012 * iod, 0.6)
        h, w = image.shape[:2]
        pad = int(np.ceil(opening + 4 * self.feather)) + 2
        x0, y0 = np.maximum(np.floor(outline.min(0)).astype(int) - pad, 0)
        x1, y1 = np.minimum(np.ceil(outline.max(0)).astype(int) + pad, [w, h])
        self.box = (int(x0), int(y0), int(x1), int(y1))
        # The skin above the lid, moved down by the opening's height, lies over the opening.
        shift = np.float32([[1, 0, 0], [0, 1, -opening * 1.2]])
        source = image[y0:y1, x0:x1].astype(np.float32)
        skin = cv2.warpAffine(source, shift, (x1 - x0, y1 - y0), borderMode=cv2.BORDER_REPLICATE)
        # Smoothed: the lid's shading stays, any crease or lash line that could
        # read as an open eye goes.
        skin = cv2.GaussianBlur(skin, (0, 0), max(0.03 * iod, 1.0))
        lash = np.percentile(source.reshape(-1, 3), 3, axis=0)
        # Matched to the skin right around the eye, so the closed lid is neither
        # a pale patch nor a dark hole.
        inside = _polygon_mask(source.shape[:2], outline - [x0, y0]) > 0.5
        around = cv2.dilate(inside.astype(np.uint8), np.ones((5, 5), np.uint8),
                            iterations=max(1, round(0.03 * iod))).astype(bool) & ~inside
        if inside.any() and around.any():
            skin *= source[around].mean(0) / np.maximum(skin[inside].mean(0), 1.0)
        self.lid = skin * LID_SHADE
        self.lash_rgb = lash
        self.n_upper = len(upper)  # the outline is upper lid, then lower lid backwards
        self.lash_width = max(LASH_WIDTH_IOD * iod, 1.0)

    def paint(self, frame: np.ndarray, outline: np.ndarray, cover: float) -> None:
        x0, y0, x1, y1 = self.box
        h, w = frame.shape[:2]
        # The head moves the eye: follow it with the patch (a translation is enough
        # for the few pixels a blink lasts).
        rest = self.outline3d[:, :2]
        dx, dy = (outline - rest).mean(0)
        ix, iy = int(round(dx)), int(round(dy))
        bx0, by0, bx1, by1 = x0 + ix, y0 + iy, x1 + ix, y1 + iy
        if bx0 < 0 or by0 < 0 or bx1 > w or by1 > h:
            return
        local = outline - [bx0, by0]
        mask = _polygon_mask((y1 - y0, x1 - x0), local)
        mask = cv2.GaussianBlur(mask, (0, 0), self.feather) * cover
        upper = local[: self.n_upper]
        lower = np.vstack([local[:1], local[self.n_upper:][::-1], local[self.n_upper - 1:self.n_upper]])
        meet = (1 - LASH_AT) * upper + LASH_AT * lower  # where closed lids meet
        lash = _lash_mask(mask.shape, meet, self.lash_width)
        lash *= LASH_OPACITY * cover
        region = frame[by0:by1, bx0:bx1].astype(np.float32)
        region += (self.lid - region) * mask[..., None]
        region += (self.lash_rgb - region) * lash[..., None]
        frame[by0:by1, bx0:bx1] = (region + 0.5).astype(np.uint8)


def _lash_mask(shape: tuple[int, int], meet: np.ndarray, width: float) -> np.ndarray:
    """The closed lash line: a parabola fitted to ``meet`` (the landmarks' own
    line is jagged), as a band that tapers from ``width`` to the corners, soft-edged."""
    x = meet[:, 0]
    curve = np.polyfit(x, meet[:, 1], 2)
    xs = np.linspace(x.min(), x.max(), LASH_SAMPLES)
    t = np.linspace(0.0, 1.0, LASH_SAMPLES)
    half = 0.5 * width * (LASH_CORNER_WIDTH + (1 - LASH_CORNER_WIDTH) * np.sin(np.pi * t))
    ys = np.polyval(curve, xs)
    band = np.vstack([np.c_[xs, ys - half], np.c_[xs, ys + half][::-1]])
    lash = _polygon_mask(shape, band)
    return cv2.GaussianBlur(lash, (0, 0), max(0.2 * width, 0.5))


def _polygon_mask(shape: tuple[int, int], poly: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    pts = np.round(poly * (1 << SUBPIXEL_BITS)).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, cv2.LINE_AA, SUBPIXEL_BITS)
    return mask.astype(np.float32) / 255.0
