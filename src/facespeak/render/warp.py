"""Dense image warp from moved control points.

Set-up (once per portrait): a Delaunay triangulation of the source control
points and the barycentric weights of a coarse grid over the animated
region, as a sparse matrix. Per frame: forward displacements on the grid are
one sparse product; the backward map (which source pixel each output pixel
shows) comes from a few fixed-point steps x = y - D(x) on the coarse grid,
is upsampled, and drives one ``cv2.remap`` of the region.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import Delaunay

GRID_STEP_PX = 4
FIXED_POINT_STEPS = 3


class DenseWarp:
    def __init__(self, source_points: np.ndarray, roi: tuple[int, int, int, int],
                 step: int = GRID_STEP_PX):
        x0, y0, x1, y1 = roi
        self.step = step
        self.gw = max(int(np.ceil((x1 - x0) / step)), 2)
        self.gh = max(int(np.ceil((y1 - y0) / step)), 2)
        self.origin = np.array([x0, y0], np.float32)
        # Grid nodes sit where cv2.resize puts source pixel centres when scaling by `step`.
        gx = x0 + (np.arange(self.gw) + 0.5) * step - 0.5
        gy = y0 + (np.arange(self.gh) + 0.5) * step - 0.5
        self.grid = np.stack(np.meshgrid(gx, gy), -1).astype(np.float32)       # (gh, gw, 2)
        self.weights = _barycentric_matrix(source_points, self.grid.reshape(-1, 2))
        self.source_points = source_points.astype(np.float32)
        full_x = np.arange(x0, x0 + self.gw * step, dtype=np.float32)
        full_y = np.arange(y0, y0 + self.gh * step, dtype=np.float32)
        self.identity = np.stack(np.meshgrid(full_x, full_y), -1)              # (H, W, 2)
        self.out_size = (self.gw * step, self.gh * step)

    def backward_map(self, target_points: np.ndarray) -> np.ndarray:
        """(H, W, 2) float32 absolute source coordinates for every output pixel of the region."""
        forward = (self.weights @ (target_points - self.source_points)).astype(np.float32)
        forward = forward.reshape(self.gh, self.gw, 2)
        scale = 1.0 / self.step
        source = self.grid - forward
        for _ in range(FIXED_POINT_STEPS - 1):
            node = (source - self.origin) * scale - 0.5 + 0.5 * scale
            sampled = cv2.remap(forward, node[..., 0], node[..., 1], cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
            source = self.grid - sampled
        offset = cv2.resize(source - self.grid, self.out_size, interpolation=cv2.INTER_LINEAR)
        offset += self.identity
        return offset

    def warp(self, image: np.ndarray, target_points: np.ndarray) -> np.ndarray:
        """The region of the output frame, (H, W, 3) uint8, sampled from ``image``."""
        return cv2.remap(image, self.backward_map(target_points), None, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)


def _barycentric_matrix(points: np.ndarray, queries: np.ndarray) -> csr_matrix:
    """Sparse (n_queries, n_points) linear-interpolation weights over a Delaunay mesh."""
    tri = Delaunay(points.astype(np.float64))
    simplex = tri.find_simplex(queries)
    if (simplex < 0).any():  # outside the hull: nearest triangle, clamped weights
        inside = simplex >= 0
        simplex[~inside] = tri.find_simplex(
            _clamp_into_hull(points, queries[~inside]))
        simplex[simplex < 0] = 0
    t = tri.transform[simplex]                                     # (n, 3, 2)
    b = np.einsum("nij,nj->ni", t[:, :2], queries - t[:, 2])
    bary = np.clip(np.column_stack([b, 1 - b.sum(1)]), 0, 1)
    bary /= bary.sum(1, keepdims=True)
    rows = np.repeat(np.arange(len(queries)), 3)
    return csr_matrix((bary.ravel(), (rows, tri.simplices[simplex].ravel())),
                      shape=(len(queries), len(points)))


def _clamp_into_hull(points: np.ndarray, queries: np.ndarray) -> np.ndarray:
    centre = points.mean(0)
    return centre + (queries - centre) * 0.98
