"""Intelligibility: an offline recogniser and word error rate.

The recogniser is CMU PocketSphinx from its PyPI wheel with the US English
acoustic model, language model and dictionary bundled in that wheel (no
download). It is a small 2010s-era HMM recogniser, far weaker than a human
listener: absolute WER figures are only comparable with each other, as a
relative measure of how clearly different voices and transformations speak.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from math import gcd

import numpy as np
from scipy.signal import resample_poly

from facespeak.errors import EngineMissing
from facespeak.text import iter_sentences

RECOGNISER_RATE = 16000
"""The bundled acoustic model's sample rate."""
_LOCK = threading.Lock()  # one decoder, not safe to share between threads


@functools.cache
def _decoder():
    try:
        from pocketsphinx import Decoder
    except ImportError as e:
        raise EngineMissing("the recogniser needs pocketsphinx: pip install 'pocketsphinx>=5'"
                            ) from e
    return Decoder(logfn="/dev/null")  # the bundled en-us model, quiet


def recognize(samples: np.ndarray, sample_rate: int) -> str:
    """Mono float audio in [-1, 1] at any rate -> the recogniser's lower-case words."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"recognize expects mono (n,) samples, got shape {x.shape}")
    if sample_rate != RECOGNISER_RATE:
        g = gcd(RECOGNISER_RATE, sample_rate)
        x = resample_poly(x, RECOGNISER_RATE // g, sample_rate // g)
    with _LOCK:
        decoder = _decoder()
        decode_utterance(decoder, x)
        hypothesis = decoder.hyp()
    return hypothesis.hypstr if hypothesis is not None else ""


def decode_utterance(decoder, samples: np.ndarray) -> None:
    """Run a PocketSphinx ``decoder`` over mono float audio at ``RECOGNISER_RATE``
    as one utterance; its results are then read from the decoder (the caller
    holds that decoder's lock). The front end's adaptive state (cepstral mean,
    noise estimate) is reset first: kept, it made a sentence's words depend on
    what the decoder had heard before (5 of 30 Harvard sentences changed when
    the order was reversed)."""
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(recognizer_pcm(samples), full_utt=True)
    decoder.end_utt()


def recognizer_pcm(samples: np.ndarray) -> bytes:
    """16-bit PCM for the decoder, with one LSB of seeded dither: on digital
    silence the decoder hears words ("dog"), and its own dither would make
    results depend on earlier calls."""
    dither = np.random.default_rng(0).uniform(-1.0, 1.0, len(samples))
    return np.round(np.clip(samples, -1.0, 1.0) * 32766 + dither).astype("<i2").tobytes()


def normalize_words(text: str) -> list[str]:
    """Lower-case words as the English text normaliser speaks them ("3" ->
    "three", "Dr." -> "doctor"); hyphens split words, other punctuation goes."""
    spoken = " ".join(s.text for s in iter_sentences(text, "en"))
    return re.findall(r"[a-z0-9']+", spoken.lower().replace("-", " "))


def word_error_rate(reference_text: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after
    ``normalize_words`` on both sides. A reference without words is an error."""
    ref, hyp = normalize_words(reference_text), normalize_words(hypothesis)
    if not ref:
        raise ValueError("word_error_rate needs a reference with at least one word")
    return _edit_distance(ref, hyp) / len(ref)


def corpus_word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """All word edits over all reference words, sentence by sentence (a long
    sentence counts for more than a short one)."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    edits = words = 0
    for reference, hypothesis in zip(references, hypotheses):
        ref = normalize_words(reference)
        edits += _edit_distance(ref, normalize_words(hypothesis))
        words += len(ref)
    if not words:
        raise ValueError("corpus_word_error_rate needs references with at least one word")
    return edits / words


def _edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Word-level Levenshtein distance, one row of the table at a time."""
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row = row, [i]
        for j, heard in enumerate(hyp, 1):
            row.append(min(previous[j - 1] + (word != heard), previous[j] + 1, row[j - 1] + 1))
    return row[-1]
