"""Render stage: the rig moves the right points, the warp is exact at rest, and a
rendered mouth really opens and closes when the face is detected again."""

import cv2
import numpy as np
import pytest

from facespeak.face.detect import detect_face
from facespeak.face.geometry import inter_ocular_px
from facespeak.render.layout import MAX_LONG_SIDE_PX, make_canvas
from facespeak.render.renderer import FaceRenderer
from facespeak.render.rig import MAX_GAP_IOD
from facespeak.render.warp import DenseWarp
from facespeak.types import MOTION_CHANNELS, Portrait

REST = {k: 0.0 for k in MOTION_CHANNELS}


@pytest.fixture(scope="module")
def renderer(demo_portrait, demo_face):
    return FaceRenderer(make_canvas(demo_portrait, demo_face, "face"))


def _ear(pts, upper, lower):
    return np.linalg.norm(pts[upper] - pts[lower], axis=1).mean() / np.linalg.norm(pts[33] - pts[133])


def test_layouts_are_even_and_capped(demo_portrait, demo_face):
    face = make_canvas(demo_portrait, demo_face, "face")
    assert face.image.shape == (512, 512, 3)
    big = Portrait(np.zeros((3001, 2001, 3), np.uint8))
    canvas = make_canvas(big, demo_face, "full")
    h, w = canvas.image.shape[:2]
    assert max(h, w) <= MAX_LONG_SIDE_PX and h % 2 == 0 and w % 2 == 0
    assert canvas.landmarks_px[:, 0].max() < w


def test_rest_pose_reproduces_the_portrait_away_from_the_mouth(renderer):
    frame = renderer.render_frame(dict(REST, jaw_open=renderer.rig.source_gap / MAX_GAP_IOD))
    diff = np.abs(frame.astype(int) - renderer.canvas.image.astype(int))
    assert diff.mean() < 0.5
    assert diff[:60].max() <= 2  # hair and background above the head untouched


def test_jaw_opens_the_inner_lips_by_the_asked_gap(renderer):
    rig = renderer.rig
    for jaw in (0.3, 0.8):
        pts = rig.pose(dict(REST, jaw_open=jaw)).points
        gap = np.linalg.norm(pts[13] - pts[14]) / rig.iod
        assert gap == pytest.approx(MAX_GAP_IOD * jaw, abs=0.01)


def test_press_seals_lips_over_visible_teeth(renderer):
    assert renderer.rig.source_gap > 0.05  # the demo portrait smiles with teeth
    pts = renderer.rig.pose(dict(REST, lip_press=1.0)).points
    assert np.linalg.norm(pts[13] - pts[14]) / renderer.rig.iod < 0.01


@pytest.mark.parametrize("name", ["woman_photo.jpg", "full_body.png"])
def test_parted_lips_without_teeth_close_and_open_when_detected_again(real_dir, name):
    """Closed loop on portraits whose lips are parted but show no teeth: the
    lips seal over the gap (its dark line is not smeared between them) and the
    painted interior reads as open."""
    from facespeak.face.portrait import load_portrait

    portrait = load_portrait(real_dir / name)
    renderer = FaceRenderer(make_canvas(portrait, detect_face(portrait), "face"))
    assert renderer.rig.source_gap > 0.02 and not renderer.mouth.own_teeth

    def aperture(values):
        lm = detect_face(Portrait(renderer.render_frame(dict(REST, **values)))).landmarks_px
        return np.linalg.norm(lm[13] - lm[14]) / inter_ocular_px(lm)

    assert aperture({"lip_press": 1.0, "jaw_open": 0.4}) < 0.03
    assert aperture({"jaw_open": 0.3}) > 0.1


def test_the_demo_keeps_its_own_teeth(renderer):
    assert renderer.mouth.own_teeth


def test_blink_closes_both_eyes(renderer):
    open_ = renderer.rig.pose(REST).points
    shut = renderer.rig.pose(dict(REST, blink=1.0)).points
    for upper, lower in (([160, 159, 158], [144, 145, 153]), ([387, 386, 385], [373, 374, 380])):
        assert _ear(shut, upper, lower) < 0.25 * _ear(open_, upper, lower)


def test_head_rotation_moves_face_not_frame_border(renderer):
    rest = renderer.render_frame(REST)
    turned = renderer.render_frame(dict(REST, yaw_deg=8.0))
    pts = renderer.rig.pose(dict(REST, yaw_deg=8.0)).points
    assert pts[4, 0] < renderer.rig.mesh[4, 0] - 5  # nose toward image left
    assert np.array_equal(rest[-4:], turned[-4:])   # shoulders at the bottom edge stay


def test_rendered_mouth_opens_and_closes_when_detected_again(renderer):
    """Closed loop: Face Mesh on the rendered frames measures the aperture."""
    from facespeak.types import Portrait

    def aperture(values):
        frame = renderer.render_frame(values)
        face = detect_face(Portrait(frame))
        lm = face.landmarks_px
        return np.linalg.norm(lm[13] - lm[14]) / inter_ocular_px(lm)

    assert aperture(dict(REST, lip_press=1.0)) < 0.03
    assert aperture(dict(REST, jaw_open=0.9)) > 0.15


def test_rotation_from_euler_is_intrinsic_yxz_and_inverts():
    from scipy.spatial.transform import Rotation

    from facespeak.face.geometry import euler_from_rotation, rotation_from_euler

    for angles in np.random.default_rng(3).uniform(-60, 60, (50, 3)):
        rot = rotation_from_euler(*angles)
        assert np.allclose(rot, Rotation.from_euler("YXZ", angles, degrees=True).as_matrix())
        assert np.allclose(euler_from_rotation(rot), angles)


def textured(size: int = 120) -> np.ndarray:
    rng = np.random.default_rng(4)
    return cv2.GaussianBlur(rng.integers(0, 256, (size, size, 3)).astype(np.uint8), (0, 0), 1.5)


def grid_points(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    xs, ys = np.meshgrid(np.linspace(x0, x1 - 1, 9), np.linspace(y0, y1 - 1, 9))
    return np.column_stack([xs.ravel(), ys.ravel()]).astype(np.float32)


def test_dense_warp_moves_a_region_with_its_points():
    """A uniform move of every point shifts the picture by exactly that much,
    placed at the region's own corner (not the image's)."""
    image, roi = textured(), (20, 30, 100, 110)
    points = grid_points(*roi)
    warped = DenseWarp(points, roi).warp(image, points + [3.0, 2.0])
    inside = warped[10:70, 10:70].astype(int)
    assert np.abs(inside - image[30 + 10 - 2:30 + 70 - 2, 20 + 10 - 3:20 + 70 - 3]).max() <= 1
    assert np.abs(inside - image[40:100, 30:90]).mean() > 5  # it did move


def test_dense_warp_mirrors_the_picture_beyond_its_edge():
    """Moving content away from the top edge shows the rows below it mirrored,
    not the edge row repeated (streaks in hair cut by the frame)."""
    image = textured()
    points = grid_points(0, 0, 120, 120)
    warped = DenseWarp(points, (0, 0, 120, 120)).warp(image, points + [0.0, 6.0])
    assert np.abs(warped[:5, 10:110].astype(int) - image[6:1:-1, 10:110]).max() <= 1
