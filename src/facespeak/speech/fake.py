"""A deterministic stand-in engine for tests of later stages: no external program.

Each letter becomes one phone with a fixed duration and a sound whose kind
is easy to check: vowels are a 150 Hz square buzz at 0.5 (the loudest, with
hard edges), sonorants a 0.1 hum, other consonants seeded noise within
±0.1, stops a silent closure (first 60 %) then a burst within ±0.2.
Words are separated by nothing, commas by a 0.15 s pause. Prosody: the rate
divides every duration, pitch_scale multiplies the 150 Hz (pitch_range is
meaningless for a monotone and ignored).
"""

from __future__ import annotations

import zlib

import numpy as np

from facespeak.errors import UnknownVoice
from facespeak.speech.base import NEUTRAL, Prosody, close_timeline, is_content_word
from facespeak.types import Phone, Speech, VoiceInfo, Word

SAMPLE_RATE = 16000
VOWEL_S, CONSONANT_S, STOP_S, COMMA_PAUSE_S, EDGE_S = 0.12, 0.07, 0.08, 0.15, 0.05
STOP_CLOSURE = 0.6
BUZZ_HZ = 150.0
_LETTER_IPA = {"a": "a", "e": "ɛ", "i": "i", "o": "o", "u": "u", "y": "j", "c": "k",
               "q": "k", "x": "s", "j": "dʒ", "r": "ɹ", "g": "ɡ"}
VOWELS = frozenset("aɛiou")
STOPS = frozenset({"p", "b", "t", "d", "k", "ɡ", "dʒ"})
SONORANTS = frozenset({"m", "n", "l", "ɹ", "w", "j"})


class FakeEngine:
    """Letters -> phones with known durations and sounds; same text, same output."""

    name = "fake"
    voice = VoiceInfo("fake", "tone", ("en",), "", "deterministic test voice")

    def warm_up(self) -> None:
        """Nothing is slow to start."""

    def available(self) -> bool:
        return True

    def voices(self) -> tuple[VoiceInfo, ...]:
        return (self.voice,)

    def synthesize(self, text: str, voice: str = "tone", language: str = "en",
                   prosody: Prosody = NEUTRAL) -> Speech:
        if voice != self.voice.name:
            raise UnknownVoice(f"the fake engine has only the voice {self.voice.name!r}")
        phones, words = timeline(text, language, prosody.rate)
        duration = phones[-1].end_s + EDGE_S / prosody.rate
        samples = render(phones, duration, zlib.crc32(text.encode()),
                         BUZZ_HZ * prosody.pitch_scale)
        return Speech(samples, SAMPLE_RATE, close_timeline(phones, len(samples) / SAMPLE_RATE),
                      tuple(words), self.name, voice, language)


def phone_duration(symbol: str) -> float:
    return VOWEL_S if symbol in VOWELS else STOP_S if symbol in STOPS else CONSONANT_S


def timeline(text: str, language: str, rate: float = 1.0) -> tuple[list[Phone], list[Word]]:
    """Phones and words of ``text``, starting after EDGE_S of silence, every
    duration divided by ``rate``."""
    t, phones, words = EDGE_S / rate, [Phone("", 0.0, EDGE_S / rate)], []
    for raw in text.split():
        word = "".join(c for c in raw if c.isalpha())
        start = t
        for letter in word.lower():
            symbol = _LETTER_IPA.get(letter, letter)
            phones.append(Phone(symbol, t, t + phone_duration(symbol) / rate))
            t = phones[-1].end_s
        if word:
            words.append(Word(word, start, t, is_content_word(word, language)))
        if raw.endswith(","):
            phones.append(Phone("", t, t + COMMA_PAUSE_S / rate))
            t += COMMA_PAUSE_S / rate
    return phones, words


def render(phones: list[Phone], duration_s: float, seed: int,
           buzz_hz: float = BUZZ_HZ) -> np.ndarray:
    """The waveform: one characteristic sound per phone (see module doc)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(round(duration_s * SAMPLE_RATE), np.float32)
    for p in phones:
        a, b = round(p.start_s * SAMPLE_RATE), round(p.end_s * SAMPLE_RATE)
        t = np.arange(b - a) / SAMPLE_RATE
        if p.symbol in VOWELS:
            out[a:b] = 0.5 * np.sign(np.sin(2 * np.pi * buzz_hz * t))
        elif p.symbol in SONORANTS:
            out[a:b] = 0.1 * np.sin(2 * np.pi * buzz_hz * t)
        elif p.symbol in STOPS:
            burst = a + int((b - a) * STOP_CLOSURE)
            out[burst:b] = rng.uniform(-0.2, 0.2, b - burst)
        elif p.symbol:
            out[a:b] = rng.uniform(-0.1, 0.1, b - a)
    return out
