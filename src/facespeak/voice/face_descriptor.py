"""An identity descriptor of a face: what stays the same for one person across
head poses and expressions (TTSF's "identity without motion", done by hand).

Geometry comes from ``FaceGeometry.canonical_px`` (head rotation removed),
measured in inter-ocular distances (IOD). Per-frame Face Mesh noise is about
2.5 % of the IOD on any single distance, so the one geometric quantity kept is
an average over many points: the mean distance of the 17 lower face-contour
points (temples excluded, jaw angle to chin) from the centre of the eyes, with
the jaw's opening taken out. It is large for adult faces with a long, wide lower
face and small for children and cartoon faces (big eyes, short lower face). Lips,
eyelids and brows are left out: they move with expression.

Appearance comes from a small crop aligned on the eyes and nose (a similarity
transform to MediaPipe's canonical face, 40 px between the eye corners), in
CIELAB: upper-lip darkening against the cheeks (a moustache), hair-coloured
pixels beside the cheeks (long hair), and lip redness against the nose (lip
colour). Regions are polygons of Face Mesh points, so they follow the face
whatever its pose. Skin tone is only used as the reference the other regions
are compared with, never as a cue of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from facespeak.face.geometry import LEFT_EYE_OUTER, RIGHT_EYE_OUTER, canonical_face_model
from facespeak.types import FaceGeometry

# ---------------------------------------------------------------- geometry
LOWER_CONTOUR = (132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397,
                 288, 361)
"""Face-oval points from one jaw angle round the chin to the other."""
EYE_CORNERS = (33, 133, 362, 263)
INNER_LIP_GAP = (13, 14)
JAW_OPENING_SHARE = 0.15
"""How much the mean contour distance grows per unit of inner-lip gap when the
jaw opens; 0.1-0.2 removes the correlation with the mouth opening in the two
real news clips (only the points near the chin move)."""
CONTOUR_RADIUS_MEAN_IOD = 1.100
CONTOUR_RADIUS_SD_IOD = 0.105
"""Mean and standard deviation of that radius over the ten real faces in
../shared/fixtures/real (eight portraits and the median frame of each news clip),
label-free: ``size`` 0 is their average and 1 one standard deviation more."""

# -------------------------------------------------------------- appearance
CROP_IOD_PX = 40.0
CROP_SIZE_PX = (128, 136)  # (width, height)
CROP_EYES_AT_PX = (64.0, 62.0)
ALIGN_POINTS = (33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 2, 98, 327)
"""Eye corners and nose: rigid under expression."""
CHEEKS = ((117, 118, 101, 36, 205, 187, 123, 116), (346, 347, 330, 266, 425, 411, 352, 345))
UPPER_LIP_SKIN = (186, 92, 98, 97, 2, 326, 327, 322, 410, 409, 270, 269, 267, 0, 37, 39, 40, 185)
"""Between the nose and the upper lip: where a moustache grows."""
LIPS_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181,
              91, 146)
LIPS_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178,
              88, 95)
NOSE = (168, 417, 351, 419, 248, 281, 5, 51, 3, 196, 122, 193)
FACE_SIDES = ((127, 234, 93, 132, 58), (356, 454, 323, 361, 288))
"""Face-oval points from the temple to the jaw angle, right and left."""
FOREHEAD_TOP = 10
SIDE_STRIP_IOD = (0.08, 0.40)
"""The strips beside the face searched for hair: from just outside the face
oval to this far out, in IODs."""
HAIR_SAMPLE_IOD = (0.15, 0.50, 0.30)
"""Hair colour is sampled above the top of the mesh (point 10): from 0.15 to
0.50 IOD above it, 0.30 IOD to either side."""
SAME_COLOUR_DELTA_E = 15.0
"""CIELAB distance under which two colours count as the same material."""
MIN_REGION_PX = 12


@dataclass(frozen=True)
class FaceDescriptor:
    """Identity measurements of one face, each robust to pose and expression."""

    size: float
    """Lower-face size in standard deviations of the reference faces (see
    ``CONTOUR_RADIUS_*``): about -1.5 for children, +1 for large adult faces."""
    upper_lip_darkening: float
    """(L*cheeks - L*upper lip) / L*cheeks: ~0 bare skin (0.1-0.25 in shadow),
    0.5 or more under a dark moustache. NaN when the regions are not visible."""
    side_hair_fraction: float
    """Share of the strips beside the cheeks that have the colour of the hair
    above the forehead and not of the skin: ~0 short hair, 0.2-0.9 long hair.
    NaN when the hair sample is skin-coloured (bald, fair hair on fair skin,
    a statue) or outside the image."""
    lip_redness: float
    """CIELAB a* of the lips minus a* of the nose: natural lips ~5-15, lipstick 20+."""
    lip_chroma: float
    """CIELAB chroma of the lips: ~0 in greyscale images, where lip colour says nothing."""


@dataclass(frozen=True, eq=False)
class FaceRegions:
    """The aligned crop and the regions measured in it."""

    lab: np.ndarray
    """(h, w, 3) float32 CIELAB crop (L* 0..100), eyes at ``CROP_EYES_AT_PX``."""
    masks: dict[str, np.ndarray]
    """Region name -> (h, w) bool, only pixels that lie inside the source image:
    cheeks, upper_lip_skin, lips (without the mouth opening), nose, hair_sample,
    face_sides."""


def face_regions(face: FaceGeometry, image: np.ndarray) -> FaceRegions:
    """Crop ``image`` ((H, W, 3) uint8 RGB) around ``face`` and mark the regions."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) uint8 RGB, got {image.shape} {image.dtype}")
    lab, valid, points = _aligned_lab_crop(image, face.landmarks_px)
    regions = _Regions(points, valid)
    lips = regions.polygons(LIPS_OUTER)
    return FaceRegions(lab, {
        "cheeks": regions.polygons(*CHEEKS),
        "upper_lip_skin": regions.polygons(UPPER_LIP_SKIN) & ~lips,
        "lips": lips & ~regions.polygons(LIPS_INNER),
        "nose": regions.polygons(NOSE),
        "hair_sample": regions.polygons(_hair_sample_box(points)),
        "face_sides": regions.polygons(*_face_side_strips(points)),
    })


def describe_face(face: FaceGeometry, image: np.ndarray) -> FaceDescriptor:
    """Measure ``face`` (from ``detect_face``) in ``image``, (H, W, 3) uint8 RGB."""
    crop = face_regions(face, image)
    skin, upper_lip, lip, nose, hair = (
        _median(crop.lab, crop.masks[name])
        for name in ("cheeks", "upper_lip_skin", "lips", "nose", "hair_sample"))
    return FaceDescriptor(
        size=lower_face_size(face.canonical_px),
        upper_lip_darkening=float((skin[0] - upper_lip[0]) / max(skin[0], 5.0)),
        side_hair_fraction=_hair_coloured_share(crop.lab[crop.masks["face_sides"]], hair, skin),
        lip_redness=float(lip[1] - nose[1]),
        lip_chroma=float(np.hypot(lip[1], lip[2])),
    )


def lower_face_size(canonical_px: np.ndarray) -> float:
    """Standardised mean distance of the lower face contour from the eye centre,
    in IODs, from the (478, 3) rotation-free landmarks (x, y only: Face Mesh's
    depth is the noisiest coordinate)."""
    xy = canonical_px[:, :2].astype(np.float64)
    iod = np.linalg.norm(xy[RIGHT_EYE_OUTER] - xy[LEFT_EYE_OUTER])
    centre = xy[list(EYE_CORNERS)].mean(axis=0)
    radius = np.linalg.norm(xy[list(LOWER_CONTOUR)] - centre, axis=1).mean()
    gap = np.linalg.norm(xy[INNER_LIP_GAP[0]] - xy[INNER_LIP_GAP[1]])
    radius_iod = (radius - JAW_OPENING_SHARE * gap) / iod
    return float((radius_iod - CONTOUR_RADIUS_MEAN_IOD) / CONTOUR_RADIUS_SD_IOD)


def _crop_template() -> np.ndarray:
    """(468, 2) canonical face points placed in the crop."""
    model = canonical_face_model()[:, :2]
    iod = np.linalg.norm(model[RIGHT_EYE_OUTER] - model[LEFT_EYE_OUTER])
    eyes = (model[RIGHT_EYE_OUTER] + model[LEFT_EYE_OUTER]) / 2
    return (model - eyes) * (CROP_IOD_PX / iod) + np.array(CROP_EYES_AT_PX)


_TEMPLATE = _crop_template()[list(ALIGN_POINTS)]
_CROP_Y, _CROP_X = np.mgrid[0:CROP_SIZE_PX[1], 0:CROP_SIZE_PX[0]].astype(np.float32)


def _aligned_lab_crop(image: np.ndarray, landmarks_px: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(CIELAB crop (h, w, 3) float32, (h, w) bool inside the image, (478, 2)
    landmarks in crop pixels)."""
    src = landmarks_px[list(ALIGN_POINTS), :2].astype(np.float64)
    to_crop = _similarity_2d(src, _TEMPLATE)
    points = landmarks_px[:, :2] @ to_crop[:, :2].T + to_crop[:, 2]
    # Point-sampled even when shrinking a large face: only region medians are
    # taken, and area-averaging first changed none of them by more than 0.02
    # (L* ratios) or 1.5 a* units on the real portraits while costing 6 ms.
    crop = cv2.warpAffine(image, to_crop, CROP_SIZE_PX, flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    lab = cv2.cvtColor(crop.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2LAB)
    return lab, _inside_source(to_crop, image.shape), points


def _inside_source(to_crop: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """(h, w) bool: crop pixels that come from inside the source image."""
    back = cv2.invertAffineTransform(to_crop)
    sx = back[0, 0] * _CROP_X + back[0, 1] * _CROP_Y + back[0, 2]
    sy = back[1, 0] * _CROP_X + back[1, 1] * _CROP_Y + back[1, 2]
    return (sx >= 0) & (sx <= shape[1] - 1) & (sy >= 0) & (sy <= shape[0] - 1)


def _similarity_2d(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(2, 3) least-squares rotation + uniform scale + shift mapping src onto dst."""
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(b.T @ a)
    fix = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ fix @ vt
    scale = (sig * np.diag(fix)).sum() / (a ** 2).sum()
    return np.hstack([scale * rot, (mu_d - scale * rot @ mu_s)[:, None]])


class _Regions:
    """Boolean masks of landmark polygons in the crop, limited to valid pixels."""

    def __init__(self, points: np.ndarray, valid: np.ndarray):
        self.points = points
        self.valid = valid

    def polygons(self, *polygons: tuple[int, ...] | np.ndarray) -> np.ndarray:
        canvas = np.zeros(self.valid.shape, np.uint8)
        for poly in polygons:
            corners = self.points[list(poly)] if isinstance(poly, tuple) else poly
            cv2.fillPoly(canvas, [np.round(corners).astype(np.int32)], 1)
        return canvas.astype(bool) & self.valid


def _median(lab: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Median L*, a*, b* of a region; NaNs when it has too few pixels."""
    if mask.sum() < MIN_REGION_PX:
        return np.full(3, np.nan)
    return np.median(lab[mask], axis=0)


def _face_side_strips(points: np.ndarray) -> list[np.ndarray]:
    """Quadrilateral strips just outside the face oval, temple to jaw angle."""
    near, far = (CROP_IOD_PX * d for d in SIDE_STRIP_IOD)
    strips = []
    for side, outward in zip(FACE_SIDES, (-1.0, 1.0)):
        edge = points[list(side)]
        strips.append(np.vstack([edge + [outward * near, 0], (edge + [outward * far, 0])[::-1]]))
    return strips


def _hair_sample_box(points: np.ndarray) -> np.ndarray:
    above_lo, above_hi, half_width = (CROP_IOD_PX * d for d in HAIR_SAMPLE_IOD)
    tx, ty = points[FOREHEAD_TOP]
    return np.array([[tx - half_width, ty - above_hi], [tx + half_width, ty - above_hi],
                     [tx + half_width, ty - above_lo], [tx - half_width, ty - above_lo]])


def _hair_coloured_share(pixels: np.ndarray, hair: np.ndarray, skin: np.ndarray) -> float:
    """Share of ``pixels`` (n, 3) CIELAB near the hair colour and not near the
    skin colour; NaN when hair and skin cannot be told apart."""
    if (np.isnan(hair).any() or np.isnan(skin).any() or len(pixels) < MIN_REGION_PX
            or np.linalg.norm(hair - skin) < SAME_COLOUR_DELTA_E):
        return float("nan")
    like_hair = np.linalg.norm(pixels - hair, axis=1) < SAME_COLOUR_DELTA_E
    like_skin = np.linalg.norm(pixels - skin, axis=1) < SAME_COLOUR_DELTA_E
    return float(np.mean(like_hair & ~like_skin))
