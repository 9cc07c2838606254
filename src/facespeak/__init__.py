"""facespeak: one portrait + text -> a talking-head video with synchronised speech,
offline on a CPU.

    >>> import facespeak
    >>> result = facespeak.say("portrait.jpg", "Hello there.", "out.mp4", voice="slt")
    >>> result.video_path, result.speech.duration_s, result.motion.n_frames
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from importlib import resources
from pathlib import Path

from facespeak.config import SayOptions
from facespeak.errors import (EmptyText, EngineFailed, EngineMissing, FaceTooSmall,
                              FacespeakError, FacespeakInputError, MotionFileError, NoFaceFound,
                              OutputPathError, PortraitError, UnknownVoice, UnsupportedLanguage)
from facespeak.types import (FaceGeometry, HeadPose, MotionTrack, Phone, Portrait, Sentence,
                             Speech, VoiceInfo, Word)

if TYPE_CHECKING:
    from facespeak.pipeline import Progress, SayResult

__version__ = "0.1.0"

__all__ = [
    "say", "say_with_options", "speak_text", "demo_portrait_path",
    "SayOptions", "SayResult", "Progress",
    "FaceGeometry", "HeadPose", "MotionTrack", "Phone", "Portrait", "Sentence", "Speech",
    "VoiceInfo", "Word",
    "FacespeakError", "FacespeakInputError", "PortraitError", "NoFaceFound", "FaceTooSmall",
    "EmptyText", "UnknownVoice", "UnsupportedLanguage", "OutputPathError", "MotionFileError",
    "EngineMissing", "EngineFailed",
]


def __getattr__(name: str) -> object:
    """The pipeline is imported on first use, so importing a single stage stays light."""
    if name in ("say_with_options", "speak_text", "SayResult", "Progress"):
        from facespeak import pipeline

        return getattr(pipeline, "say" if name == "say_with_options" else name)
    raise AttributeError(f"module 'facespeak' has no attribute {name!r}")


def say(portrait: str | Path, text: str, output: str | Path, *,
        progress: Progress | None = None, **options: object) -> SayResult:
    """Make ``output`` (MP4) in which the face in ``portrait`` speaks ``text``.

    Keyword options are the fields of ``SayOptions`` (voice, language, seed, fps,
    crop, size, head_motion, save_audio, save_motion, motion, label, rate, pitch,
    ssml, voice_ref), as on the command line.
    """
    from facespeak.pipeline import say as say_with_options

    opts = SayOptions(**options)  # type: ignore[arg-type]
    if progress is None:
        return say_with_options(portrait, text, output, opts)
    return say_with_options(portrait, text, output, opts, progress)


def demo_portrait_path() -> Path:
    """The built-in portrait: NASA's public-domain photo of astronaut Eileen Collins
    (the one scikit-image ships as ``skimage.data.astronaut()``)."""
    return Path(str(resources.files("facespeak") / "assets" / "demo_portrait.jpg"))
