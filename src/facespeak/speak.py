"""``facespeak speak``: text -> a speech WAV, in a chosen voice or one that fits a face."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from facespeak.errors import FacespeakInputError
from facespeak.media.atomic import check_writable
from facespeak.media.audio import write_wav
from facespeak.speech import resolve_voice, synthesize_sentences
from facespeak.speech.shape import LIMITS, scale_voice
from facespeak.text import text_to_sentences
from facespeak.types import Speech, VoiceParams


@dataclass(frozen=True)
class SpeakResult:
    wav_path: Path
    speech: Speech
    voice: VoiceParams
    """The voice that spoke, with why (``reason``)."""


def check_rate_and_pitch(rate: float, pitch: float) -> None:
    """Raise FacespeakInputError naming --rate or --pitch when out of range."""
    for name, value, (low, high) in (("--rate", rate, LIMITS["rate"]),
                                     ("--pitch", pitch, LIMITS["pitch_scale"])):
        if not low <= value <= high:
            raise FacespeakInputError(f"{name} must be between {low:g} and {high:g}, not {value:g}")


def speak(text: str, output: str | Path, voice: str | None = None,
          language: str | None = None, rate: float = 1.0, pitch: float = 1.0,
          face: str | Path | None = None, ssml: bool | None = None,
          voice_ref: str | Path | None = None) -> SpeakResult:
    """Speak ``text`` into the WAV file ``output`` (written atomically).

    ``voice`` and ``language`` as for ``say``; ``rate`` and ``pitch`` multiply
    the voice's speaking rate and pitch. With ``face`` (a portrait), the voice
    is chosen to fit that face (``facespeak.voice.face_voice``), unless
    ``voice`` names one: then only its pitch, formants and rate come from the face.
    ``ssml``: read ``text`` as SSML (True), plain (False) or SSML if it starts
    with ``<speak`` (None). ``voice_ref``: a recording whose voice to imitate
    (it decides the voice instead of ``face``).
    """
    check_rate_and_pitch(rate, pitch)
    check_writable(output)
    _, _, spoken_language = resolve_voice(voice, language)
    params = VoiceParams(voice=voice, reason="--voice" if voice else "default")
    if face is not None:
        params = _voice_for_portrait(Path(face), spoken_language)
        if voice is not None:
            params = replace(params, voice=voice, reason=f"--voice, {params.reason}")
    profile = None
    if voice_ref is not None:
        from facespeak.voice.reference import load_voice_profile, voice_params_for

        profile = load_voice_profile(voice_ref)
        params = voice_params_for(profile, spoken_language, voice)
        if pitch != 1.0:  # the re-voicing aims at the pitch the user asked for
            profile = replace(profile, log_f0_mean=profile.log_f0_mean + math.log(pitch))
    params = scale_voice(params, rate, pitch)
    speech = synthesize_sentences(text_to_sentences(text, spoken_language, ssml), params,
                                  language)
    if profile is not None:
        from facespeak.voice.convert import convert_speech

        speech = convert_speech(speech, profile)
    write_wav(output, speech.samples, speech.sample_rate)
    return SpeakResult(Path(output), speech, params)


def _voice_for_portrait(path: Path, language: str) -> VoiceParams:
    from facespeak.face.detect import detect_face
    from facespeak.face.portrait import load_portrait
    from facespeak.voice.face_voice import voice_for_face

    portrait = load_portrait(path)
    return voice_for_face(detect_face(portrait), portrait.pixels, language)
