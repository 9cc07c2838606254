"""Carry a sentence's SSML emphasis onto the words its engine spoke.

Engines name their words in their own way ("twenty-one" may come back as
"twenty", "Smith's" as "Smith"), so words are matched by their letters and
digits, in order: each spoken word is looked up in the sentence's text a
little ahead of the last match, and takes the emphasis of the word it falls in.
"""

from __future__ import annotations

from dataclasses import replace

from facespeak.text.ssml import word_key
from facespeak.types import Sentence, Speech

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
