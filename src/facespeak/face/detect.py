"""Find the face in a portrait with MediaPipe Face Mesh (478 points with iris
refinement; the model ships inside the mediapipe 0.10.21 wheel)."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from facespeak.errors import FaceTooSmall, NoFaceFound
from facespeak.face.geometry import euler_from_rotation, fit_head_pose, inter_ocular_px
from facespeak.types import FaceGeometry, HeadPose, Portrait

MIN_IOD_PX = 24.0
"""Faces whose eyes are closer than this (outer corners, pixels) are refused:
below it the mouth is a few pixels wide and cannot be animated."""
MAX_FACES = 5
DETECT_LONG_SIDE_PX = 1920
"""Very large portraits are searched at this size; landmarks are scaled back."""


def detect_face(portrait: Portrait) -> FaceGeometry:
    """The largest face in ``portrait``; raises NoFaceFound / FaceTooSmall."""
    faces = _detect_all(portrait.pixels)
    if not faces:
        raise NoFaceFound(f"no face found in {portrait.name or 'the portrait'}")
    faces.sort(key=inter_ocular_px, reverse=True)
    landmarks = faces[0]
    iod = inter_ocular_px(landmarks)
    if iod < MIN_IOD_PX:
        raise FaceTooSmall(
            f"the face in {portrait.name or 'the portrait'} is too small to animate "
            f"({iod:.0f} px between the eyes; at least {MIN_IOD_PX:.0f} px needed)")
    return face_geometry_from_landmarks(landmarks, faces_found=len(faces))


def face_geometry_from_landmarks(landmarks: np.ndarray, faces_found: int = 1) -> FaceGeometry:
    """Pose, canonical (rotation-removed) shape and size of a (478, 3) landmark set."""
    _, rot, _ = fit_head_pose(landmarks)
    centre = landmarks.mean(axis=0)
    canonical = (landmarks - centre) @ rot + centre  # rot.T applied to row vectors
    x0, y0 = np.floor(landmarks[:, :2].min(axis=0)).astype(int)
    x1, y1 = np.ceil(landmarks[:, :2].max(axis=0)).astype(int)
    return FaceGeometry(
        landmarks_px=landmarks.astype(np.float32),
        bbox_px=(int(x0), int(y0), int(x1), int(y1)),
        pose=HeadPose(*euler_from_rotation(rot)),
        canonical_px=canonical.astype(np.float32),
        iod_px=inter_ocular_px(landmarks),
        faces_found=faces_found,
    )


def _detect_all(rgb: np.ndarray) -> list[np.ndarray]:
    """Every face's (478, 3) landmarks in pixels of ``rgb``."""
    import cv2

    h, w = rgb.shape[:2]
    factor = min(1.0, DETECT_LONG_SIDE_PX / max(h, w))
    small = rgb if factor == 1.0 else cv2.resize(
        rgb, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA)
    with _native_stderr_silenced():  # TFLite's start-up chatter is not for our users
        result = _face_mesh().process(np.ascontiguousarray(small))
    faces = []
    for face in result.multi_face_landmarks or []:
        pts = np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=np.float64)
        sh, sw = small.shape[:2]
        pts *= np.array([sw, sh, sw]) / factor
        faces.append(pts)
    return faces


_FACE_MESH = None


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null while native code runs (errors still
    reach Python as exceptions)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def face_mesh_module() -> types.ModuleType:
    """``mediapipe.solutions.face_mesh``, imported in a third of the usual time.

    The ``mediapipe`` package imports matplotlib.pyplot (0.6 s, more than half
    of its import) for drawing helpers facespeak never calls, so a placeholder
    stands in for matplotlib during the import and is removed afterwards: a
    later ``import matplotlib`` gets the real one.
    """
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "mediapipe" in sys.modules:
        from mediapipe.python.solutions import face_mesh
        return face_mesh
    stubs = {name: types.ModuleType(name) for name in ("matplotlib", "matplotlib.pyplot")
             if name not in sys.modules}
    if "matplotlib" in stubs:
        stubs["matplotlib"].pyplot = stubs.get("matplotlib.pyplot")  # type: ignore[attr-defined]
    sys.modules.update(stubs)
    try:
        from mediapipe.python.solutions import face_mesh
    finally:
        for name, stub in stubs.items():
            if sys.modules.get(name) is stub:
                del sys.modules[name]
    return face_mesh


def _face_mesh():
    """One static-image Face Mesh per process (building it costs ~0.3 s)."""
    global _FACE_MESH
    if _FACE_MESH is None:
        _FACE_MESH = face_mesh_module().FaceMesh(
            static_image_mode=True, max_num_faces=MAX_FACES, refine_landmarks=True,
            min_detection_confidence=0.5)
    return _FACE_MESH

