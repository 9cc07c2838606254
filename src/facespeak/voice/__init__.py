"""Voice stage: which voice speaks, and how it is shaped.

It chooses a ``VoiceParams`` (base engine voice, pitch level and range,
formant scale, speaking rate) that the speech stage applies: from ``--voice``,
from the portrait (``voice_for_face``: a deterministic face-conditioned voice,
as TTSF and AnyoneNet derive a speaker from a face, here with hand-built
measurements instead of a trained network), or from a reference recording.
"""

from facespeak.voice.face_descriptor import (
    FaceDescriptor,
    FaceRegions,
    describe_face,
    face_regions,
)
from facespeak.voice.face_voice import GenderEstimate, estimate_gender, voice_for_face

__all__ = ["FaceDescriptor", "FaceRegions", "GenderEstimate", "describe_face",
           "estimate_gender", "face_regions", "voice_for_face"]
