"""Decode a talking-head video once, frame by frame, and keep only what the
metrics need: Face Mesh landmarks per frame (MediaPipe 0.10.21, 478 points,
tracking mode, the settings of ../shared/reference/REAL_FOOTAGE_STATS.md), a few
thumbnails, a coarse grid of frame-to-frame grey-level change, and the mono audio.

Frames are never stored; callers that need pixels (identity against a source
portrait) pass observers that see each frame as it goes by.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import av
import cv2
import numpy as np

from facespeak.errors import VideoInputError
from facespeak.face.detect import _native_stderr_silenced, face_mesh_module

N_LANDMARKS = 478
MESH_POINTS = 468
"""The face mesh without the 10 iris points."""
AUDIO_RATE = 16000
"""Audio is decoded to mono at this rate (the reference method's ``ffmpeg -ac 1 -ar 16000``)."""
THUMBNAILS = 8
THUMB_LONG_SIDE_PX = 320

FrameObserver = Callable[[int, np.ndarray, "np.ndarray | None"], None]
"""Called as ``observer(index, rgb (H, W, 3) uint8, landmarks (478, 3) or None)``
for every decoded frame, in order."""


@dataclass(frozen=True, eq=False)
class FaceTrack:
    """A decoded video reduced to per-frame measurements."""

    name: str
    landmarks_px: np.ndarray = field(repr=False)
    """(n_frames, 478, 3) float32: x, y in pixels, z in pixels scaled like x
    (MediaPipe's (x*W, y*H, z*W)); NaN rows where no face was found."""
    fps: float
    width: int
    height: int
    audio: np.ndarray | None = field(repr=False)
    """(n_samples,) float32 mono at ``sample_rate``; None when the file has no audio stream."""
    sample_rate: int
    frame_diff: np.ndarray = field(repr=False)
    """(n_frames,) float32 mean absolute grey-level change (0..255) from the
    previous frame over the whole frame; NaN for frame 0."""
    diff_grid: np.ndarray = field(repr=False)
    """(n_frames, grid_h, grid_w) float16: the same change averaged over each
    cell of a grid of ``grid_cell_px``-pixel squares (edge cells may be
    smaller), so regions such as the background can be chosen after the
    pass, once the whole clip's face track is known; NaN for frame 0."""
    grid_cell_px: int
    thumbnails: tuple[tuple[int, np.ndarray], ...] = field(repr=False, default=())
    """(frame index, (h, w, 3) uint8 RGB) at evenly spaced frames, for contact sheets."""

    @property
    def n_frames(self) -> int:
        return int(self.landmarks_px.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.width, self.height

    @property
    def duration_s(self) -> float:
        """Video duration: frame count / fps."""
        return self.n_frames / self.fps

    @property
    def audio_duration_s(self) -> float:
        return 0.0 if self.audio is None else len(self.audio) / self.sample_rate

    @property
    def face_found(self) -> np.ndarray:
        """(n_frames,) bool: frames where Face Mesh found a face."""
        return ~np.isnan(self.landmarks_px[:, 0, 0])


def track_video(path: str | Path, observers: Sequence[FrameObserver] = (),
                thumbnails: int = THUMBNAILS) -> FaceTrack:
    """Decode ``path`` once, run Face Mesh on every frame and decode its audio.

    Raises VideoInputError (one line) for a missing or unreadable file or one
    without a video stream. A video where no frame shows a face is returned as
    it is (all-NaN landmarks); metrics that need a face refuse it.
    """
    path = Path(path)
    if not path.is_file():
        raise VideoInputError(f"video file not found: {path}")
    try:
        with av.open(str(path)) as box:
            if not box.streams.video:
                raise VideoInputError(f"{path} has no video stream")
            stream = box.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 0)
            if fps <= 0:
                raise VideoInputError(f"{path}: cannot tell the video's frame rate")
            stream.thread_type = "AUTO"
            wanted = _thumbnail_frames(_frame_count_estimate(stream, fps), thumbnails)
            frames = (f.to_ndarray(format="rgb24") for f in box.decode(stream))
            per_frame, thumbs, size = _measure_frames(frames, observers, wanted)
        audio = _decode_audio(path)
    except av.error.FFmpegError as exc:
        reason = " ".join(str(exc.strerror or exc).split())
        raise VideoInputError(f"cannot decode {path}: {reason}") from None
    landmarks, frame_diff, diff_grid = per_frame
    if len(landmarks) == 0:
        raise VideoInputError(f"{path} holds no video frames")
    return FaceTrack(name=path.name, landmarks_px=landmarks, fps=fps,
                     width=size[0], height=size[1], audio=audio, sample_rate=AUDIO_RATE,
                     frame_diff=frame_diff, diff_grid=diff_grid, grid_cell_px=_grid_cell_px(size),
                     thumbnails=tuple(thumbs))


def _measure_frames(frames, observers: Sequence[FrameObserver], wanted: set[int]):
    """Landmarks and frame differences of every frame, plus the thumbnails."""
    landmarks, frame_diff, diff_grid, thumbs = [], [], [], []
    prev_grey = None
    size = (0, 0)
    with FaceMeshTracker() as tracker:
        for i, rgb in enumerate(frames):
            size = (rgb.shape[1], rgb.shape[0])
            points = tracker.landmarks(rgb)
            grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            whole, grid = _frame_difference(prev_grey, grey, _grid_cell_px(size))
            landmarks.append(np.full((N_LANDMARKS, 3), np.nan, np.float32)
                             if points is None else points)
            frame_diff.append(whole)
            diff_grid.append(grid)
            if i in wanted:
                thumbs.append((i, _thumbnail(rgb)))
            for observe in observers:
                observe(i, rgb, points)
            prev_grey = grey
    arrays = (np.array(landmarks, np.float32).reshape(-1, N_LANDMARKS, 3),
              np.array(frame_diff, np.float32), np.array(diff_grid, np.float16))
    return arrays, thumbs, size


class FaceMeshTracker:
    """MediaPipe Face Mesh in video (tracking) mode, one instance per video,
    with the reference method's settings. Use as a context manager."""

    QUIET_FRAMES = 2
    """TFLite and MediaPipe print start-up chatter from their own threads,
    during construction and the first frames; fd 2 is silenced until then."""

    def __init__(self) -> None:
        face_mesh = face_mesh_module()
        self._quiet = ExitStack()
        self._quiet.enter_context(_native_stderr_silenced())
        self._mesh = face_mesh.FaceMesh(
            static_image_mode=False, max_num_faces=1, refine_landmarks=True,
            min_detection_confidence=0.5, min_tracking_confidence=0.5)
        self._frames = 0

    def landmarks(self, rgb: np.ndarray) -> np.ndarray | None:
        """(478, 3) float32 pixel landmarks of the face in ``rgb``, or None."""
        result = self._mesh.process(np.ascontiguousarray(rgb))
        self._frames += 1
        if self._frames == self.QUIET_FRAMES:
            self._quiet.close()
        if not result.multi_face_landmarks:
            return None
        h, w = rgb.shape[:2]
        pts = np.array([(p.x, p.y, p.z) for p in result.multi_face_landmarks[0].landmark],
                       dtype=np.float32)
        return pts * np.array([w, h, w], np.float32)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._quiet.close()
        self._mesh.close()


GRID_CELLS_LONG_SIDE = 32
"""Cells of the frame-difference grid along the frame's long side."""


def _grid_cell_px(size: tuple[int, int]) -> int:
    return max(int(np.ceil(max(size) / GRID_CELLS_LONG_SIDE)), 1)


def _frame_difference(prev: np.ndarray | None, grey: np.ndarray, cell_px: int
                      ) -> tuple[float, np.ndarray]:
    """Mean absolute grey-level change from ``prev``: over the whole frame, and per grid cell."""
    h, w = grey.shape
    grid_shape = (-(-h // cell_px), -(-w // cell_px))
    if prev is None:
        return np.nan, np.full(grid_shape, np.nan, np.float16)
    diff = cv2.absdiff(grey, prev)
    padded = cv2.copyMakeBorder(diff, 0, grid_shape[0] * cell_px - h, 0,
                                grid_shape[1] * cell_px - w, cv2.BORDER_CONSTANT, value=0)
    # INTER_AREA at an integer ratio is the exact block mean (of the zero-padded frame)
    means = cv2.resize(padded.astype(np.float32), grid_shape[::-1], interpolation=cv2.INTER_AREA)
    cells = means * (cell_px * cell_px) / _cell_areas(h, w, cell_px)
    return float(diff.mean()), cells.astype(np.float16)


def _cell_areas(h: int, w: int, cell_px: int) -> np.ndarray:
    """(grid_h, grid_w) pixels of the frame inside each cell (edge cells may be partial)."""
    rows = np.minimum(cell_px, h - np.arange(0, h, cell_px))
    cols = np.minimum(cell_px, w - np.arange(0, w, cell_px))
    return np.outer(rows, cols).astype(np.float32)


def _frame_count_estimate(stream: av.video.stream.VideoStream, fps: float) -> int:
    if stream.frames:
        return int(stream.frames)
    if stream.duration and stream.time_base:
        return round(float(stream.duration * stream.time_base) * fps)
    return 0


def _thumbnail_frames(n_frames: int, count: int) -> set[int]:
    """Evenly spaced frame indices, the first and last included."""
    if n_frames <= 0 or count <= 0:
        return {0} if count > 0 else set()
    return set(np.linspace(0, n_frames - 1, min(count, n_frames)).round().astype(int).tolist())


def _thumbnail(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    factor = min(1.0, THUMB_LONG_SIDE_PX / max(h, w))
    if factor == 1.0:
        return rgb.copy()
    return cv2.resize(rgb, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA)


def _decode_audio(path: Path) -> np.ndarray | None:
    """(n,) float32 mono at AUDIO_RATE (channels averaged), or None without an audio stream."""
    with av.open(str(path)) as box:
        if not box.streams.audio:
            return None
        stream = box.streams.audio[0]
        to_float = av.AudioResampler(format="fltp", rate=AUDIO_RATE)
        chunks = [out.to_ndarray().mean(axis=0)
                  for frame in box.decode(stream) for out in to_float.resample(frame)]
        chunks += [out.to_ndarray().mean(axis=0) for out in to_float.resample(None)]
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return samples.astype(np.float32, copy=False)
