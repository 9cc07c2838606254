"""Text -> speakable sentences with pause lengths.

English text is spelled out here (numbers, dates, symbols...) because flite's
own normaliser is weaker; other languages are only cleaned and split, since
espeak-ng reads digits and symbols in its own language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from facespeak.errors import EmptyText
from facespeak.text.english import expand_abbreviations, expand_english
from facespeak.types import Sentence

MAX_CHARS = 200
"""Longer sentences are cut (at a comma, else a word boundary) so that each
engine call stays short and memory stays flat."""

SENTENCE_PAUSE_S = 0.45
CLAUSE_PAUSE_S = 0.3  # ; and :
ELLIPSIS_PAUSE_S = 0.6
PARAGRAPH_PAUSE_S = 0.7
COMMA_PAUSE_S = 0.2  # only where a long sentence was cut at a comma
WORD_CUT_PAUSE_S = 0.05

_PAUSES = {".": SENTENCE_PAUSE_S, "!": SENTENCE_PAUSE_S, "?": SENTENCE_PAUSE_S,
           "。": SENTENCE_PAUSE_S, "！": SENTENCE_PAUSE_S, "？": SENTENCE_PAUSE_S,
           ";": CLAUSE_PAUSE_S, ":": CLAUSE_PAUSE_S, "；": CLAUSE_PAUSE_S, "：": CLAUSE_PAUSE_S,
           "…": ELLIPSIS_PAUSE_S, "\n": PARAGRAPH_PAUSE_S}

_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "", "\u200c": "", "\u200d": "",
    "\ufeff": "", "\u00ad": "", "\u2212": "-", "\u2010": "-", "\u2011": "-",
})
# A sentence ends at . ! ? (runs like "?!" or "..." included) or ; : before a
# space or a CJK character (NFKC has folded full-width ！？ to ASCII), at 。 and
# full-width ；： anywhere, or at a blank line.
_BOUNDARY = re.compile(
    r"(?:(?P<end>[.!?…]+|[;:])['\")\]]*(?=\s|$|[\u3000-\u9fff\uac00-\ud7af])"
    r"|(?P<cjk>[。！？；：]+)['\")\]」』]*|(?P<par>\n\s*\n))\s*"
)


def _is_english(language: str) -> bool:
    return language.lower().replace("_", "-").split("-")[0] == "en"


def clean_unicode(text: str) -> str:
    """Fold compatibility forms and typographic quotes, dashes and spaces to
    plain characters the engines read reliably."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = re.sub(r"(?<=\d)\s*[\u2013\u2014]\s*(?=\d)", " to ", text)  # 1990–1995
    text = re.sub(r"\s*[\u2013\u2014\u2015]\s*|\s+--\s+", ", ", text)  # dashes are asides
    text = re.sub(r"\.{3,}", "…", text)
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")
    return re.sub(r"[ \t\r\f\v]+", " ", text)


def _pause_for(m: re.Match[str]) -> float:
    if m["par"]:
        return PARAGRAPH_PAUSE_S
    marks = m["end"] or m["cjk"]
    if "…" in marks:
        return ELLIPSIS_PAUSE_S
    return max(_PAUSES[c] for c in marks)


def split_sentences(text: str) -> Iterator[tuple[str, float]]:
    """Yield (sentence with its closing punctuation, pause after it), lazily."""
    start = 0
    for m in _BOUNDARY.finditer(text):
        piece = text[start:m.end()].strip()
        start = m.end()
        if piece:
            yield piece, _pause_for(m)
    if text[start:].strip():
        yield text[start:].strip(), SENTENCE_PAUSE_S


def tidy(sentence: str) -> str:
    """Drop characters no engine should see and fix spacing around punctuation."""
    sentence = re.sub(r"\s*[()\[\]{}]\s*", ", ", sentence)  # asides become short pauses
    sentence = re.sub(r"[\"*_~^|\\<>]", " ", sentence)
    sentence = re.sub(r"\s+([,.!?;:…])", r"\1", sentence)
    sentence = re.sub(r"([,;:])[,;:\s]*(?=[,.!?;:…])", "", sentence)  # ", ." -> "."
    sentence = re.sub(r",+", ",", sentence)
    sentence = re.sub(r"\s+", " ", sentence).strip(" ,")
    return sentence.replace("…", "...")


def _cut_point(text: str, limit: int) -> tuple[int, float]:
    """Where to cut an over-long sentence: after the last comma (or CJK comma)
    within ``limit``, else at the last space, else hard at ``limit``."""
    comma = max(text.rfind(c, 0, limit) for c in ",、，")
    if comma > limit // 4:
        return comma + 1, COMMA_PAUSE_S
    space = text.rfind(" ", 0, limit)
    return (space, WORD_CUT_PAUSE_S) if space > 0 else (limit, WORD_CUT_PAUSE_S)


def chunk(text: str, pause_after_s: float, limit: int = MAX_CHARS) -> Iterator[Sentence]:
    """Split one sentence into pieces of at most ``limit`` characters."""
    while len(text) > limit:
        cut, pause = _cut_point(text, limit)
        head, text = text[:cut].strip(" ,"), text[cut:].strip()
        if head:
            yield Sentence(head, pause)
    if text:
        yield Sentence(text, pause_after_s)


def iter_sentences(text: str, language: str = "en") -> Iterator[Sentence]:
    """Lazily yield normalised sentences; see ``normalize_text``."""
    english = _is_english(language)
    text = clean_unicode(text)
    if english:
        text = expand_abbreviations(text)
    for raw, pause in split_sentences(text):
        spoken = tidy(expand_english(raw) if english else raw)
        if any(c.isalnum() for c in spoken):
            yield from chunk(spoken, pause)


def normalize_text(text: str, language: str = "en") -> list[Sentence]:
    """Turn free text into speakable sentences, each with the pause after it.

    English: numbers, money, percentages, times, dates, abbreviations and
    symbols are spelled out. Other languages keep their text (espeak-ng reads
    it) and are only cleaned and split. Raises ``EmptyText`` when nothing is
    speakable.
    """
    sentences = list(iter_sentences(text, language))
    if not sentences:
        what = "is empty" if not text.strip() else "has no speakable characters"
        raise EmptyText(f"the text {what}: give at least one word to speak")
    return sentences
