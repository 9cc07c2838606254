"""A voice that fits the face, chosen deterministically from the portrait.

TTSF and AnyoneNet learn a face -> speaker-embedding network; there is no such
trained model here, so this is a hand-built, documented heuristic on the
identity descriptor of ``face_descriptor``:

1. **Male or female base voice** from a masculinity score
   ``M = 0.5 size + moustache - long hair - red lips`` (each cue about one
   unit when clearly present, at most two; size is a weak cue, see below).
   ``M > 0`` gives a male voice. The three appearance cues are evidence only
   when present: a shaved man, a woman with tied-back hair or without lipstick
   gets no push either way.
2. **Pitch, formants, range and rate** from ``size`` (how long and wide the
   lower face is for the eye spacing): children's and cartoon faces are small,
   adult faces large, and a larger body has a longer vocal tract and a lower
   voice. ``tanh(M)`` adds a little: within a voice, a more masculine face
   sounds a little lower, a more feminine one a little higher.

Every value stays within natural, intelligible bounds (``*_BOUNDS``). Because
size is measured on the face of a child and an adult alike, a boy's face reads
as female unless another cue says otherwise; users can override any choice
with ``--voice``. Measured accuracy and consistency: docs/voices.md and
benchmarks/bench_face_voice.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from facespeak.types import FaceGeometry, VoiceParams
from facespeak.voice.face_descriptor import FaceDescriptor, describe_face

# ---- gender cues: each maps a measurement to a score of about 1 when the cue is clear
SIZE_WEIGHT = 0.5
"""Larger lower faces are more often male, but children of both sexes are small."""
MOUSTACHE_FROM, MOUSTACHE_PER_UNIT = 0.30, 0.20
"""Upper-lip darkening above 0.30 (beyond what a nose shadow does) counts as hair."""
LONG_HAIR_FROM, LONG_HAIR_PER_UNIT = 0.10, 0.20
RED_LIPS_FROM, RED_LIPS_PER_UNIT = 15.0, 8.0
"""Natural lips of either sex are up to about 15 a* units redder than the nose;
lipstick is 20 or more."""
LIP_FULL_CHROMA = 15.0
"""Lips with less colour than this (greyscale, sepia) weigh proportionally less."""
CUE_LIMIT = 2.0
CONFIDENCE_SLOPE = 1.0
"""``confidence = logistic(CONFIDENCE_SLOPE * |M|)``: a readable squashing, not a
calibrated probability."""

# ---- voice parameters from size S (clipped to SIZE_LIMIT) and tanh(M)
SIZE_LIMIT = 2.5
PITCH_SEMITONES_PER_SIZE = -2.0
PITCH_SEMITONES_PER_MASCULINITY = -1.0
FORMANT_LOG_PER_SIZE = 0.0
"""Off: scaling the formants from the face (-0.06 per unit of size was tried)
more than doubled the recogniser's word error rate (flite rms 19 % -> 36 % at
x0.95), so the face shapes pitch, range and rate only until a formant shift
that keeps speech intelligible is available."""
RANGE_LOG_PER_SIZE, RANGE_LOG_PER_MASCULINITY = -0.08, -0.05
RATE_LOG_PER_SIZE = 0.035
"""Children speak more slowly than adults; among adults the effect is small."""
PITCH_BOUNDS = (0.8, 1.3)
FORMANT_BOUNDS = (0.9, 1.15)
RANGE_BOUNDS = (0.8, 1.25)
RATE_BOUNDS = (0.9, 1.1)
ESPEAK_VARIANTS = {"female": "f2", "male": "m6"}
"""espeak-ng variant of each gender for languages other than English (espeak-ng's
language voices are all male). Median F0 on German 187 and 97 Hz, near the
English base voices' (Festival slt-hts, flite rms), so the face's pitch scale
means about the same in every language; of the variants tried (f1 f2 f5, m1
m3 m5 m6, and none) the two with the lowest recogniser WER on en-us over 30
Harvard sentences: 65 % and 60 % (none 79 %, the others 66-87 %; espeak-ng
is hard for this recogniser, compare the figures with each other only)."""


@dataclass(frozen=True)
class GenderEstimate:
    """Male or female, with the score and the cues that decided it."""

    gender: str
    """"male" or "female"."""
    masculinity: float
    """M: > 0 male, < 0 female; about +-1 per clear cue."""
    confidence: float
    """0.5 (a coin toss) .. 1: ``logistic(|M|)``."""
    cues: tuple[tuple[str, float], ...]
    """(name, signed contribution to M), largest first."""


def voice_for_face(face: FaceGeometry, image: np.ndarray, language: str = "en") -> VoiceParams:
    """The voice for the face ``face`` (from ``detect_face``) found in ``image``
    ((H, W, 3) uint8 RGB). Deterministic: the same photo always gives the same
    voice. The base voice has the face's gender: an English voice for English,
    the language's espeak-ng voice with a male or female variant otherwise
    (``base_voice``); pitch, range and rate are relative to it."""
    return voice_params_from_descriptor(describe_face(face, image), language)


def voice_params_from_descriptor(face: FaceDescriptor, language: str = "en") -> VoiceParams:
    gender = estimate_gender(face)
    size = float(np.clip(face.size, -SIZE_LIMIT, SIZE_LIMIT))
    lean = math.tanh(gender.masculinity)
    semitones = PITCH_SEMITONES_PER_SIZE * size + PITCH_SEMITONES_PER_MASCULINITY * lean
    pitch = _bounded(2.0 ** (semitones / 12.0), PITCH_BOUNDS)
    formants = _bounded(math.exp(FORMANT_LOG_PER_SIZE * size), FORMANT_BOUNDS)
    pitch_range = _bounded(math.exp(RANGE_LOG_PER_SIZE * size + RANGE_LOG_PER_MASCULINITY * lean),
                           RANGE_BOUNDS)
    rate = _bounded(math.exp(RATE_LOG_PER_SIZE * size), RATE_BOUNDS)
    voice = base_voice(gender.gender, language)
    return VoiceParams(
        voice=voice, pitch_scale=pitch, pitch_range=pitch_range, formant_scale=formants,
        rate=rate, reason=_reason(gender, voice, face.size, pitch, pitch_range, formants, rate),
    )


def estimate_gender(face: FaceDescriptor) -> GenderEstimate:
    """Male or female from the descriptor's cues (see the module docstring)."""
    size = SIZE_WEIGHT * float(np.clip(face.size, -SIZE_LIMIT, SIZE_LIMIT))
    colour_weight = 0.0 if math.isnan(face.lip_chroma) else min(face.lip_chroma / LIP_FULL_CHROMA,
                                                                  1.0)
    contributions = {
        "large lower face" if size > 0 else "small lower face": size,
        "moustache": _evidence(face.upper_lip_darkening, MOUSTACHE_FROM, MOUSTACHE_PER_UNIT),
        "long hair": -_evidence(face.side_hair_fraction, LONG_HAIR_FROM, LONG_HAIR_PER_UNIT),
        "red lips": -colour_weight * _evidence(face.lip_redness, RED_LIPS_FROM,
                                               RED_LIPS_PER_UNIT),
    }
    masculinity = sum(contributions.values())
    cues = tuple(sorted(((k, v) for k, v in contributions.items() if abs(v) >= 0.05),
                        key=lambda kv: -abs(kv[1])))
    return GenderEstimate(
        gender="male" if masculinity > 0 else "female",
        masculinity=masculinity,
        confidence=1.0 / (1.0 + math.exp(-CONFIDENCE_SLOPE * abs(masculinity))),
        cues=cues,
    )


def base_voice(gender: str, language: str) -> str | None:
    """An installed voice of ``gender`` for ``language``, engine-qualified:
    ``english_voice`` for English, else ``espeak_voice``; None if there is none
    (the speech stage then picks the language's default)."""
    from facespeak.speech.voices import is_english

    return english_voice(gender) if is_english(language) else espeak_voice(gender, language)


@lru_cache(maxsize=64)
def espeak_voice(gender: str, language: str) -> str | None:
    """The voice the speech stage would pick for ``language`` (espeak-ng's),
    with ``ESPEAK_VARIANTS[gender]``: "espeak:de+f2". espeak-ng's language
    voices are all male; its variants set the pitch, formants and breathiness
    of a male or female speaker on top of any language. None when espeak-ng
    is missing or does not speak the language."""
    from facespeak.speech.voices import ESPEAK, normalize_language

    if not ESPEAK.available():
        return None
    name = ESPEAK.voice_for_language(normalize_language(language))
    if name is None:
        return None
    variants = {v.name: v.gender for v in ESPEAK.variants()}
    variant = ESPEAK_VARIANTS.get(gender)
    return f"espeak:{name}+{variant}" if variants.get(variant) == gender else f"espeak:{name}"


@lru_cache(maxsize=4)
def english_voice(gender: str) -> str | None:
    """An installed English voice of ``gender``, engine-qualified: the default
    English voice when it has that gender, else the first one listed; None if
    there is none."""
    from facespeak.errors import FacespeakError
    from facespeak.speech import list_voices, resolve_voice

    names = [f"{v.engine}:{v.name}" for v in list_voices() if v.gender == gender
             and any(lang.split("-")[0] == "en" for lang in v.languages)]
    try:
        engine, name, _ = resolve_voice(None, "en")
    except FacespeakError:  # no English engine installed: the first listed, if any
        return names[0] if names else None
    default = f"{engine.name}:{name}"
    return default if default in names else (names[0] if names else None)


def _evidence(value: float, start: float, per_unit: float) -> float:
    """0 below ``start``, rising one unit per ``per_unit``, capped; 0 when unknown."""
    if math.isnan(value):
        return 0.0
    return float(np.clip((value - start) / per_unit, 0.0, CUE_LIMIT))


def _bounded(value: float, bounds: tuple[float, float]) -> float:
    return round(float(np.clip(value, *bounds)), 3)


def _reason(gender: GenderEstimate, voice: str | None, size: float, pitch: float,
            pitch_range: float, formants: float, rate: float) -> str:
    toward = [name for name, v in gender.cues if (v > 0) == (gender.gender == "male")]
    why = ", ".join(toward) or "no clear cue"
    return (f"face: {gender.gender} ({gender.confidence:.2f}: {why}), "
            + (f"voice {voice}, " if voice else "")
            + f"size {size:+.2f}, pitch ×{pitch:.2f}, range ×{pitch_range:.2f}, "
            f"formants ×{formants:.2f}, rate ×{rate:.2f}")
