"""SSML emphasis inside a sentence: what it does to the emphasised word and the
others, whether the words stay intelligible, and what it costs.

    python3 benchmarks/bench_emphasis.py                    # flite rms, Festival slt-hts, espeak-ng
    python3 benchmarks/bench_emphasis.py flite:rms ...      # only these voices

Each of the 30 Harvard sentences is spoken twice through the speech stage as
``facespeak say`` speaks it (22.05 kHz, peak-normalised): plain, and with
``<emphasis level=LEVEL>`` on one word in mid-sentence (the content word
nearest the middle, never the first or last word). On the emphasised word and
on the other words: the change of median F0 (WORLD DIO + StoneMask, voiced
frames), of duration (the word timeline) and of RMS level. Word error rate:
the offline recogniser (PocketSphinx, facespeak.evaluate.intelligibility) on
every sentence, all edits over all reference words, with and without the
emphasis. Cost: CPU time of ``emphasize`` (the whole added work) per
emphasised word.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from facespeak.evaluate.intelligibility import normalize_words, recognize, word_error_rate
from facespeak.speech import synthesize_sentences
from facespeak.speech.base import is_content_word
from facespeak.speech.emphasis import emphasize
from facespeak.speech.voices import ESPEAK, FESTIVAL, FLITE
from facespeak.text import text_to_sentences
from facespeak.text.harvard import HARVARD_SENTENCES
from facespeak.types import Speech
from facespeak.voice.analysis import FRAME_PERIOD_MS, to_analysis_rate, track_f0

LEVELS = ("strong", "moderate")


def emphasised(sentence: str, level: str) -> tuple[str, int]:
    """The sentence as SSML with one mid-sentence content word emphasised, and
    that word's index."""
    words = sentence.split()
    middle = (len(words) - 1) / 2
    candidates = [i for i in range(1, len(words) - 1) if is_content_word(words[i], "en")]
    i = min(candidates, key=lambda k: (abs(k - middle), k))
    core = words[i].rstrip(".,!?")
    words[i] = f"<emphasis level='{level}'>{core}</emphasis>{words[i][len(core):]}"
    return "<speak>" + " ".join(words) + "</speak>", i


def prosody(speech: Speech, f0: np.ndarray, start_s: float, end_s: float
            ) -> tuple[float, float, float]:
    frames = f0[int(start_s * 1000 / FRAME_PERIOD_MS):int(end_s * 1000 / FRAME_PERIOD_MS)]
    voiced = frames[frames > 0]
    x = speech.samples[round(start_s * speech.sample_rate):round(end_s * speech.sample_rate)]
    level = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20)
    return (float(np.median(voiced)) if len(voiced) else np.nan), end_s - start_s, float(level)


def measure(voice: str, level: str) -> None:
    word_rows, other_rows, costs = [], [], []
    edits = {"plain": 0.0, "emphasised": 0.0}
    n_words = 0
    for sentence in HARVARD_SENTENCES:
        ssml, _ = emphasised(sentence, level)
        plain = synthesize_sentences(text_to_sentences(sentence), voice, "en")
        marked = synthesize_sentences(text_to_sentences(ssml), voice, "en")
        n_ref = len(normalize_words(sentence))
        n_words += n_ref
        for name, speech in (("plain", plain), ("emphasised", marked)):
            edits[name] += word_error_rate(sentence, recognize(speech.samples,
                                                               speech.sample_rate)) * n_ref
        f0s = [track_f0(to_analysis_rate(s.samples, s.sample_rate)) for s in (plain, marked)]
        if len(plain.words) != len(marked.words):
            print(f"  (words differ, skipped: {sentence})")
            continue
        for a, b in zip(plain.words, marked.words, strict=True):
            fa, da, la = prosody(plain, f0s[0], a.start_s, a.end_s)
            fb, db, lb = prosody(marked, f0s[1], b.start_s, b.end_s)
            row = (12 * np.log2(fb / fa), db / da, lb - la)
            (word_rows if b.emphasis else other_rows).append(row)
        # the cost: emphasize alone, on the marked sentence before emphasis
        unmarked_audio = synthesize_sentences(text_to_sentences(sentence), voice, "en")
        words = tuple(w2 if not w1.emphasis else w2.__class__(w2.text, w2.start_s, w2.end_s,
                                                              w2.stressed, w1.emphasis)
                      for w1, w2 in zip(marked.words, unmarked_audio.words, strict=True))
        speech = Speech(unmarked_audio.samples, unmarked_audio.sample_rate,
                        unmarked_audio.phones, words)
        t0 = time.process_time()
        for _ in range(5):
            emphasize(speech)
        costs.append((time.process_time() - t0) / 5 / sum(bool(w.emphasis) for w in words))
    w, o = np.array(word_rows), np.array(other_rows)

    def spread(values: np.ndarray, fmt: str) -> str:
        values = values[np.isfinite(values)]
        return (f"{np.median(values):{fmt}} ({np.percentile(values, 10):{fmt}} .. "
                f"{np.percentile(values, 90):{fmt}})")

    print(f"{voice} {level}: emphasised word (median, 10th .. 90th percentile of "
          f"{len(w)} words): F0 {spread(w[:, 0], '+.2f')} st, duration "
          f"x{spread(w[:, 1], '.3f')}, level {spread(w[:, 2], '+.2f')} dB")
    print(f"  other words ({len(o)}): |F0| {spread(np.abs(o[:, 0]), '.2f')} st, duration "
          f"x{spread(o[:, 1], '.3f')}, level {spread(o[:, 2], '+.2f')} dB")
    print(f"  WER plain {100 * edits['plain'] / n_words:.1f} %, emphasised "
          f"{100 * edits['emphasised'] / n_words:.1f} % ({n_words} words); cost "
          f"{1000 * np.median(costs):.1f} ms CPU per emphasised word "
          f"(max {1000 * np.max(costs):.1f})")


def main(voices: list[str]) -> None:
    for voice in voices:
        for level in LEVELS:
            measure(voice, level)


if __name__ == "__main__":
    default = [v for v, ok in (("flite:rms", FLITE.available()),
                               ("festival:slt-hts", bool(FESTIVAL.voices())),
                               ("espeak:en-us", ESPEAK.available())) if ok]
    main(sys.argv[1:] or default)
