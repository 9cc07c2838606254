"""The mark every facespeak video carries, as AnyoneNet's seed asks: a small
"AI-generated" label in a corner of the picture, drawn once and blended into
each frame. (The MP4 also says so in its metadata: see ``media.encode``.)"""

from __future__ import annotations

import cv2
import numpy as np

LABEL = "AI-generated"
HEIGHT_SHARE = 0.024
"""Label text height as a share of the frame's height (at least 9 px)."""
OPACITY = 0.55


class Watermark:
    """Precomputed label and alpha for one frame size; ``apply`` blends it in place."""

    def __init__(self, width: int, height: int, text: str = LABEL):
        text_px = max(9.0, HEIGHT_SHARE * height)
        font = cv2.FONT_HERSHEY_SIMPLEX
        scale = text_px / cv2.getTextSize(text, font, 1.0, 1)[0][1]
        thickness = max(1, round(scale * 1.2))
        (tw, th), base = cv2.getTextSize(text, font, scale, thickness)
        pad = thickness + 1
        outline = np.zeros((th + base + 2 * pad, tw + 2 * pad), np.uint8)
        fill = outline.copy()
        org = (pad, pad + th)
        cv2.putText(outline, text, org, font, scale, 255, thickness + 2, cv2.LINE_AA)
        cv2.putText(fill, text, org, font, scale, 255, thickness, cv2.LINE_AA)
        margin = max(4, round(0.02 * min(width, height)))
        ph, pw = fill.shape
        self.x0 = max(width - margin - pw, 0)
        self.y0 = max(height - margin - ph, 0)
        ph, pw = min(ph, height - self.y0), min(pw, width - self.x0)
        fill, outline = fill[:ph, :pw] / 255.0, outline[:ph, :pw] / 255.0
        # White text on a dark halo: readable on any background.
        cover = np.maximum(fill, 0.8 * outline)
        self.alpha = (OPACITY * cover)[..., None].astype(np.float32)
        self.colour = (255.0 * np.clip(fill / np.maximum(cover, 1e-6), 0, 1)
                       )[..., None].astype(np.float32)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        ph, pw = self.alpha.shape[:2]
        region = frame[self.y0:self.y0 + ph, self.x0:self.x0 + pw]
        region[:] = (region + (self.colour - region) * self.alpha + 0.5).astype(np.uint8)
        return frame
