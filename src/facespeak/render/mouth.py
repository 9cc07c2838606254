"""The inside of the mouth where the lips part.

Painted per frame in a small box around the lips, in mouth coordinates
(u across the mouth, -1..1 corner to corner; v down, in inter-ocular
distances): a dark cavity, upper teeth fixed to the skull just under the
upper lip, lower teeth riding on the jaw, and a tongue that rises for
l/n/t/d/th. Colours come from the portrait's lips and skin so the interior
sits in the same light. Portraits that already show teeth keep their own:
that patch moves rigidly with the head and the painted interior only fills
what it does not cover. The lips' anti-aliased inner contour is the mask, so
there is no box or halo.
"""

from __future__ import annotations

import cv2
import numpy as np

from facespeak.face import geometry as g
from facespeak.render.rig import FaceRig, RigPose

INNER_POLYGON = list(g.INNER_LIP_UPPER) + list(reversed(g.INNER_LIP_LOWER[1:-1]))
SUBPIXEL_BITS = 4
PARTED_GAP_IOD = 0.02
"""Source inner-lip gaps (IOD) above this count as parted lips, which may show teeth."""
OWN_TEETH_SHARE = 0.15
"""Parted lips show the portrait's own teeth if at least this share of the gap
looks like teeth: brighter than the lips by a quarter and unsaturated (a smile
with parted lips but no teeth showing measures 0.00-0.07 on the real
portraits, the demo's toothy smile 0.26)."""
UPPER_TEETH_SHOW_IOD = 0.035
"""How far the upper incisors show below the resting upper lip (about 3 mm)."""
LOWER_TEETH_MAX_IOD = 0.06
"""How much of the lower teeth shows above the lower lip on the widest openings."""


class MouthPainter:
    def __init__(self, image: np.ndarray, rig: FaceRig):
        self.rig = rig
        self.iod = rig.iod
        mesh = rig.mesh
        self.lip_rgb = _mean_colour(image, mesh[list(g.OUTER_LIP_LOWER)][:, :2])
        skin = _mean_colour(image, mesh[[50, 280, 205, 425, 187, 411]][:, :2])
        # Teeth a little brighter than the skin around the mouth, warm white,
        # tinted by the light that colours the skin.
        light = float(np.clip(1.1 * skin.max() / 240.0, 0.45, 1.0))
        self.teeth_rgb = np.clip(np.array([246.0, 240.0, 222.0]) * light
                                 * (0.9 + 0.1 * skin / max(skin.mean(), 1)), 0, 255)
        self.cavity_rgb = self.lip_rgb * 0.3 + 4
        self.tongue_rgb = np.clip(self.lip_rgb * 0.75 + np.array([25, 4, 6]), 0, 255)
        # float32 like the per-frame arrays, so products with them stay float32.
        self.teeth_rgb, self.cavity_rgb, self.tongue_rgb = (
            c.astype(np.float32) for c in (self.teeth_rgb, self.cavity_rgb, self.tongue_rgb))
        self.source_image = image
        self.source_mask = _polygon_mask(image.shape[:2], mesh[INNER_POLYGON][:, :2])
        self.parted = rig.source_gap > PARTED_GAP_IOD
        """The portrait's lips are parted (the warp must not sample their gap)."""
        self.own_teeth = (self.parted and _teeth_share(image, self.source_mask, self.lip_rgb)
                          >= OWN_TEETH_SHARE)

    def paint(self, frame: np.ndarray, pose: RigPose, values: dict[str, float]) -> None:
        """Composite the interior into ``frame`` (in place) for one posed frame."""
        poly = pose.points[INNER_POLYGON]
        if cv2.contourArea(poly) < 2.0:
            return
        h, w = frame.shape[:2]
        x0, y0 = np.maximum(np.floor(poly.min(0)).astype(int) - 2, 0)
        x1, y1 = np.minimum(np.ceil(poly.max(0)).astype(int) + 3, [w, h])
        if x1 - x0 < 2 or y1 - y0 < 2:
            return
        mask = _polygon_mask((y1 - y0, x1 - x0), poly - [x0, y0])
        interior = self._interior(pose, values, (x0, y0, x1, y1))
        if self.own_teeth:
            self._overlay_own_teeth(interior, pose, (x0, y0, x1, y1))
        sigma = max(0.025 * self.iod, 1.0)
        shade = 0.62 + 0.38 * cv2.GaussianBlur(mask, (0, 0), sigma) ** 0.7
        interior *= shade[..., None]
        region = frame[y0:y1, x0:x1].astype(np.float32)
        m = mask[..., None]
        frame[y0:y1, x0:x1] = (region * (1 - m) + interior * m + 0.5).astype(np.uint8)

    def _mouth_coords(self, pose: RigPose, box: tuple[int, int, int, int]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(u, v) of every box pixel, and the rigidly moved rest mouth points."""
        x0, y0, x1, y1 = box
        rest = self.rig.rigid_points(self.rig.mesh, pose)
        right, left = rest[61], rest[291]
        origin = (rest[13] + rest[14]) / 2
        ex = (left - right) / np.linalg.norm(left - right)
        ey = np.array([-ex[1], ex[0]])
        half = np.linalg.norm(left - right) / 2
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        dx, dy = xs - origin[0], ys - origin[1]
        u = (dx * ex[0] + dy * ex[1]) / half
        v = (dx * ey[0] + dy * ey[1]) / self.iod
        return u, v, np.column_stack([((rest - origin) @ ex) / half, ((rest - origin) @ ey) / self.iod])

    def _interior(self, pose: RigPose, values: dict[str, float],
                  box: tuple[int, int, int, int]) -> np.ndarray:
        u, v, rest_uv = self._mouth_coords(pose, box)
        upper_lip = _curve(rest_uv, g.INNER_LIP_UPPER, u)
        opening, _ = self.rig.mouth_amounts(values["jaw_open"], values["lip_press"])
        lower_lip = _curve(rest_uv, g.INNER_LIP_LOWER, u) + opening
        across = np.clip(np.abs(u), 0, 1.2)
        depth = 1.0 - 0.45 * across ** 2                       # darker toward the corners
        # The upper incisors' edges sit a little below the resting upper lip
        # (more shows as the lip lifts); between them and the lower teeth the
        # jaw opens a dark gap, as in speech: a small opening is not a clench.
        upper_bottom = upper_lip + UPPER_TEETH_SHOW_IOD * (1 - 0.55 * across ** 2)
        # The cavity is darkest in the shadow of the upper teeth and toward the corners.
        shadow = 0.55 + 0.45 * np.clip((v - upper_bottom) / 0.12, 0, 1)
        out = np.empty(u.shape + (3,), np.float32)
        out[:] = self.cavity_rgb
        out *= ((0.7 + 0.3 * depth) * shadow)[..., None]
        # The tongue lies on the floor of the mouth, behind the lower teeth, and
        # rises for l/n/t/d/th; a wide-open mouth shows more of it (it rides on
        # the jaw), its far part darker than its tip.
        rise = 0.04 + 0.14 * values["tongue"] + 0.3 * max(opening - 0.1, 0.0)
        tongue_top = lower_lip - rise * (1 - 0.6 * across ** 2)
        near = 0.7 + 0.3 * np.clip((v - tongue_top) / max(rise, 1e-3), 0, 1)
        _blend(out, self.tongue_rgb * ((0.55 + 0.45 * depth) * near)[..., None],
               _edge(v - tongue_top, 0.02) * _edge(0.95 - across, 0.1))
        # Lower teeth rise above the lower lip only as the jaw drops well open.
        lower_height = LOWER_TEETH_MAX_IOD * float(np.clip((opening - 0.04) / 0.2, 0.0, 1.0))
        lower_top = lower_lip - lower_height * (1 - 0.5 * across ** 2)
        _blend(out, self._teeth(u, 0.8), _edge(v - lower_top, 0.006) * _edge(0.72 - across, 0.05))
        _blend(out, self._teeth(u, 0.92), _edge(upper_bottom - v, 0.006) * _edge(0.8 - across, 0.05))
        return out

    def _teeth(self, u: np.ndarray, brightness: float) -> np.ndarray:
        """Teeth colour with shading toward the corners and faint gaps between teeth."""
        index = np.clip(((u + _LUT_REACH) * _LUT_PER_U).astype(np.int32), 0, len(_TEETH_SHADE) - 1)
        return (self.teeth_rgb * np.float32(brightness)) * _TEETH_SHADE[index][..., None]

    def _overlay_own_teeth(self, interior: np.ndarray, pose: RigPose,
                           box: tuple[int, int, int, int]) -> None:
        """The portrait's own mouth interior, moved rigidly with the head."""
        x0, y0, _, _ = box
        ids = [61, 291, 2]
        src = self.rig.mesh[ids][:, :2].astype(np.float32)
        dst = (self.rig.rigid_points(self.rig.mesh[ids], pose) - [x0, y0]).astype(np.float32)
        affine = cv2.getAffineTransform(src, dst)
        size = (interior.shape[1], interior.shape[0])
        patch = cv2.warpAffine(self.source_image, affine, size, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        alpha = cv2.warpAffine(self.source_mask, affine, size, flags=cv2.INTER_LINEAR)
        _blend(interior, patch, alpha)


def _teeth_shade(u: np.ndarray) -> np.ndarray:
    """Shade of the teeth across the mouth (u): each tooth a rounded surface,
    lit in its middle and darker toward its edges, with a fine dark line where
    neighbours meet; widest at the middle (central incisors), and the row
    darker as it turns back toward the corners."""
    edges = np.array([-0.9, -0.68, -0.5, -0.27, 0.0, 0.27, 0.5, 0.68, 0.9])
    k = np.clip(np.searchsorted(edges, u) - 1, 0, len(edges) - 2)
    left, right = edges[k], edges[k + 1]
    across_tooth = np.clip((u - left) / (right - left), 0.0, 1.0)  # 0..1 within a tooth
    rounded = 0.93 + 0.07 * np.sin(np.pi * across_tooth) ** 0.6
    dist = np.abs(u[:, None] - edges).min(-1)
    line = 1.0 - 0.07 * np.exp(-(dist / 0.01) ** 2)
    return ((1.0 - 0.45 * np.clip(np.abs(u), 0, 1) ** 2) * rounded * line).astype(np.float32)


# The shade depends on u alone: tabulated once, looked up per pixel.
_LUT_REACH, _LUT_PER_U = 1.5, 400
_TEETH_SHADE = _teeth_shade(np.arange(-_LUT_REACH, _LUT_REACH, 1 / _LUT_PER_U))


def _curve(rest_uv: np.ndarray, ids: tuple[int, ...], u: np.ndarray) -> np.ndarray:
    pts = rest_uv[list(ids)]
    order = np.argsort(pts[:, 0])
    return np.interp(u, pts[order, 0], pts[order, 1]).astype(np.float32)


def _edge(x: np.ndarray, soft: float) -> np.ndarray:
    """0 -> 1 ramp across zero over ``soft`` (anti-aliased boundaries)."""
    return np.clip(x / soft + 0.5, 0.0, 1.0).astype(np.float32)


def _blend(base: np.ndarray, top: np.ndarray, alpha: np.ndarray) -> None:
    base += (top - base) * alpha[..., None]


def _polygon_mask(shape: tuple[int, int], poly: np.ndarray) -> np.ndarray:
    """Anti-aliased filled polygon, float32 0..1."""
    mask = np.zeros(shape, np.uint8)
    pts = np.round(poly * (1 << SUBPIXEL_BITS)).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, cv2.LINE_AA, SUBPIXEL_BITS)
    return mask.astype(np.float32) / 255.0


def _teeth_share(image: np.ndarray, mask: np.ndarray, lip_rgb: np.ndarray) -> float:
    """Share of the pixels inside ``mask`` that look like teeth."""
    inside = mask > 0.5
    if not inside.any():
        return 0.0
    pixels = image[inside].astype(np.float32)
    saturation = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[inside][:, 1]
    teeth = (pixels.mean(1) > 1.25 * lip_rgb.mean()) & (saturation < 0.4 * 255)
    return float(teeth.mean())


def _mean_colour(image: np.ndarray, points_xy: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    xy = np.clip(np.round(points_xy).astype(int), 0, [w - 1, h - 1])
    patches = [image[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3].reshape(-1, 3) for x, y in xy]
    return np.concatenate(patches).astype(np.float32).mean(0)
