"""Render a motion track on a portrait, one frame at a time.

Everything that does not change per frame (framing, rig bases, warp weights,
mouth colours, the still background) is built once in ``FaceRenderer``;
``frames()`` then yields each video frame for streaming into the encoder.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from facespeak.render.eyes import EyelidPainter
from facespeak.render.layout import Canvas
from facespeak.render.mouth import MouthPainter
from facespeak.render.rig import FaceRig
from facespeak.render.warp import DenseWarp
from facespeak.types import MotionTrack


class FaceRenderer:
    """Classical 2-D renderer: mesh-driven dense warp plus a painted mouth interior."""

    name = "warp"

    def __init__(self, canvas: Canvas):
        self.canvas = canvas
        h, w = canvas.image.shape[:2]
        self.rig = FaceRig(canvas.landmarks_px, (w, h))
        self.warp = DenseWarp(self.rig.source[:, :2], self.rig.roi)
        self.mouth = MouthPainter(canvas.image, self.rig)
        self.eyelids = EyelidPainter(canvas.image, self.rig)
        x0, y0, _, _ = self.rig.roi
        ow, oh = self.warp.out_size
        self.region = (x0, y0, min(x0 + ow, w), min(y0 + oh, h))
        self.source = self._source_with_lip_gap_filled(canvas.image)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return self.canvas.image.shape[1], self.canvas.image.shape[0]

    def _source_with_lip_gap_filled(self, image: np.ndarray) -> np.ndarray:
        """The image the warp samples: where the portrait's lips are parted, the
        gap is filled with lip colour so lips closing over it do not smear its
        teeth or darkness into a line between them."""
        if not self.mouth.parted:
            return image
        import cv2

        from facespeak.render.mouth import INNER_POLYGON

        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(self.rig.mesh[INNER_POLYGON][:, :2]).astype(np.int32)], 255)
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
        return cv2.inpaint(image, mask, 3, cv2.INPAINT_TELEA)

    def render_frame(self, values: dict[str, float]) -> np.ndarray:
        """One (H, W, 3) uint8 RGB frame for one frame's channel values."""
        pose = self.rig.pose(values)
        x0, y0, x1, y1 = self.region
        warped = self.warp.warp(self.source, pose.points)
        if self.region == (0, 0, *self.size) and warped.shape == self.canvas.image.shape:
            # The animated region is the whole frame (a face crop): nothing to paste into.
            frame = warped
        else:
            frame = self.canvas.image.copy()
            frame[y0:y1, x0:x1] = warped[: y1 - y0, : x1 - x0]
        self.mouth.paint(frame, pose, values)
        self.eyelids.paint(frame, pose, values["blink"])
        return frame

    def frames(self, track: MotionTrack) -> Iterator[np.ndarray]:
        for i in range(track.n_frames):
            yield self.render_frame(track.frame(i))
