"""Phones for the sync measure: recognised from audio alone with PocketSphinx
(its all-phone search and the en-us acoustic model bundled in the PyPI wheel),
and turned into per-frame phonetic features of the mouth.

The feature table is textbook phonetics (vowel height, lip rounding, place of
articulation), deliberately independent of the generator's viseme table in
``facespeak.motion.visemes``, so that a mistake there cannot hide in the
evaluation. English phone recognition on other languages is rough, but its
vowel/consonant/silence pattern still carries the rhythm the measure needs.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from facespeak.errors import EngineMissing
from facespeak.evaluate.intelligibility import RECOGNISER_RATE, decode_utterance
from facespeak.types import Phone

RECOGNISER_FRAME_S = 0.01
SMOOTHING_FRAMES = 2.0
"""Gaussian sigma (video frames) on the features: phone boundaries are soft."""


def _by_symbol(groups: dict[str, float]) -> dict[str, float]:
    """{"a ɑ": 1.0} -> {"a": 1.0, "ɑ": 1.0}"""
    return {symbol: value for symbols, value in groups.items() for symbol in symbols.split()}


# How open the jaw and lips are, 0 (shut) .. 1 (a, ɑ); consonants not listed: 0.15.
_OPENNESS = _by_symbol({"a ɑ ɒ ɐ ä ɶ": 1.0, "æ": 0.9, "ʌ ɔ ɛ œ ɜ ɞ": 0.7,
                        "e o ø ə ɘ ɵ ɤ h ɦ": 0.5, "ɚ ɝ": 0.4, "ɪ ʊ ʏ": 0.35,
                        "i y u ɯ ɨ ʉ": 0.25, "p b m ɓ ʙ": 0.0, "f v ɱ": 0.05})
CONSONANT_OPENNESS = 0.15
_ROUNDING = _by_symbol({"u ʊ o w ʍ ɥ y ʏ ø œ": 1.0, "ɔ ɒ ʃ ʒ tʃ dʒ ɹ r ɻ ɚ ɝ": 0.6})
_CLOSURE = _by_symbol({"p b m ɓ ʙ": 1.0, "f v ɱ": 0.6})
_MARKS = "ˈˌːˑ̩̯̪̥̬̃ʰʲʷˠˤ̚ʼ˞ ̝̞̟̠̈"

# PocketSphinx's CMU (ARPAbet) phone set -> IPA.
_ARPABET = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "B": "b", "CH": "tʃ",
    "D": "d", "DH": "ð", "EH": "ɛ", "ER": "ɝ", "EY": "eɪ", "F": "f", "G": "ɡ", "HH": "h",
    "IH": "ɪ", "IY": "i", "JH": "dʒ", "K": "k", "L": "l", "M": "m", "N": "n", "NG": "ŋ",
    "OW": "oʊ", "OY": "ɔɪ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t", "TH": "θ",
    "UH": "ʊ", "UW": "u", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}
_LOCK = threading.Lock()  # one decoder, not safe to share between threads


def phone_features(symbol: str) -> tuple[float, float, float, float]:
    """(openness, rounding, closure, silence) of one IPA phone; "" is silence.
    Diphthongs and affricates take their first part, diacritics are ignored."""
    bare = "".join(ch for ch in symbol if ch not in _MARKS)
    if not bare:
        return 0.0, 0.0, 0.0, 1.0
    key = bare if bare in _OPENNESS or bare in _ROUNDING else bare[:1]
    return _OPENNESS.get(key, CONSONANT_OPENNESS), _ROUNDING.get(key, 0.0), _CLOSURE.get(key, 0.0), 0.0


def phonetic_features(phones: Sequence[Phone], fps: float, n_frames: int) -> np.ndarray:
    """(n_frames, 4) the features of the phone sounding at each frame time
    i/fps (silence where none does), smoothed over ~2 frames."""
    times = np.arange(n_frames) / fps
    ordered = sorted(phones, key=lambda p: p.start_s)
    table = np.array([phone_features(p.symbol) for p in ordered] + [phone_features("")])
    starts = np.array([p.start_s for p in ordered])
    ends = np.array([p.end_s for p in ordered] + [0.0])  # the last row is silence
    # The last phone starting at or before each frame time, if it still sounds.
    current = np.searchsorted(starts, times, side="right") - 1
    sounding = (current >= 0) & (times < ends[np.maximum(current, 0)])
    rows = np.where(sounding, current, len(ordered))
    return gaussian_filter1d(table[rows], SMOOTHING_FRAMES, axis=0, mode="nearest")


def recognize_phones(samples: np.ndarray, sample_rate: int) -> tuple[Phone, ...]:
    """IPA phones heard in mono float audio at 16 kHz (PocketSphinx all-phone
    search; noise and silence segments become silence, "")."""
    if sample_rate != RECOGNISER_RATE:
        raise ValueError(f"recognize_phones needs {RECOGNISER_RATE} Hz audio, got {sample_rate}")
    with _LOCK:
        decoder = _phone_decoder()
        decode_utterance(decoder, samples)
        segments = [(s.word, s.start_frame, s.end_frame + 1) for s in decoder.seg()]
    return tuple(Phone(_ARPABET.get(word, ""), start * RECOGNISER_FRAME_S,
                       end * RECOGNISER_FRAME_S) for word, start, end in segments)


@functools.cache
def _phone_decoder():
    try:
        from pocketsphinx import Decoder, get_model_path
    except ImportError as e:
        raise EngineMissing("phone recognition needs pocketsphinx: "
                            "pip install 'pocketsphinx>=5'") from e
    model = Path(get_model_path()) / "en-us"
    # Narrower beams and 2 Gaussians per frame instead of 4: 35% faster than
    # the defaults, and the sync measure's results on 141 pairings unchanged.
    return Decoder(hmm=str(model / "en-us"), allphone=str(model / "en-us-phone.lm.bin"),
                   lw=2.0, beam=1e-10, pbeam=1e-10, topn=2, logfn="/dev/null")
