"""How steady the face-conditioned voice is for one person, measured as TTSF
measures its motion-removed identity: the voices of every frame of a talking
clip (one person, moving head and mouth) against the voices of different people.

Spread of a parameter = its standard deviation (population, ddof 0): over the
frames of one clip for the spread within a person, over one portrait per person
for the spread across people. The aim is within < a quarter of across for
every parameter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from facespeak.errors import FaceTooSmall, NoFaceFound
from facespeak.face.detect import detect_face
from facespeak.types import Portrait, VoiceParams
from facespeak.voice.face_voice import voice_for_face

VOICE_PARAMETERS = ("pitch_scale", "pitch_range", "formant_scale", "rate")
WITHIN_ACROSS_LIMIT = 0.25
REAL_PORTRAIT_GENDERS = {
    "woman_photo.jpg": "female", "woman_portrait.png": "female", "full_body.png": "female",
    "small_face_in_photo.jpg": "female", "man_photo.png": "male", "man_bw_photo.jpg": "male",
    "statue.jpg": "male", "cartoon_boy.jpg": "male",
}
"""Who is who among the portraits of ../shared/fixtures/real that animate (its README)."""
REAL_CLIPS = ("talking_news_clip.mp4", "talking_news_clip_2.mp4")
"""One woman each, moving head and mouth."""


def voices_of_video(path: str | Path, every: int = 1) -> list[VoiceParams]:
    """The face voice of every ``every``-th frame of a video (Face Mesh run on
    each frame as on a still portrait); frames without a usable face are skipped."""
    import av

    voices = []
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % every:
                continue
            portrait = Portrait(frame.to_ndarray(format="rgb24"), f"{Path(path).name}#{i}")
            try:
                face = detect_face(portrait)
            except (NoFaceFound, FaceTooSmall):
                continue
            voices.append(voice_for_face(face, portrait.pixels))
    return voices


def parameter_spread(voices: Sequence[VoiceParams]) -> dict[str, float]:
    """Standard deviation of each of ``VOICE_PARAMETERS`` over ``voices``."""
    return {name: float(np.std([getattr(v, name) for v in voices])) for name in VOICE_PARAMETERS}


def majority_voice_share(voices: Sequence[VoiceParams]) -> tuple[str | None, float]:
    """The base voice most of ``voices`` have, and the share that have it."""
    voice, count = Counter(v.voice for v in voices).most_common(1)[0]
    return voice, count / len(voices)
