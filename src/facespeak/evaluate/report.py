"""``evaluate_video``: every metric of one video, from its decoded frames and
audio only (the face is re-detected in every frame), into an ``EvalReport``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facespeak.errors import VideoInputError
from facespeak.evaluate.articulation import Articulation, MouthOpening, articulation, mouth_opening
from facespeak.evaluate.blinks import Blinks, detect_blinks
from facespeak.evaluate.envelope import EnvelopeSync, envelope_sync
from facespeak.evaluate.head import HeadMotion, head_motion
from facespeak.evaluate.identity import Identity, UpperFaceComparer, identity
from facespeak.evaluate.signals import duplicate_frames, fill_frames, head_poses, mouth_aperture
from facespeak.evaluate.stability import Stability, stability
from facespeak.evaluate.sync import SyncResult, measure_sync
from facespeak.evaluate.video import FaceTrack, track_video
from facespeak.types import FaceGeometry, MotionTrack, Portrait

MIN_FRAMES = 10
"""Fewer frames carry no motion worth measuring (and a still image decodes as one frame)."""


@dataclass(frozen=True)
class VideoFacts:
    """Metric 8: what the file is."""

    duration_s: float
    """Frames ÷ fps."""
    fps: float
    width: int
    height: int
    n_frames: int
    audio_duration_s: float
    """0 without an audio track."""
    av_difference_s: float
    """Audio duration minus video duration (s)."""
    face_share: float
    """Share of frames where Face Mesh found a face (the rest are interpolated)."""
    duplicate_frames: int
    """Frames that repeat the previous one; their landmarks are interpolated."""


@dataclass(frozen=True)
class Intelligibility:
    """Metric 7: the offline recogniser (PocketSphinx en-us) on the video's audio."""

    word_error_rate: float
    """(substitutions + deletions + insertions) ÷ words of the text."""
    heard: str


@dataclass(frozen=True, eq=False)
class EvalReport:
    name: str
    facts: VideoFacts
    mouth: MouthOpening
    sync_plain: EnvelopeSync | None
    """Metric 1, aperture vs RMS envelope; None without (audible) audio."""
    sync: SyncResult | None
    """Metric 1, the calibrated offset detector (``sync.measure_sync``); None
    without audio or when it cannot measure (``notes`` says why)."""
    head: HeadMotion
    blinks: Blinks
    stability: Stability
    articulation: Articulation | None = None
    """With a phone timeline only."""
    identity: Identity | None = None
    """With a source portrait only."""
    intelligibility: Intelligibility | None = None
    """With the spoken text only."""
    aperture: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    """(n_frames,) mouth aperture ÷ IOD, duplicate and faceless frames interpolated."""
    head_pose_deg: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)), repr=False)
    """(n_frames, 3) yaw, pitch, roll in degrees."""
    track: FaceTrack | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    """Why a metric that could have been measured was not."""


@dataclass(frozen=True, eq=False)
class SourcePortrait:
    """The portrait a video was made from, with its face."""

    portrait: Portrait
    face: FaceGeometry


def load_source(path: str | Path) -> SourcePortrait:
    """Load and detect the face of a source portrait (the errors of ``say``)."""
    from facespeak.face.detect import detect_face
    from facespeak.face.portrait import load_portrait

    portrait = load_portrait(path)
    return SourcePortrait(portrait, detect_face(portrait))


def evaluate_video(video: str | Path, *, source: str | Path | SourcePortrait | None = None,
                   text: str | None = None, timeline: str | Path | MotionTrack | None = None
                   ) -> EvalReport:
    """Measure ``video``; ``source`` adds identity, ``text`` intelligibility,
    ``timeline`` (a motion JSON with phones) articulation.

    Raises VideoInputError (or another FacespeakInputError) for a missing or
    undecodable file, no video stream, no face in any frame, ``text`` without
    an audio track, or a bad portrait or timeline.
    """
    if isinstance(source, (str, Path)):
        source = load_source(source)
    phones = _phones(timeline)
    if text is not None and not text.strip():
        raise VideoInputError("the text to compare the speech with is empty")
    comparer = None if source is None else UpperFaceComparer(source.portrait.pixels,
                                                             source.face.landmarks_px)
    track = track_video(video, observers=() if comparer is None else (comparer,))
    if track.n_frames < MIN_FRAMES:
        raise VideoInputError(f"{video} is too short to evaluate ({track.n_frames} frames; "
                              f"at least {MIN_FRAMES} needed)")
    if not track.face_found.any():
        raise VideoInputError(f"no face found in any frame of {video}")
    if text is not None and track.audio is None:
        raise VideoInputError(f"{video} has no audio track to compare with the text")
    return report_from_track(track, comparer, source, phones, text)


def report_from_track(track: FaceTrack, comparer: UpperFaceComparer | None = None,
                      source: SourcePortrait | None = None, phones=None,
                      text: str | None = None) -> EvalReport:
    """Every metric from an already decoded track (``comparer`` saw its frames)."""
    duplicates = duplicate_frames(track.frame_diff)
    landmarks = fill_frames(track.landmarks_px.astype(np.float64), duplicates)
    poses = head_poses(landmarks)
    aperture = mouth_aperture(landmarks)
    plain = None if track.audio is None else envelope_sync(
        aperture, track.audio, track.sample_rate, track.fps)
    sync, sync_note = _calibrated_sync(track, phones)
    return EvalReport(
        name=track.name, facts=_facts(track, int(duplicates.sum())),
        mouth=mouth_opening(aperture, None if plain is None else plain.envelope),
        sync_plain=plain, sync=sync, head=head_motion(poses, track.fps),
        blinks=detect_blinks(landmarks, track.fps),
        stability=stability(track, landmarks, poses),
        articulation=None if phones is None else articulation(aperture, phones, track.fps),
        identity=None if comparer is None else identity(
            comparer, source.face.landmarks_px, landmarks, poses),
        intelligibility=None if text is None else _intelligibility(track, text),
        aperture=aperture, head_pose_deg=poses.euler_deg, track=track,
        notes=() if sync_note is None else (sync_note,))


def _calibrated_sync(track: FaceTrack, phones) -> tuple[SyncResult | None, str | None]:
    """The detector's result, or None and the reason it could not measure
    (silent audio, too few frames with a face); a video without audio has no sync."""
    if track.audio is None:
        return None, None
    try:
        return measure_sync(track.landmarks_px, track.audio, track.sample_rate, track.fps,
                            phones), None
    except VideoInputError as exc:
        return None, f"sync not measured: {exc}"


def _facts(track: FaceTrack, duplicates: int) -> VideoFacts:
    return VideoFacts(
        duration_s=track.duration_s, fps=track.fps, width=track.width, height=track.height,
        n_frames=track.n_frames, audio_duration_s=track.audio_duration_s,
        av_difference_s=track.audio_duration_s - track.duration_s if track.audio is not None
        else float("nan"),
        face_share=float(track.face_found.mean()), duplicate_frames=duplicates)


def _intelligibility(track: FaceTrack, text: str) -> Intelligibility:
    from facespeak.evaluate.intelligibility import recognize, word_error_rate

    heard = recognize(track.audio, track.sample_rate)
    return Intelligibility(word_error_rate(text, heard), heard)


def _phones(timeline: str | Path | MotionTrack | None):
    """The phone timeline of a motion sidecar; its errors are the user's to fix."""
    if timeline is None:
        return None
    if not isinstance(timeline, MotionTrack):
        from facespeak.motion.track import load_motion

        timeline = load_motion(timeline)
    if not any(p.symbol for p in timeline.phones):
        raise VideoInputError("the timeline has no phones to score articulation against")
    return timeline.phones


VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")


def expand_videos(paths: list[str | Path]) -> list[Path]:
    """Files as given; folders become the videos directly inside them, sorted.
    A folder without videos is an error."""
    videos: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
            if not found:
                raise VideoInputError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) in folder {path}")
            videos += found
        else:
            videos.append(path)
    return videos
