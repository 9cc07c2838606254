"""Phones -> mouth channels: an IPA -> viseme table and dominance-function
coarticulation (Cohen & Massaro 1993): every phone pulls each channel toward
its target with a weight that decays exponentially away from the phone's
centre, so neighbouring phones blend instead of stepping."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facespeak.types import Phone

MOUTH_CHANNELS = ("jaw_open", "lip_width", "lip_round", "lip_press", "tongue")


@dataclass(frozen=True)
class Viseme:
    """Mouth targets of one phone class, plus how strongly it holds them."""

    jaw_open: float
    lip_width: float = 0.0
    lip_round: float = 0.0
    lip_press: float = 0.0
    tongue: float = 0.0
    dominance: float = 1.0
    """Peak weight against neighbours; bilabials must win, so theirs is high."""
    spread_s: float = 0.045
    """How far beyond the phone its pull reaches; short for closures, long for rounding."""

    def targets(self) -> tuple[float, ...]:
        return (self.jaw_open, self.lip_width, self.lip_round, self.lip_press, self.tongue)


# Jaw targets are kept open for consonants other than p/b/m: in real speech
# the lips part through most consonants (voiced frames closed only ~15 % of
# the time, REAL_FOOTAGE_STATS.md table B).
REST = Viseme(0.0, dominance=0.6)
_CLASSES: dict[str, Viseme] = {
    "bilabial": Viseme(0.0, lip_press=1.0, dominance=12.0, spread_s=0.015),
    "labiodental": Viseme(0.06, lip_press=0.65, dominance=5.0, spread_s=0.02),
    "dental": Viseme(0.24, tongue=1.0, dominance=2.0),
    "alveolar": Viseme(0.26, lip_width=0.1, tongue=0.7, dominance=1.0),
    "lateral": Viseme(0.30, tongue=1.0, dominance=1.2),
    "sibilant": Viseme(0.13, lip_width=0.35, dominance=2.0),
    "postalveolar": Viseme(0.18, lip_width=-0.3, lip_round=0.6, dominance=2.5),
    "velar": Viseme(0.30, dominance=0.6),
    "glottal": Viseme(0.30, dominance=0.2),
    "rhotic": Viseme(0.22, lip_width=-0.2, lip_round=0.5, dominance=1.5),
    "w": Viseme(0.12, lip_width=-0.6, lip_round=1.0, dominance=3.0, spread_s=0.07),
    "j": Viseme(0.22, lip_width=0.5, dominance=1.0),
    "close_front": Viseme(0.30, lip_width=0.7, dominance=1.0),
    "mid_front": Viseme(0.42, lip_width=0.45, dominance=1.0),
    "open_front": Viseme(0.72, lip_width=0.35, dominance=1.0),
    "open": Viseme(0.88, lip_width=0.1, dominance=1.0),
    "open_back": Viseme(0.62, lip_width=-0.25, lip_round=0.55, dominance=1.2),
    "mid_back": Viseme(0.45, lip_width=-0.45, lip_round=0.8, dominance=1.5),
    "close_back": Viseme(0.28, lip_width=-0.6, lip_round=1.0, dominance=2.0),
    "central": Viseme(0.42, dominance=0.7),
    "nasal_velar": Viseme(0.26, dominance=0.6),
}

# IPA symbol (or its first character) -> class. Diphthongs are split upstream.
_IPA: dict[str, str] = {}
for _cls, _symbols in {
    "bilabial": "p b m ɓ ʙ ɸ β",
    "labiodental": "f v ɱ ʋ",
    "dental": "θ ð",
    "alveolar": "t d n ɾ ɗ ʈ ɖ ɳ ɽ ts dz",
    "lateral": "l ɫ ɭ ʎ ɬ ɮ ɺ",
    "sibilant": "s z ɕ ʑ ʂ ʐ",
    "postalveolar": "ʃ ʒ tʃ dʒ tɕ dʑ ʈʂ",
    "velar": "k g ɡ x ɣ q ɢ χ ʁ c ɟ ç ʝ",
    "nasal_velar": "ŋ ɲ ɴ",
    "glottal": "h ɦ ʔ ħ ʕ",
    "rhotic": "r ɹ ɻ ʀ ɚ ɝ",
    "w": "w ʍ ɥ",
    "j": "j ʲ",  # espeak-ng gives Russian palatalisation as a phone of its own
    "close_front": "i iː ɪ y yː ʏ ɨ",
    "mid_front": "e eː ɛ ɛː ø œ",
    "open_front": "æ a aː ɶ",
    "open": "ɑ ɑː ʌ ɐ ä",
    "open_back": "ɒ ɔ ɔː",
    "mid_back": "o oː ɤ ɵ",
    "close_back": "u uː ʊ ɯ ʉ",
    "central": "ə ɜ ɜː ɘ ᵻ",
}.items():
    for _s in _symbols.split():
        _IPA[_s] = _cls

_DIACRITICS = "ˈˌːˑ̩̯̪̥̬̃ʰʲʷˠˤ̚ʼ˞ ̝̞̟̠̈"


def viseme_class(symbol: str) -> str | None:
    """The viseme class of one IPA phone (the symbol, else its first two or one
    characters without diacritics); None when the table does not cover it."""
    if symbol in _IPA:
        return _IPA[symbol]
    bare = _bare(symbol)
    return (_IPA.get(bare[:2]) or _IPA.get(bare[:1])) if bare else None


def _bare(symbol: str) -> str:
    return "".join(ch for ch in symbol if ch not in _DIACRITICS)


def viseme_for(symbol: str) -> Viseme:
    """The viseme of one IPA phone; silence (and bare diacritics) rest,
    unknown symbols are central."""
    cls = viseme_class(symbol) if symbol else None
    if cls:
        return _CLASSES[cls]
    return _CLASSES["central"] if _bare(symbol) else REST


def split_diphthongs(phones: tuple[Phone, ...]) -> list[Phone]:
    """Split two-vowel symbols (aɪ, oʊ, ...) into two timed halves (60/40)."""
    out: list[Phone] = []
    for ph in phones:
        bare = "".join(ch for ch in ph.symbol if ch not in _DIACRITICS)
        first, second = bare[:1], bare[1:]
        if (len(bare) == 2 and _IPA.get(first, "").endswith(("front", "back", "open", "central"))
                and _IPA.get(second, "").endswith(("front", "back", "open", "central"))):
            mid = ph.start_s + 0.6 * (ph.end_s - ph.start_s)
            out += [Phone(first, ph.start_s, mid), Phone(second, mid, ph.end_s)]
        else:
            out.append(ph)
    return out


_BLOCK_FRAMES = 256
_REACH_S = 1.5
"""Phones further than this from a frame have no visible influence on it
(their dominance has decayed below 2e-5 of a phone's own)."""


def mouth_channels(phones: tuple[Phone, ...], times_s: np.ndarray) -> dict[str, np.ndarray]:
    """Blend every phone's targets at ``times_s`` with dominance functions.

    A phone's dominance is ``d · exp(-(max(|t - c| - h/2, 0) / (h/2 + spread)) ** 1.5)``
    (c its centre, h its half-length): near-flat over the phone, decaying beyond it.
    """
    parts = split_diphthongs(phones)
    if not parts:
        return {name: np.zeros(len(times_s), np.float32) for name in MOUTH_CHANNELS}
    starts = np.array([p.start_s for p in parts])
    ends = np.array([p.end_s for p in parts])
    visemes = [viseme_for(p.symbol) for p in parts]
    targets = np.array([v.targets() for v in visemes])            # (P, 5)
    strength = np.array([v.dominance for v in visemes])           # (P,)
    spread = np.array([v.spread_s for v in visemes])
    blended = np.zeros((len(times_s), len(MOUTH_CHANNELS)))
    # Frames in blocks, each against the phones near it only: time and memory
    # grow linearly with the text, not with its square.
    for a in range(0, len(times_s), _BLOCK_FRAMES):
        t = times_s[a:a + _BLOCK_FRAMES]
        near = slice(np.searchsorted(ends, t[0] - _REACH_S),
                     np.searchsorted(starts, t[-1] + _REACH_S, side="right"))
        centres = (starts[near] + ends[near]) / 2
        halves = np.maximum(ends[near] - starts[near], 0.02) / 2
        dist = np.abs(t[:, None] - centres[None, :])                 # (T, P near)
        dom = strength[near] * np.exp(
            -(np.maximum(dist - 0.5 * halves, 0) / (0.5 * halves + spread[near])) ** 1.5)
        dom += 1e-6  # keeps far-from-speech frames defined (they rest)
        blended[a:a + len(t)] = dom @ targets[near] / dom.sum(axis=1, keepdims=True)
    return {name: blended[:, i].astype(np.float32) for i, name in enumerate(MOUTH_CHANNELS)}


EDGE_PRESS = 0.5
"""Press on the frame either side of a forced p/b/m closure."""


def force_bilabial_closures(channels: dict[str, np.ndarray], phones: tuple[Phone, ...],
                            fps: float, lead_s: float = 0.0) -> None:
    """p/b/m close the lips fully, whatever the neighbours: over the whole
    phone, ``lead_s`` early (the mouth leads the sound), and at least through
    the frame nearest its middle in the sound (which ``facespeak eval``'s
    articulation check inspects)."""
    press = channels["lip_press"]
    for ph in phones:
        if _IPA.get(ph.symbol) == "bilabial":
            middle = (ph.start_s + ph.end_s) / 2
            first = round((ph.start_s - lead_s) * fps)
            last = round(max(ph.end_s - lead_s, middle) * fps)
            press[max(first, 0):max(last + 1, 0)] = 1.0
            # Lips take a couple of frames to meet and to part, not one step.
            for edge in (first - 1, last + 1):
                if 0 <= edge < len(press):
                    press[edge] = max(press[edge], EDGE_PRESS)
