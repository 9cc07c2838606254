"""The engine interface and the timeline helpers every engine shares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from facespeak.types import Phone, Speech, VoiceInfo

MIN_PHONE_S = 1e-4
"""Phones shorter than this carry no information and are dropped."""


@dataclass(frozen=True)
class Prosody:
    """Rate and pitch changes an engine applies while it synthesises."""

    rate: float = 1.0
    """Speaking-rate multiplier: 2.0 makes every phone half as long."""
    pitch_scale: float = 1.0
    """Multiplies the fundamental frequency (F0)."""
    pitch_range: float = 1.0
    """Multiplies F0 excursions around the voice's mean (in log F0)."""


NEUTRAL = Prosody()


@runtime_checkable
class SpeechEngine(Protocol):
    """One text-to-speech engine."""

    name: str

    def available(self) -> bool:
        """True when the engine's program or library is installed."""
        ...

    def warm_up(self) -> None:
        """Start whatever is slow to start (a process, a voice), so that the
        first sentence does not wait; nothing for most engines."""
        ...

    def voices(self) -> tuple[VoiceInfo, ...]:
        """The voices this engine offers here (empty when unavailable)."""
        ...

    def synthesize(self, text: str, voice: str, language: str,
                   prosody: Prosody = NEUTRAL) -> Speech:
        """One sentence -> waveform + phone and word timelines, time axis from 0,
        spoken with ``prosody`` (natively where the engine can)."""
        ...


# Unstressed in running English speech: articles, pronouns, auxiliaries,
# prepositions, conjunctions. Everything else is a content word.
_FUNCTION_WORDS = frozenset("""
a an the this that these those some any no every each either neither
i me my mine we us our ours you your yours he him his she her hers it its they them
their theirs who whom whose which what myself yourself himself herself itself
am is are was were be been being do does did done have has had having
will would shall should can could may might must ought
to of in on at by for with from into onto upon about above below over under up down
out off as than like near past since till until through across along among around
and or but nor so yet if then because while although though whether when where how
not just very too also there here let's it's i'm you're he's she's we're they're
that's there's i've you've we've they've i'd you'd he'd she'd we'd they'd i'll you'll
he'll she'll we'll they'll isn't aren't wasn't weren't don't doesn't didn't can't
won't wouldn't shouldn't couldn't haven't hasn't hadn't
""".split())
# Frequent Chinese function characters (particles, pronouns, copula, "not").
_CJK_FUNCTION = frozenset("的了是我你他她它们在和不也就都吗呢吧啊这那有个一")


def is_content_word(word: str, language: str) -> bool:
    """Whether ``word`` carries sentence stress (drives nods and emphasis).

    English uses a function-word list; other languages fall back to length,
    because their short words (der, le, di, y, и...) are mostly function words.
    """
    token = word.lower().strip(".,!?;:'\"")
    if not any(c.isalnum() for c in token):
        return False
    if any(c.isdigit() for c in token):  # numbers carry information
        return True
    if language.lower().startswith("en"):
        return token not in _FUNCTION_WORDS
    if any("\u3400" <= c <= "\u9fff" for c in token):
        return not all(c in _CJK_FUNCTION for c in token)
    return len(token) >= 4


def close_timeline(phones: Iterable[Phone], duration_s: float) -> tuple[Phone, ...]:
    """Make a phone timeline gap-free on [0, duration_s].

    Clips phones to the audio, fills gaps and both ends with silence ("")
    and merges neighbouring silences, so that consumers can rely on
    ``phones[0].start_s == 0`` and ``phones[-1].end_s == duration_s``.
    """
    out: list[Phone] = []
    t = 0.0
    for p in phones:
        start, end = max(p.start_s, t), min(p.end_s, duration_s)
        if end - start < MIN_PHONE_S:
            continue
        if start - t >= MIN_PHONE_S:
            _append(out, Phone("", t, start))
        _append(out, Phone(p.symbol, start, end))
        t = end
    if duration_s - t >= MIN_PHONE_S or not out:
        _append(out, Phone("", t, duration_s))
    last = out[-1]
    out[-1] = Phone(last.symbol, last.start_s, duration_s)
    return tuple(out)


def _append(out: list[Phone], phone: Phone) -> None:
    if out and phone.symbol == "" and out[-1].symbol == "":
        out[-1] = Phone("", out[-1].start_s, phone.end_s)
    else:
        out.append(phone)


def pcm16_to_float(pcm: np.ndarray) -> np.ndarray:
    """int16 PCM -> float32 in [-1, 1)."""
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32)
