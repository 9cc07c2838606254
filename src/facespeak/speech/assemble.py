"""Sentences -> one Speech: synthesise (shaped by a VoiceParams), resample, join
with pauses, normalise."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from math import gcd
from typing import TypeVar

import numpy as np

from facespeak.errors import EmptyText
from facespeak.speech.base import SpeechEngine, close_timeline
from facespeak.speech.emphasis import emphasize, mark_emphasis
from facespeak.speech.shape import check_voice_params, scale_voice, speak
from facespeak.speech.voices import resolve_voice
from facespeak.types import Phone, Sentence, Speech, VoiceParams, Word

T = TypeVar("T")
R = TypeVar("R")

EDGE_SILENCE_S = 0.05
"""Engines pad each sentence with their own silence (flite up to 0.25 s per
side); it is cut to this so that ``Sentence.pause_after_s`` sets the gap."""
FADE_S = 0.005  # where an edge is cut, so the cut cannot click
TARGET_PEAK = 0.89  # -1 dBFS
MAX_GAIN = 20.0  # never blow up near-silence into noise


def iter_speech(sentences: Iterable[Sentence], voice: VoiceParams | str | None,
                language: str | None, sample_rate: int | None = 22050, *,
                engine: SpeechEngine | None = None) -> Iterator[Speech]:
    """One Speech per sentence at ``sample_rate`` (None: the rate of the
    engine's first sentence, so usually no resampling), edges trimmed, followed by
    the sentence's pause as silence; not loudness-normalised. ``voice`` is a
    VoiceParams (base voice and its pitch, range, formant and rate changes)
    or just a voice name; each sentence's own rate and pitch (SSML prosody)
    multiply it, kept within ``LIMITS``; its emphasis marks the spoken words
    and is heard on them (``emphasis.emphasize``: higher, longer, louder;
    later phones and words move by the time added). ``engine`` overrides
    voice resolution (tests pass a ``FakeEngine``)."""
    params = as_voice_params(voice)
    check_voice_params(params)
    name = params.voice
    if engine is None:
        engine, name, language = resolve_voice(name, language)
    name, language = name or engine.voices()[0].name, language or "en"

    def spoken(sentence: Sentence) -> Speech:
        return speak(engine, sentence.text, name, language,
                     scale_voice(params, sentence.rate, sentence.pitch))

    sentences = list(sentences)
    for sentence, raw in zip(sentences, prefetched(spoken, sentences)):
        sample_rate = sample_rate or raw.sample_rate
        piece = trim_edges(resample(raw, sample_rate), EDGE_SILENCE_S)
        yield pad(emphasize(mark_emphasis(piece, sentence)), 0.0, sentence.pause_after_s)


SYNTHESIS_THREADS = 2
"""Sentences synthesised at once. flite runs as a subprocess and the pitch
shift is mostly NumPy, so on two cores the next sentence is made while this
one is shaped (28 s of speech: 0.93 -> 0.5 s); engines behind a lock
(Festival's one process, libespeak-ng) simply take turns."""


def prefetched(fn: Callable[[T], R], items: Sequence[T],
               ahead: int = SYNTHESIS_THREADS) -> Iterator[R]:
    """``fn(item)`` for each item, in order, computed by ``ahead`` threads with at
    most ``ahead`` + 1 items started and not yet taken (memory stays flat for any
    length)."""
    if ahead <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(ahead, thread_name_prefix="synthesis")
    try:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def synthesize_sentences(sentences: Sequence[Sentence], voice: VoiceParams | str | None,
                         language: str | None, sample_rate: int = 22050,
                         lead_in_s: float = 0.3, tail_s: float = 0.4, *,
                         engine: SpeechEngine | None = None) -> Speech:
    """Speak all sentences as one Speech: ``lead_in_s`` of silence, each
    sentence followed by its pause (the last one's is replaced by ``tail_s``),
    peak-normalised to -1 dBFS. Each sentence keeps up to ``EDGE_SILENCE_S``
    of the engine's own silence on both sides. Timelines are on the joined
    audio's axis, gap-free from 0 to its end. ``voice`` as in ``iter_speech``."""
    if not sentences:
        raise EmptyText("nothing to speak: no sentences")
    last = len(sentences) - 1
    paused = [replace(s, pause_after_s=0.0) if i == last else s for i, s in enumerate(sentences)]
    joined = concatenate(list(iter_speech(paused, voice, language, sample_rate, engine=engine)))
    return normalize_peak(pad(joined, lead_in_s, tail_s))


def as_voice_params(voice: VoiceParams | str | None) -> VoiceParams:
    """A plain voice name (or None, the default) as an unchanged VoiceParams."""
    return voice if isinstance(voice, VoiceParams) else VoiceParams(voice=voice)


def resample(speech: Speech, sample_rate: int) -> Speech:
    """Change the sample rate; the timelines (in seconds) stay valid."""
    if speech.sample_rate == sample_rate:
        return speech
    g = gcd(sample_rate, speech.sample_rate)
    from scipy.signal import resample_poly  # scipy.signal takes 0.8 s to import: only when needed

    samples = resample_poly(speech.samples, sample_rate // g, speech.sample_rate // g)
    return _with_samples(speech, samples.astype(np.float32), sample_rate)


def trim_edges(speech: Speech, keep_s: float) -> Speech:
    """Cut leading/trailing silence phones down to ``keep_s``, with short fades."""
    phones = speech.phones
    if not phones:
        return speech
    start = max(0.0, phones[0].end_s - keep_s) if phones[0].symbol == "" else 0.0
    end = min(speech.duration_s, phones[-1].start_s + keep_s) if phones[-1].symbol == "" \
        else speech.duration_s
    a, b = round(start * speech.sample_rate), round(end * speech.sample_rate)
    samples = speech.samples[a:b].copy()
    fade = min(int(FADE_S * speech.sample_rate), len(samples) // 2)
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    if a > 0 and fade:
        samples[:fade] *= ramp
    if b < len(speech.samples) and fade:
        samples[-fade:] *= ramp[::-1]
    return _shifted(speech, samples, -a / speech.sample_rate)


def pad(speech: Speech, before_s: float, after_s: float) -> Speech:
    """Add silence on both sides; the timeline stays gap-free."""
    rate = speech.sample_rate
    samples = np.concatenate([np.zeros(round(before_s * rate), np.float32), speech.samples,
                              np.zeros(round(after_s * rate), np.float32)])
    return _shifted(speech, samples, round(before_s * rate) / rate)


def concatenate(pieces: Sequence[Speech]) -> Speech:
    """Join pieces end to end (all at one sample rate), shifting their timelines."""
    first = pieces[0]
    phones: list[Phone] = []
    words: list[Word] = []
    offset = 0
    for piece in pieces:
        t = offset / first.sample_rate
        phones += [Phone(p.symbol, p.start_s + t, p.end_s + t) for p in piece.phones]
        words += [replace(w, start_s=w.start_s + t, end_s=w.end_s + t) for w in piece.words]
        offset += len(piece.samples)
    samples = np.concatenate([p.samples for p in pieces]).astype(np.float32)
    duration = len(samples) / first.sample_rate
    return Speech(samples, first.sample_rate, close_timeline(phones, duration), tuple(words),
                  first.engine, first.voice, first.language)


def normalize_peak(speech: Speech) -> Speech:
    """Scale to a -1 dBFS peak (gain capped), so every engine sounds as loud."""
    peak = float(np.max(np.abs(speech.samples))) if len(speech.samples) else 0.0
    if peak == 0.0:
        return speech
    gain = min(TARGET_PEAK / peak, MAX_GAIN)
    return _with_samples(speech, (speech.samples * gain).astype(np.float32), speech.sample_rate)


def _with_samples(speech: Speech, samples: np.ndarray, sample_rate: int) -> Speech:
    duration = len(samples) / sample_rate
    return Speech(samples, sample_rate, close_timeline(speech.phones, duration), speech.words,
                  speech.engine, speech.voice, speech.language)


def _shifted(speech: Speech, samples: np.ndarray, shift_s: float) -> Speech:
    """``samples`` replace the audio; the timelines move by ``shift_s``."""
    duration = len(samples) / speech.sample_rate
    phones = [Phone(p.symbol, p.start_s + shift_s, p.end_s + shift_s) for p in speech.phones]
    words = tuple(replace(w, start_s=max(0.0, w.start_s + shift_s),
                          end_s=min(duration, w.end_s + shift_s)) for w in speech.words)
    return Speech(samples, speech.sample_rate, close_timeline(phones, duration), words,
                  speech.engine, speech.voice, speech.language)
