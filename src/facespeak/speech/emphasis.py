"""SSML emphasis in the speech: carried onto the words the engine spoke
(``mark_emphasis``), then heard on them (``emphasize``).

Engines name their words in their own way ("twenty-one" may come back as
"twenty", "Smith's" as "Smith"), so words are matched by their letters and
digits, in order: each spoken word is looked up in the sentence's text a
little ahead of the last match, and takes the emphasis of the word it falls in.

Every engine speaks a sentence as one phrase and none takes emphasis inside
it, so emphasis is made afterwards, on the spoken word's span (from the
engine's word timings): higher pitch, longer, a little louder (``reduced``:
lower, shorter, softer), by TD-PSOLA (``pitch.warp``) with raised-cosine
transitions at the edges of each run of words at one level. The lengthening
goes into the voiced sounds (vowels and voiced consonants), where speakers
put it, and repeating noise grains would buzz; later phones and words move
by the time added. The sentence's peak is kept (a smooth limiter on the
emphasised span), so the loudness normalisation after it leaves the other
words as loud as before. Only the emphasised stretches are analysed and
resynthesised; the rest of the sentence is copied.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from facespeak.speech.base import close_timeline
from facespeak.speech.pitch import HOP_S, WINDOW_S, track_f0, warp
from facespeak.text.ssml import word_key
from facespeak.types import Phone, Sentence, Speech, Word

LOOKAHEAD_CHARS = 30
"""How far past the last match a spoken word may be found; further means the
engine said something not in the text, and the word is left as it is."""


def mark_emphasis(speech: Speech, sentence: Sentence) -> Speech:
    """``speech`` (one sentence's) with ``Word.emphasis`` set from
    ``sentence.emphasis``; "reduced" words also lose their stress."""
    if not sentence.emphasis:
        return speech
    letters, owner = _letters_and_owner(sentence)
    words, cursor = [], 0
    for word in speech.words:
        key = word_key(word.text)
        at = letters.find(key, cursor, cursor + LOOKAHEAD_CHARS + len(key)) if key else -1
        if at < 0:
            words.append(word)
            continue
        level = sentence.emphasis[owner[at]]
        cursor = at + len(key)
        stressed = word.stressed and level != "reduced"
        words.append(replace(word, emphasis=level, stressed=stressed) if level else word)
    return replace(speech, words=tuple(words))


def _letters_and_owner(sentence: Sentence) -> tuple[str, list[int]]:
    """The sentence's letters and digits run together, and for each the index
    of its word in ``sentence.text.split()``."""
    keys = [word_key(token) for token in sentence.text.split()]
    return "".join(keys), [i for i, k in enumerate(keys) for _ in k]


@dataclass(frozen=True)
class EmphasisProsody:
    """What an SSML emphasis level does to its words' sound."""

    semitones: float
    """Pitch change (+2 semitones = F0 x1.12)."""
    lengthen: float
    """Duration multiplier of the words (their voiced sounds take it all)."""
    gain_db: float
    """Level change, before the sentence's peak is limited to what it was."""


EMPHASIS_PROSODY = {
    "moderate": EmphasisProsody(2.0, 1.15, 2.0),
    "strong": EmphasisProsody(4.0, 1.3, 2.5),
    "reduced": EmphasisProsody(-1.5, 0.9, -2.0),
}
EDGE_RAMP_S = 0.04
"""Raised-cosine transition centred on each edge of a run of words at one level."""
MARGIN_S = 0.08
"""Analysed beyond the transitions on each side (two F0 analysis windows)."""
VOICED_STRETCH = (0.6, 2.0)
"""Limits of the stretch of the voiced sounds (a mostly voiceless word gets less
lengthening than asked rather than buzzing)."""
VOICED_EDGE_S = 0.015
"""Not lengthened at either end of a voiced stretch: the F0 analysis window
(40 ms) calls up to about this much of the silence or noise beside a vowel
voiced, and repeating grains there would smear the vowel into it."""
LIMITER_S = 0.01
"""Width of the peak limiter's gain smoothing."""


def emphasize(speech: Speech) -> Speech:
    """``speech`` (one sentence's, words marked by ``mark_emphasis``) with each
    emphasised word spoken as ``EMPHASIS_PROSODY`` says; phones and words
    after a lengthened word move by the time added. Unchanged (the same
    object) when no word is emphasised."""
    runs = _runs(speech.words)
    if not runs:
        return speech
    rate, samples = speech.sample_rate, speech.samples
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    reach = round((MARGIN_S + EDGE_RAMP_S / 2) * rate)
    pieces, maps, done = [], [], 0  # maps: (first, last, output positions) per cluster
    for cluster in _clusters(runs, 2 * reach / rate):
        first = max(0, round(cluster[0][0] * rate) - reach)
        last = min(len(samples), round(cluster[-1][1] * rate) + reach)
        out, at = _emphasize_span(samples[first:last], rate, first, cluster, reach, peak)
        pieces += [samples[done:first], out]
        maps.append((first, last, at))
        done = last
    pieces.append(samples[done:])
    new = np.concatenate(pieces).astype(np.float32)
    duration = len(new) / rate
    n_phones = len(speech.phones)
    edges = np.array([[p.start_s, p.end_s] for p in speech.phones] +
                     [[w.start_s, w.end_s] for w in speech.words]).reshape(-1, 2)
    moved = _moved(edges * rate, maps) / rate
    phones = [Phone(p.symbol, a, b) for p, (a, b) in zip(speech.phones, moved[:n_phones],
                                                          strict=True)]
    words = tuple(replace(w, start_s=a, end_s=min(duration, b))
                  for w, (a, b) in zip(speech.words, moved[n_phones:], strict=True))
    return Speech(new, rate, close_timeline(phones, duration), words, speech.engine,
                  speech.voice, speech.language)


def _runs(words: tuple[Word, ...]) -> list[tuple[float, float, str]]:
    """(start, end, level) of each run of neighbouring words with one audible level."""
    runs: list[tuple[float, float, str]] = []
    previous = ""
    for word in words:
        level = word.emphasis if word.emphasis in EMPHASIS_PROSODY else ""
        if level and level == previous:
            runs[-1] = (runs[-1][0], word.end_s, level)
        elif level:
            runs.append((word.start_s, word.end_s, level))
        previous = level
    return runs


def _clusters(runs: list[tuple[float, float, str]], apart_s: float
              ) -> list[list[tuple[float, float, str]]]:
    """Runs closer than ``apart_s`` are processed together."""
    clusters = [[runs[0]]]
    for run in runs[1:]:
        if run[0] - clusters[-1][-1][1] < apart_s:
            clusters[-1].append(run)
        else:
            clusters.append([run])
    return clusters


def _emphasize_span(x: np.ndarray, rate: int, offset: int,
                    runs: list[tuple[float, float, str]], reach: int, peak: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """One cluster of runs on its stretch ``x`` (starting at sample ``offset``):
    the new stretch and each input position's output position (0..len(x))."""
    before = reach - min(reach, offset)  # silence added where the sentence starts too soon
    after = reach  # and after (where it ends too soon), cut off again below
    local = np.concatenate([np.zeros(before, x.dtype), x, np.zeros(after, x.dtype)])
    t = (np.arange(len(local)) + offset - before) / rate
    f0 = track_f0(local, rate)
    frame = np.clip(np.round((np.arange(len(local)) / rate - WINDOW_S / 2) / HOP_S), 0,
                    max(len(f0) - 1, 0)).astype(int)
    voiced = ~np.isnan(f0[frame]) if len(f0) else np.zeros(len(local), bool)
    steady = _eroded(voiced, round(VOICED_EDGE_S * rate))
    semitones, gain_db, stretch = (np.zeros(len(local)) for _ in range(3))
    stretch += 1.0
    for start, end, level in runs:
        style = EMPHASIS_PROSODY[level]
        weight = _ramp(t - start) * (1.0 - _ramp(t - end))
        semitones += style.semitones * weight
        gain_db += style.gain_db * weight
        lengthened = steady & (t >= start) & (t < end)  # the neighbours keep their length
        if lengthened.any():
            added = (style.lengthen - 1.0) * (end - start) * rate
            sigma = float(np.clip(1.0 + added / lengthened.sum(), *VOICED_STRETCH))
            stretch[lengthened] = sigma
    out, at = warp(local, rate, 2.0 ** (semitones / 12.0), stretch, 10.0 ** (gain_db / 20.0),
                   f0)
    shift = at[before + len(x)] - (before + len(x))
    out = _limited(out[before:round(before + len(x) + shift)], peak, rate)
    return out, at[before:before + len(x) + 1] - before


def _eroded(mask: np.ndarray, by: int) -> np.ndarray:
    """``mask`` with ``by`` samples taken off both ends of each run of True."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    out = np.zeros_like(mask)
    for a, b in zip(edges[::2] + by, edges[1::2] - by, strict=True):
        out[a:max(a, b)] = True
    return out


def _ramp(t: np.ndarray) -> np.ndarray:
    """0 -> 1 over ``EDGE_RAMP_S`` centred on t = 0 (raised cosine); exactly 0 and
    1 outside it."""
    x = np.clip(t / EDGE_RAMP_S + 0.5, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _limited(x: np.ndarray, limit: float, rate: int) -> np.ndarray:
    """``x`` with its peaks above ``limit`` brought down by a smooth gain: the
    least gain any sample within ``LIMITER_S`` needs, averaged over a Hann
    window as wide (so never more than any sample there allows)."""
    over = np.flatnonzero(np.abs(x) > limit)
    if limit <= 0 or not len(over):
        return x
    half = max(1, round(LIMITER_S * rate / 2))
    a, b = max(0, over[0] - 2 * half), min(len(x), over[-1] + 2 * half + 1)
    need = np.minimum(1.0, limit / np.maximum(np.abs(x[a:b]), 1e-12))
    least = _running_min(need, half)
    window = np.hanning(2 * half + 3)[1:-1]
    smooth = np.convolve(np.pad(least, half, constant_values=1.0), window / window.sum(),
                         "valid")
    out = x.copy()
    out[a:b] = x[a:b] * np.minimum(smooth, 1.0)
    return out


def _running_min(x: np.ndarray, half: int) -> np.ndarray:
    """The minimum of ``x`` over each sample's +- ``half`` neighbours (1 beyond
    the ends), in O(n): van Herk / Gil-Werman, blocks of the window's width."""
    width = 2 * half + 1
    n = len(x)
    padded = np.pad(x, (half, half + (-(n + 2 * half)) % width), constant_values=1.0)
    blocks = padded.reshape(-1, width)
    ahead = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()  # to block end
    behind = np.minimum.accumulate(blocks, axis=1).ravel()  # from block start
    return np.minimum(ahead[:n], behind[width - 1:width - 1 + n])


def _moved(positions: np.ndarray, maps: list[tuple[int, int, np.ndarray]]) -> np.ndarray:
    """Sample positions of the sentence before ``emphasize`` -> after it."""
    out = positions.astype(np.float64)
    shift = 0.0
    for first, last, at in maps:  # in time order; ``positions`` are the original ones
        inside = (positions >= first) & (positions <= last)
        out[inside] = first + shift + np.interp(positions[inside] - first,
                                                np.arange(len(at)), at)
        shift += at[-1] - (last - first)
        out[positions > last] = positions[positions > last] + shift
    return out
