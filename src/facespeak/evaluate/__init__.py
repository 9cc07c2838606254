"""The evaluate stage: measure any talking-head video with audio (ours, real
footage, other tools' output) with no downloaded model. Everything is measured
from the decoded frames and audio: the face is re-detected in every frame.

    >>> from facespeak.evaluate import evaluate_video
    >>> report = evaluate_video("clip.mp4", source="portrait.jpg", text="Hello there.")
    >>> report.head.std_deg, report.blinks.per_minute, report.sync_plain.lag_frames

Submodules are imported on first use, so ``facespeak.evaluate.intelligibility``
alone stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from facespeak.evaluate.report import EvalReport, evaluate_video, load_source
    from facespeak.evaluate.video import FaceTrack, track_video

__all__ = ["EvalReport", "FaceTrack", "evaluate_video", "load_source", "track_video"]


def __getattr__(name: str) -> object:
    if name in ("evaluate_video", "EvalReport", "load_source"):
        from facespeak.evaluate import report

        return getattr(report, name)
    if name in ("FaceTrack", "track_video"):
        from facespeak.evaluate import video

        return getattr(video, name)
    raise AttributeError(f"module 'facespeak.evaluate' has no attribute {name!r}")
