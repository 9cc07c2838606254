"""Dense image warp from moved control points.

Set-up (once per portrait): a Delaunay triangulation of the source control
points and the barycentric weights of a coarse grid over the animated
region, as a sparse matrix. Per frame: forward displacements on the grid are
one sparse product; the backward map (which source pixel each output pixel
shows) comes from a few fixed-point steps x = y - D(x) on the coarse grid,
is upsampled as offsets, and drives one relative ``cv2.remap`` of the region
(no full-size coordinate grid to add per frame).
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
        grid = np.stack(np.meshgrid(gx, gy), -1).astype(np.float32)            # (gh, gw, 2)
        self.weights = _barycentric_matrix(source_points, grid.reshape(-1, 2))
        self.source_points = source_points.astype(np.float32)
        # Each node's own (column, row): where a zero displacement samples the grid.
        self.node_index = np.stack(np.meshgrid(np.arange(self.gw, dtype=np.float32),
                                               np.arange(self.gh, dtype=np.float32)), -1)
        self.out_size = (self.gw * step, self.gh * step)

    def backward_offsets(self, target_points: np.ndarray) -> np.ndarray:
        """(H, W, 2) float32: for every output pixel (x, y) of the region, the
        source pixel it shows, as an offset from (x - x0, y - y0)."""
        forward = (self.weights @ (target_points - self.source_points)).astype(np.float32)
        forward = forward.reshape(self.gh, self.gw, 2)
        moved = forward
        for _ in range(FIXED_POINT_STEPS - 1):
            # The displacement at the current source estimate (node - moved), in grid units.
            node = cv2.scaleAdd(moved, -1.0 / self.step, self.node_index)
            moved = cv2.remap(forward, node, None, cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
        return cv2.resize(self.origin - moved, self.out_size, interpolation=cv2.INTER_LINEAR)

    def warp(self, image: np.ndarray, target_points: np.ndarray) -> np.ndarray:
        """The region of the output frame, (H, W, 3) uint8, sampled from ``image``."""
        # A relative map adds each output pixel's own position within the region.
        # Where the head moves away from a picture edge that cuts through hair or
        # clothes, the pixels beyond it are mirrored: repeating the edge row
        # would draw streaks.
        return cv2.remap(image, self.backward_offsets(target_points), None,
                         cv2.INTER_LINEAR | cv2.WARP_RELATIVE_MAP,
                         borderMode=cv2.BORDER_REFLECT_101)


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
