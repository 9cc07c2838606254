"""Shared fixtures: the built-in portrait, the real inputs in ../shared when present,
and a hand-made speech timeline for stages that need no engine."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REAL_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "real"


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not REAL_DIR.is_dir():
        pytest.skip(f"real fixtures not present at {REAL_DIR}")
    return REAL_DIR


@pytest.fixture(scope="session")
def demo_portrait():
    from facespeak import demo_portrait_path
    from facespeak.face.portrait import load_portrait

    return load_portrait(demo_portrait_path())


@pytest.fixture(scope="session")
def demo_face(demo_portrait):
    from facespeak.face.detect import detect_face

    return detect_face(demo_portrait)


def make_speech(words_phones: list[tuple[str, list[tuple[str, float]]]], gap_s: float = 0.0,
                lead_s: float = 0.3, tail_s: float = 0.4, sample_rate: int = 16000):
    """A Speech with a hand-made timeline and a waveform that is loud where phones
    are vowels: enough for motion and render tests without a speech engine."""
    from facespeak.types import Phone, Speech, Word

    t = lead_s
    phones, words = [Phone("", 0.0, lead_s)], []
    for text, seq in words_phones:
        start = t
        for sym, dur in seq:
            phones.append(Phone(sym, t, t + dur))
            t += dur
        words.append(Word(text, start, t, stressed=len(text) > 3))
        if gap_s:
            phones.append(Phone("", t, t + gap_s))
            t += gap_s
    phones.append(Phone("", t, t + tail_s))
    t += tail_s
    n = int(t * sample_rate)
    samples = np.zeros(n, np.float32)
    rng = np.random.default_rng(0)
    for p in phones:
        if p.symbol in {"a", "ɑ", "i", "u", "oʊ", "ɛ", "æ", "ə"}:
            a, b = int(p.start_s * sample_rate), int(p.end_s * sample_rate)
            samples[a:b] = 0.3 * np.sin(np.arange(b - a) * 2 * np.pi * 150 / sample_rate)
        elif p.symbol:
            a, b = int(p.start_s * sample_rate), int(p.end_s * sample_rate)
            samples[a:b] = 0.03 * rng.standard_normal(b - a)
    return Speech(samples, sample_rate, tuple(phones), tuple(words), "test", "test", "en")


@pytest.fixture
def papa_speech():
    """'papa mama baba', 60 ms consonants and 140 ms vowels."""
    syll = [("p", 0.06), ("a", 0.14), ("p", 0.06), ("a", 0.14)]
    return make_speech([("papa", syll),
                        ("mama", [("m", 0.07), ("a", 0.14), ("m", 0.07), ("a", 0.14)]),
                        ("baba", [("b", 0.06), ("ɑ", 0.14), ("b", 0.06), ("ɑ", 0.14)])],
                       gap_s=0.1)
