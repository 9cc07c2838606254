"""Spool a text's speech to a file, sentence by sentence, as an ``Utterance``.

The video needs the whole text's timelines and loudness (small) but only a
window of its audio at a time, so samples go to disk as they are made and
memory stays flat whatever the text's length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np

from facespeak.errors import EmptyText
from facespeak.speech.assemble import MAX_GAIN, TARGET_PEAK
from facespeak.speech.base import close_timeline
from facespeak.types import Phone, Speech, Utterance, Word, energy_bin_samples


def spool_utterance(pieces: Iterable[Speech], path: Path, lead_in_s: float = 0.3,
                    tail_s: float = 0.4) -> Utterance:
    """Append ``pieces`` (one per sentence, pauses included, one sample rate)
    to ``path`` after ``lead_in_s`` of silence and before ``tail_s``; the
    result's timelines are on the joined audio's axis, gap-free."""
    spool: _Spool | None = None
    with open(path, "wb") as out:
        for piece in pieces:
            if spool is None:
                spool = _Spool(out, piece)
                spool.silence(lead_in_s)
            spool.append(piece)
        if spool is None:
            raise EmptyText("nothing to speak: no sentences")
        spool.silence(tail_s)
    return spool.utterance(path)


class _Spool:
    """Running state while pieces are appended: offset, timelines, peak, loudness."""

    def __init__(self, out, first: Speech) -> None:
        self.out = out
        self.rate = first.sample_rate
        self.meta = (first.engine, first.voice, first.language)
        self.bin = energy_bin_samples(self.rate)
        self.n = 0
        self.peak = 0.0
        self.phones: list[Phone] = []
        self.words: list[Word] = []
        self.bins: list[np.ndarray] = []
        self.partial = 0.0  # sum of squares of the unfinished last bin

    def silence(self, seconds: float) -> None:
        self._write(np.zeros(round(seconds * self.rate), np.float32))

    def append(self, piece: Speech) -> None:
        if piece.sample_rate != self.rate:
            raise ValueError("all pieces of an utterance need one sample rate")
        t = self.n / self.rate
        self.phones += [Phone(p.symbol, p.start_s + t, p.end_s + t) for p in piece.phones]
        self.words += [replace(w, start_s=w.start_s + t, end_s=w.end_s + t) for w in piece.words]
        self._write(piece.samples.astype(np.float32, copy=False))

    def _write(self, samples: np.ndarray) -> None:
        samples.astype("<f4", copy=False).tofile(self.out)
        if len(samples):
            self.peak = max(self.peak, float(np.max(np.abs(samples))))
        self._add_energy(samples.astype(np.float64) ** 2)
        self.n += len(samples)

    def _add_energy(self, squares: np.ndarray) -> None:
        # Continue the unfinished bin, then whole bins, then keep the remainder.
        head = (-self.n) % self.bin
        if len(squares) < head:
            self.partial += float(squares.sum())
            return
        if head or self.partial:
            self.bins.append(np.array([self.partial + squares[:head].sum()]))
        body = squares[head:]
        whole = len(body) // self.bin * self.bin
        self.bins.append(body[:whole].reshape(-1, self.bin).sum(1))
        self.partial = float(body[whole:].sum())

    def utterance(self, path: Path) -> Utterance:
        bins = np.concatenate(self.bins + [np.array([self.partial])])
        duration = self.n / self.rate
        gain = min(TARGET_PEAK / self.peak, MAX_GAIN) if self.peak > 0 else 1.0
        return Utterance(path, self.rate, self.n, gain, close_timeline(self.phones, duration),
                         tuple(self.words), bins, *self.meta)
