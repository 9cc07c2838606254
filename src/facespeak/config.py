"""Options of ``facespeak.say``, checked in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from facespeak.errors import FacespeakInputError
from facespeak.render.layout import CROP_MODES
from facespeak.speak import check_rate_and_pitch


@dataclass(frozen=True)
class SayOptions:
    voice: str | None = None
    """Voice name, plain ("rms") or engine-qualified ("flite:slt", "espeak:de"); None = default."""
    language: str | None = None
    """Language code ("en", "de", "cmn", ...); None = English, or the voice's language."""
    seed: int = 0
    """Same inputs and seed give the identical video; another seed, other head motion and blinks."""
    fps: float = 25.0
    crop: str = "full"
    """"full": the whole portrait (long side capped at 1280); "face": a square face-centred crop."""
    size: int | None = None
    """Long side (full) or side (face) in pixels; None = 1280 cap / 512."""
    head_motion: float = 1.0
    """Scale of head motion; 0 keeps the head still (it still blinks and breathes)."""
    save_audio: Path | None = None
    """Also write the speech as a WAV file here."""
    save_motion: Path | None = None
    """Also write the motion track (with phone and word timelines) as JSON here."""
    motion: Path | None = None
    """Replay this motion JSON instead of generating motion."""
    label: bool = True
    """Draw the small "AI-generated" label; the MP4's metadata says so either way."""
    rate: float = 1.0
    """Speaking-rate multiplier on top of the chosen voice (0.5-2)."""
    pitch: float = 1.0
    """Pitch multiplier on top of the chosen voice (0.5-2)."""
    voice_ref: Path | None = None
    """A recording (>= 2 s of speech, any common format) whose voice the speech is made like."""
    ssml: bool | None = None
    """Read the text as SSML (True), as plain text (False), or as SSML when it
    starts with ``<speak`` (None)."""

    def check(self) -> None:
        """Raise FacespeakInputError naming the first bad option."""
        if not 1 <= self.fps <= 60:
            raise FacespeakInputError(f"--fps must be between 1 and 60, not {self.fps:g}")
        if self.crop not in CROP_MODES:
            raise FacespeakInputError(
                f"--crop must be one of {', '.join(CROP_MODES)}, not {self.crop!r}")
        if self.size is not None and not 64 <= self.size <= 4096:
            raise FacespeakInputError(f"--size must be between 64 and 4096, not {self.size}")
        if not 0 <= self.head_motion <= 3:
            raise FacespeakInputError(
                f"--head-motion must be between 0 and 3, not {self.head_motion:g}")
        check_rate_and_pitch(self.rate, self.pitch)
        if not 0 <= self.seed < 2 ** 63:
            raise FacespeakInputError(f"--seed must be a non-negative integer, not {self.seed}")
