"""The face rig: where every control point goes for one frame of motion.

Control points are the 468 Face Mesh points plus three rings around the face:
an inner ring (hair, skull) that turns with the head, a middle ring that
follows it partly, and an outer ring and the frame border that stay put, so
hair moves with the head while shoulders and background do not.

Expressions are linear bases in 3-D image space, built once in the face's
own (rotation-removed) frame: a jaw that rotates open about a pivot behind
the face, a seal that brings parted lips together (portraits that already
show teeth), lip spreading and rounding, and eyelids that close.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facespeak.face import geometry as g
from facespeak.face.geometry import rotation_from_euler

N_MESH = 468
MAX_GAP_IOD = 0.52
"""Inner-lip gap at jaw_open = 1, in inter-ocular distances. Set so that speech
opens as far as on the real clips (voiced aperture median 0.116, 95th percentile
0.24): at 0.40 the photographs measured 0.080-0.087 / 0.15-0.20, at 0.52
0.094-0.114 / 0.21-0.25 (docs/gallery.md)."""
RING_SCALES = (1.28, 1.75, 2.7)
RING_TOP_WEIGHTS = (1.0, 0.45, 0.0)
RING_BOTTOM_WEIGHTS = (0.25, 0.0, 0.0)


@dataclass(frozen=True, eq=False)
class RigPose:
    """One frame's posed control points and the rigid transform used."""

    points: np.ndarray
    """(n_control, 2) float32 target positions, output pixels."""
    rotation: np.ndarray
    """(3, 3) head rotation relative to the portrait."""
    translation: np.ndarray
    """(3,) pixels, applied after rotating about ``FaceRig.centre``."""


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _spread(points: np.ndarray, drivers: np.ndarray, moves: np.ndarray,
            sigma: float) -> np.ndarray:
    """Displacements for ``points`` that follow nearby ``drivers``' ``moves``
    with a Gaussian falloff; far points do not move."""
    d2 = ((points[:, None, :2] - drivers[None, :, :2]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * sigma ** 2))
    return (w @ moves) / (w.sum(1, keepdims=True) + 0.35)


class FaceRig:
    """Control points of one portrait and the bases that move them."""

    def __init__(self, landmarks_px: np.ndarray, frame_size: tuple[int, int]):
        mesh = landmarks_px[:N_MESH].astype(np.float64)
        self.iod = g.inter_ocular_px(mesh)
        _, self.r0, _ = g.fit_head_pose(mesh)
        self.centre = mesh.mean(0) + np.array([0.0, 0.15, 0.9]) * self.iod  # middle of the skull
        canon = (mesh - mesh.mean(0)) @ self.r0 / self.iod  # frontal, IOD units
        self.source_gap = float(np.linalg.norm(mesh[13] - mesh[14]) / self.iod)
        bases = {
            "open": self._jaw_basis(canon),
            "seal": self._seal_basis(canon),
            "width": self._width_basis(canon),
            "round": self._round_basis(canon),
            "blink_r": self._blink_basis(canon, g.RIGHT_EYE_UPPER, g.RIGHT_EYE_LOWER),
            "blink_l": self._blink_basis(canon, g.LEFT_EYE_UPPER, g.LEFT_EYE_LOWER),
        }
        # Bases back to image axes and pixels.
        self.bases = {k: (v @ self.r0.T * self.iod).astype(np.float64) for k, v in bases.items()}
        self.rings, self.ring_weights = self._rings(mesh, frame_size)
        self.source = np.vstack([mesh, self.rings])
        self.mesh = mesh

    # ---------------------------------------------------------------- bases
    def _mouth_sides(self, canon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lower-jaw membership 0..1, lateral falloff) of every point."""
        up = canon[list(g.INNER_LIP_UPPER)]
        lo = canon[list(g.INNER_LIP_LOWER)]
        order = np.argsort(up[:, 0])
        mid_y = np.interp(canon[:, 0], up[order, 0], (up[order, 1] + lo[order, 1]) / 2)
        member = _smoothstep(canon[:, 1] - mid_y, -0.015, 0.03)
        member[list(g.INNER_LIP_UPPER[1:-1])] = 0.0
        member[list(g.INNER_LIP_LOWER[1:-1])] = 1.0
        half_w = abs(canon[291, 0] - canon[61, 0]) / 2
        beside = np.maximum(np.abs(canon[:, 0] - canon[[13, 14], 0].mean()) - half_w, 0)
        return member, np.exp(-(beside / 0.45) ** 2)

    def _jaw_basis(self, canon: np.ndarray) -> np.ndarray:
        """Lower jaw rotating open; unit = 1 IOD more gap at the lip centre."""
        member, lateral = self._mouth_sides(canon)
        pivot_z = canon[[234, 454], 2].mean() + 0.15
        lever = np.maximum(pivot_z - canon[:, 2], 0.0)
        below = canon[:, 1] - canon[[61, 291], 1].mean()
        weight = member * (0.55 + 0.45 * lateral) * _smoothstep(below, -0.6, 0.0)
        # Lip corners are tied to the cheeks: near the mouth the opening is an oval.
        half_w = abs(canon[291, 0] - canon[61, 0]) / 2
        across = np.clip(np.abs(canon[:, 0] - canon[[13, 14], 0].mean()) / half_w, 0, 1)
        near_lips = np.exp(-(np.maximum(below, 0) / 0.3) ** 2)
        weight *= 1 - near_lips * 0.8 * across ** 2
        disp = np.zeros_like(canon)
        disp[:, 1] = weight * lever
        disp[:, 2] = -weight * 0.3 * np.maximum(below, 0)
        # The upper lip lifts a little as the mouth opens.
        upper = (1 - member) * _smoothstep(-(canon[:, 1] - canon[13, 1]), -0.05, 0.0)
        upper *= np.exp(-((canon[:, 0] - canon[13, 0]) / 0.4) ** 2) * \
            np.exp(-((canon[:, 1] - canon[13, 1]) / 0.25) ** 2)
        disp[:, 1] -= 0.12 * upper * lever
        gap = (disp[14, 1] - disp[13, 1])
        return disp / max(gap, 1e-6)

    def _seal_basis(self, canon: np.ndarray) -> np.ndarray:
        """Inner lips meet at their midline; unit = fully sealed."""
        pairs = list(zip(g.INNER_LIP_UPPER[1:-1], g.INNER_LIP_LOWER[1:-1]))
        drivers, moves = [], []
        for u, lo in pairs:
            mid = (canon[u] + canon[lo]) / 2
            drivers += [canon[u], canon[lo]]
            moves += [mid - canon[u], mid - canon[lo]]
        disp = _spread(canon, np.array(drivers), np.array(moves), 0.05)
        for (u, lo), i in zip(pairs, range(0, 2 * len(pairs), 2)):
            disp[u], disp[lo] = moves[i], moves[i + 1]
        return disp

    def _width_basis(self, canon: np.ndarray) -> np.ndarray:
        """Mouth corners outward; unit = each corner 0.07 IOD."""
        right, left = canon[61], canon[291]
        drivers = np.array([right, left, canon[78], canon[308]])
        moves = np.array([[-0.07, -0.006, 0], [0.07, -0.006, 0], [-0.06, 0, 0], [0.06, 0, 0]])
        return _spread(canon, drivers, moves, 0.11)

    def _round_basis(self, canon: np.ndarray) -> np.ndarray:
        """Lips pushed forward into an 'o': corners in, lip centres apart."""
        inward = -0.9 * self._width_basis(canon)
        drivers = np.array([canon[0], canon[17], canon[13], canon[14]])
        moves = np.array([[0, -0.02, -0.06], [0, 0.02, -0.06], [0, -0.012, -0.05], [0, 0.012, -0.05]])
        return inward + _spread(canon, drivers, moves, 0.09)

    def _blink_basis(self, canon: np.ndarray, upper: tuple[int, ...], lower: tuple[int, ...]
                     ) -> np.ndarray:
        """Upper lid down onto the lower lid (which rises a little)."""
        ups, los = np.array(upper[1:-1]), np.array(lower[1:-1])
        meet = 0.82 * canon[los] + 0.18 * canon[ups]
        drivers = np.vstack([canon[ups], canon[los]])
        moves = np.vstack([meet - canon[ups], meet - canon[los]])
        moves[:, 2] = 0
        disp = _spread(canon, drivers, moves, 0.06)
        disp[ups], disp[los] = moves[: len(ups)], moves[len(ups):]
        return disp

    # ---------------------------------------------------------------- rings
    def _rings(self, mesh: np.ndarray, frame_size: tuple[int, int]
               ) -> tuple[np.ndarray, np.ndarray]:
        """Ring control points (x, y, z) and their share of the head's motion."""
        oval = mesh[list(g.FACE_OVAL)]
        centre = oval.mean(0)
        pts, weights = [], []
        for scale, top_w, bot_w in zip(RING_SCALES, RING_TOP_WEIGHTS, RING_BOTTOM_WEIGHTS):
            ring = centre + (oval - centre) * np.array([scale, scale, 1.0])
            ring[:, 2] += 0.4 * self.iod * (scale - 1)
            v = (ring[:, 1] - centre[1]) / (np.abs(ring[:, 1] - centre[1]).max() + 1e-9)
            weights.append(top_w + (bot_w - top_w) * _smoothstep(v, 0.1, 0.8))
            pts.append(ring)
        outer = pts[-1][:, :2]
        w, h = frame_size
        x0, y0 = np.clip(np.floor(outer.min(0)), 0, None).astype(int)
        x1, y1 = np.minimum(np.ceil(outer.max(0)), [w, h]).astype(int)
        self.roi = (int(x0), int(y0), int(x1), int(y1))
        edge = [(x, y) for x in np.linspace(x0 - 8, x1 + 8, 9) for y in (y0 - 8, y1 + 8)] + \
               [(x, y) for x in (x0 - 8, x1 + 8) for y in np.linspace(y0 - 8, y1 + 8, 9)[1:-1]]
        pts.append(np.column_stack([np.array(edge), np.zeros(len(edge))]))
        weights.append(np.zeros(len(edge)))
        return np.vstack(pts), np.concatenate(weights)

    # ---------------------------------------------------------------- posing
    def mouth_amounts(self, jaw_open: float, lip_press: float) -> tuple[float, float]:
        """(extra opening in IOD, seal 0..1) that give the wanted inner-lip gap."""
        press = min(max(lip_press, 0.0), 1.0)
        want = MAX_GAP_IOD * max(jaw_open, 0.0) * (1.0 - press)
        if want >= self.source_gap:
            return want - self.source_gap, 0.0
        return 0.0, 1.0 - want / max(self.source_gap, 1e-6)

    def rigid(self, v: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        rot = rotation_from_euler(v["yaw_deg"], v["pitch_deg"], v["roll_deg"])
        shift = np.array([v["shift_x"], v["shift_y"], 0.0]) * self.iod
        return rot, shift

    def expression(self, v: dict[str, float]) -> np.ndarray:
        """(468, 3) expression displacement in pixels, before head motion."""
        opening, seal = self.mouth_amounts(v["jaw_open"], v["lip_press"])
        b = self.bases
        # Pressed lips stay shut: spreading and rounding would part them again.
        free = 1.0 - min(max(v["lip_press"], 0.0), 1.0)
        return (opening * b["open"] + seal * b["seal"] + free * v["lip_width"] * b["width"]
                + free * v["lip_round"] * b["round"] + v["blink"] * (b["blink_r"] + b["blink_l"]))

    def pose(self, v: dict[str, float]) -> RigPose:
        """Target positions of all control points for one frame's channel values."""
        rot, shift = self.rigid(v)
        mesh = self.mesh + self.expression(v)
        moved_mesh = (mesh - self.centre) @ rot.T + self.centre + shift
        rings = self.rings
        moved_rings = (rings - self.centre) @ rot.T + self.centre + shift
        rings_xy = rings[:, :2] + self.ring_weights[:, None] * (moved_rings - rings)[:, :2]
        points = np.vstack([moved_mesh[:, :2], rings_xy]).astype(np.float32)
        return RigPose(points, rot, shift)

    def rigid_points(self, points: np.ndarray, pose: RigPose) -> np.ndarray:
        """Move (n, 3) source-space points with the head only (no expression)."""
        return ((points - self.centre) @ pose.rotation.T + self.centre + pose.translation)[:, :2]
