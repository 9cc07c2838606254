"""Which engine and voice speak a request: defaults, qualified names, errors."""

from __future__ import annotations

from facespeak.errors import EngineMissing, UnknownVoice, UnsupportedLanguage
from facespeak.speech.base import SpeechEngine
from facespeak.speech.espeak import EspeakEngine
from facespeak.speech.festival import FestivalEngine
from facespeak.speech.flite import FliteEngine
from facespeak.types import VoiceInfo

FESTIVAL = FestivalEngine()
FLITE = FliteEngine()
ESPEAK = EspeakEngine()
ENGINES: tuple[SpeechEngine, ...] = (FESTIVAL, FLITE, ESPEAK)
DEFAULT_ENGLISH_VOICES: tuple[tuple[SpeechEngine, str], ...] = (
    (FESTIVAL, "slt-hts"), (FLITE, "rms"))
"""The first installed one speaks English by default: the most intelligible
voices, in that order, by the recogniser's word error rate over 30 Harvard
sentences (benchmarks/bench_voices.py: festival slt-hts, with the lower
formants facespeak gives it, 19.2 %; flite rms 22.5 %; both far faster than
real time)."""
_ALIASES = {"festival": FESTIVAL, "flite": FLITE, "espeak": ESPEAK, "espeak-ng": ESPEAK}
_SHOWN = 12  # names shown in an error before "... (N in all)"


def list_voices() -> list[VoiceInfo]:
    """Every voice of every installed engine."""
    return [v for engine in ENGINES if engine.available() for v in engine.voices()]


def normalize_language(language: str) -> str:
    return language.strip().lower().replace("_", "-")


def is_english(language: str) -> bool:
    return normalize_language(language).split("-")[0] == "en"


def resolve_voice(voice: str | None, language: str | None
                  ) -> tuple[SpeechEngine, str, str]:
    """(engine, voice name, language) for a request.

    ``voice`` may be None (the default for the language), plain ("slt", "de")
    or engine-qualified ("flite:slt", "espeak:de", "espeak:de+f3"). With no
    language, English is assumed unless the voice says otherwise. Raises
    ``UnknownVoice``, ``UnsupportedLanguage`` or ``EngineMissing``.
    """
    lang = normalize_language(language) if language else None
    if voice is None:
        return _default(lang or "en")
    engine, name = _find_voice(voice.strip())
    spoken = _languages_of(engine, name)
    if lang is None:
        return engine, name, spoken[0]
    if not any(_compatible(lang, s) for s in spoken):
        raise UnsupportedLanguage(
            f"voice {engine.name}:{name} speaks {', '.join(spoken)}, not {lang!r}")
    return engine, name, lang


def _default(lang: str) -> tuple[SpeechEngine, str, str]:
    if is_english(lang):
        for engine, name in DEFAULT_ENGLISH_VOICES:
            if name in _names(engine):
                return engine, name, lang
    if not ESPEAK.available():
        need = "festival, flite or espeak-ng" if is_english(lang) else "espeak-ng"
        raise EngineMissing(f"speaking {lang!r} needs {need}: "
                            "apt-get install festival festvox-us-slt-hts flite espeak-ng")
    name = ESPEAK.voice_for_language(lang)
    if name is None:
        known = sorted({lang for v in list_voices() for lang in v.languages})
        raise UnsupportedLanguage(f"no installed voice speaks {lang!r}; languages: "
                                  f"{_abbreviate(known)} (see 'facespeak voices')")
    return ESPEAK, name, lang


def _find_voice(voice: str) -> tuple[SpeechEngine, str]:
    qualifier, _, name = voice.rpartition(":")
    if qualifier and qualifier.lower() not in _ALIASES:
        raise UnknownVoice(f"unknown engine {qualifier!r} in voice {voice!r}; "
                           f"engines: {', '.join(e.name for e in ENGINES)}")
    candidates = [_ALIASES[qualifier.lower()]] if qualifier else list(ENGINES)
    for engine in candidates:
        if _has_voice(engine, name):
            return engine, name
    if qualifier and not candidates[0].available():
        raise EngineMissing(f"voice {voice!r} needs {candidates[0].name}, which is not installed")
    raise UnknownVoice(f"unknown voice {voice!r}; voices: {_voice_summary()}")


def _has_voice(engine: SpeechEngine, name: str) -> bool:
    base, plus, variant = name.partition("+")
    if base not in _names(engine):
        return False
    return not plus or (engine is ESPEAK and variant in {v.name for v in ESPEAK.variants()})


def _names(engine: SpeechEngine) -> list[str]:
    return [v.name for v in engine.voices()] if engine.available() else []


def _languages_of(engine: SpeechEngine, name: str) -> tuple[str, ...]:
    base = name.partition("+")[0]
    return next(v.languages for v in engine.voices() if v.name == base)


def _compatible(requested: str, spoken: str) -> bool:
    """"en" matches "en-us" and back; "de-at" matches "de"."""
    a, b = requested.split("-"), spoken.split("-")
    return a[:len(b)] == b or b[:len(a)] == a


def _voice_summary() -> str:
    parts = [f"{e.name}: {_abbreviate(_names(e))}" for e in ENGINES if e.available()]
    if ESPEAK.available():
        parts.append(f"espeak variants as voice+variant, e.g. de+{ESPEAK.variants()[0].name}")
    return "; ".join(parts) or "none (install festival, flite or espeak-ng)"


def _abbreviate(names: list[str]) -> str:
    if len(names) <= _SHOWN:
        return ", ".join(names)
    return f"{', '.join(names[:_SHOWN])}, ... ({len(names)} in all)"
