"""A small SSML subset -> ``Sentence`` objects, and the text stage's one entry point.

Supported: ``<speak>`` (the root), ``<break time="500ms"|strength="strong"/>``,
``<emphasis level="strong|moderate|reduced|none">`` and ``<prosody rate=...
pitch=...>`` (nested prosody multiplies), with plain text and XML entities
between them. The text inside the tags is normalised exactly as plain text is
(numbers, dates, abbreviations...).

How the markup reaches the speech: engines speak one sentence at a time, so a
break or a prosody change splits the sentence there; a break sets the pause
after the piece before it, a prosody span sets the piece's ``rate`` and
``pitch``. Emphasis does not split (each piece would be spoken as a phrase of
its own): it marks the emphasised words (``Sentence.emphasis``), which the
speech stage carries onto the spoken words and makes heard on them, wherever
they are in the sentence (``speech.emphasis.EMPHASIS_PROSODY``: strong +4
semitones, x1.3 as long, +2.5 dB; moderate +2, x1.15, +2 dB; reduced -1.5,
x0.9, -2 dB), and the motion stage turns into nods.

Read with the standard library's SAX parser (expat): no DTDs, so no entity
declarations and nothing fetched from outside.
"""

from __future__ import annotations

import re
import xml.sax
import xml.sax.handler
from dataclasses import dataclass, field, replace

from facespeak.errors import BadSsml, EmptyText
from facespeak.text.normalize import (
    PARAGRAPH_PAUSE_S,
    SENTENCE_PAUSE_S,
    iter_sentences,
    normalize_text,
)
from facespeak.types import Sentence

SUPPORTED_TAGS = "<speak>, <break>, <emphasis>, <prosody>"
BREAK_STRENGTH_S = {"none": 0.0, "x-weak": 0.1, "weak": 0.2, "medium": SENTENCE_PAUSE_S,
                    "strong": PARAGRAPH_PAUSE_S, "x-strong": 1.2}
"""SSML's default break is "medium": as long as the pause between two sentences."""
MAX_BREAK_S = 10.0
RATE_LABELS = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "default": 1.0, "fast": 1.25,
               "x-fast": 1.6}
PITCH_LABELS = {"x-low": 0.8, "low": 0.9, "medium": 1.0, "default": 1.0, "high": 1.12,
                "x-high": 1.25}
PROSODY_LIMITS = (0.5, 2.0)
"""A span's rate and pitch multipliers (nesting included), as for --rate and --pitch."""
EMPHASIS_LEVELS = {"strong": "strong", "moderate": "moderate", "reduced": "reduced", "none": ""}
_ATTRIBUTES = {"speak": ("version", "xmlns", "xml:lang", "xml:base"),
               "break": ("time", "strength"), "emphasis": ("level",),
               "prosody": ("rate", "pitch")}
_SSML_START = re.compile(r"\s*(?:<\?xml[^>]*\?>\s*)?<speak[\s>/]")
_ENDS_SENTENCE = re.compile(r"(?:[.!?…;:。！？；：]['\")\]」』]*|\n\s*\n)\s*$")
_LEADING_MARKS = re.compile(r"\s*[.,!?;:…。！？；：，、'\")\]」』]+")
_WRAP = "<speak>"


def is_ssml(text: str) -> bool:
    """Whether ``text`` is SSML: its first non-blank text is ``<speak``
    (after an optional XML declaration)."""
    return _SSML_START.match(text) is not None


def text_to_sentences(text: str, language: str = "en", ssml: bool | None = None
                      ) -> list[Sentence]:
    """The text stage: plain text or SSML -> speakable sentences.

    ``ssml`` None reads ``text`` as SSML when ``is_ssml`` says so; True always
    does (the ``<speak>`` root may then be left out); False never does.
    Raises ``EmptyText`` when nothing is speakable and ``BadSsml`` for markup
    that is malformed or outside the supported subset.
    """
    if ssml is None:
        ssml = is_ssml(text)
    return parse_ssml(text, language) if ssml else normalize_text(text, language)


def parse_ssml(text: str, language: str = "en") -> list[Sentence]:
    """SSML -> sentences with their pauses, rate, pitch and emphasised words."""
    wrapped = not is_ssml(text)
    if re.search(r"<!(?:DOCTYPE|ENTITY)", text):
        raise BadSsml("SSML must not declare a DOCTYPE or entities: use the five XML ones "
                      "(&amp; &lt; &gt; &quot; &apos;) or numeric ones (&#233;)")
    reader = _Reader(first_line_shift=len(_WRAP) if wrapped else 0)
    try:
        xml.sax.parseString(f"{_WRAP}{text}</speak>" if wrapped else text, reader)
    except xml.sax.SAXParseException as exc:
        where = reader.position(exc.getLineNumber(), exc.getColumnNumber())
        raise BadSsml(f"malformed SSML at {where}: {exc.getMessage()}") from None
    sentences = _to_sentences(reader.segments, language)
    if not sentences:
        raise EmptyText("the SSML has no speakable words: give at least one word to speak")
    return sentences


@dataclass(frozen=True)
class _Style:
    rate: float = 1.0
    pitch: float = 1.0
    emphasis: str = ""


@dataclass
class _Segment:
    """Text spoken with one rate and pitch, up to a break or a prosody change."""

    rate: float
    pitch: float
    runs: list[tuple[str, str]] = field(default_factory=list)
    """(text, emphasis level), neighbours with the same level merged."""
    break_s: float | None = None
    closed: bool = False
    """A break ended it: later text starts a new segment."""

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.runs)

    def add(self, text: str, emphasis: str) -> None:
        if self.runs and self.runs[-1][1] == emphasis:
            self.runs[-1] = (self.runs[-1][0] + text, emphasis)
        else:
            self.runs.append((text, emphasis))


class _Reader(xml.sax.handler.ContentHandler):
    """SAX events -> segments, checking tags, attributes and values as they come."""

    def __init__(self, first_line_shift: int = 0) -> None:
        super().__init__()
        self.segments: list[_Segment] = []
        self._stack: list[tuple[str, _Style]] = []
        self._shift = first_line_shift
        self._locator: xml.sax.xmlreader.Locator | None = None

    def setDocumentLocator(self, locator: xml.sax.xmlreader.Locator) -> None:
        self._locator = locator

    def position(self, line: int, column: int) -> str:
        """'line L, column C' (1-based) in the user's text."""
        return f"line {line}, column {column + 1 - (self._shift if line == 1 else 0)}"

    def _where(self) -> str:
        loc = self._locator
        return self.position(loc.getLineNumber(), loc.getColumnNumber()) if loc else "?"

    def startElement(self, name: str, attrs: xml.sax.xmlreader.AttributesImpl) -> None:
        if name not in _ATTRIBUTES:
            raise BadSsml(f"unsupported SSML tag <{name}> at {self._where()}: "
                          f"supported are {SUPPORTED_TAGS}")
        if (name == "speak") == bool(self._stack):
            raise BadSsml(f"<{name}> at {self._where()}: <speak> must be the root and "
                          "only the root")
        for attr in attrs.getNames():
            if attr not in _ATTRIBUTES[name] and not attr.startswith("xmlns"):
                raise BadSsml(f"unsupported attribute {attr!r} on <{name}> at {self._where()}: "
                              f"<{name}> takes {', '.join(_ATTRIBUTES[name]) or 'none'}")
        style = self._stack[-1][1] if self._stack else _Style()
        values = {k: attrs.getValue(k).strip() for k in attrs.getNames()}
        if name == "break":
            self._add_break(self._break_s(values))
        elif name == "emphasis":
            style = replace(style, emphasis=self._emphasis(values.get("level", "moderate")))
        elif name == "prosody":
            style = self._prosody(style, values)
        self._stack.append((name, style))

    def endElement(self, name: str) -> None:
        self._stack.pop()

    def characters(self, content: str) -> None:
        name, style = self._stack[-1]
        if name == "break" and content.strip():
            raise BadSsml(f"<break> must be empty (at {self._where()}): write <break .../>")
        last = self.segments[-1] if self.segments else None
        if not content.strip():  # spacing never starts a segment or a run of its own
            if last is not None:
                last.add(content, last.runs[-1][1])
            return
        if last is None or last.closed or (last.rate, last.pitch) != (style.rate, style.pitch):
            marks = _LEADING_MARKS.match(content)
            if last is not None and not last.closed and marks:  # "</prosody>. Next": the
                last.add(marks[0], last.runs[-1][1])  # period ends the text before it
                content = content[marks.end():]
                if not content.strip():
                    return
            last = _Segment(style.rate, style.pitch)
            self.segments.append(last)
        last.add(content, style.emphasis)

    def _add_break(self, seconds: float) -> None:
        """A break ends the segment before it; a break before any text is dropped
        (the video has its own lead-in), breaks in a row add up."""
        if seconds <= 0 or not self.segments:
            return
        last = self.segments[-1]
        last.break_s = (last.break_s or 0.0) + seconds
        last.closed = True

    def _break_s(self, values: dict[str, str]) -> float:
        if "time" in values:
            m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)", values["time"])
            if m is None:
                raise BadSsml(f"<break time={values['time']!r}> at {self._where()}: give "
                              "seconds or milliseconds, e.g. 500ms or 1.5s")
            seconds = float(m[1]) / (1000 if m[2] == "ms" else 1)
            if seconds > MAX_BREAK_S:
                raise BadSsml(f"<break time={values['time']!r}> at {self._where()}: at most "
                              f"{MAX_BREAK_S:g}s")
            return seconds
        strength = values.get("strength", "medium")
        if strength not in BREAK_STRENGTH_S:
            raise BadSsml(f"<break strength={strength!r}> at {self._where()}: use one of "
                          f"{', '.join(BREAK_STRENGTH_S)}")
        return BREAK_STRENGTH_S[strength]

    def _emphasis(self, level: str) -> str:
        if level not in EMPHASIS_LEVELS:
            raise BadSsml(f"<emphasis level={level!r}> at {self._where()}: use one of "
                          f"{', '.join(EMPHASIS_LEVELS)}")
        return EMPHASIS_LEVELS[level]

    def _prosody(self, style: _Style, values: dict[str, str]) -> _Style:
        rate = style.rate * self._multiplier("rate", values.get("rate", "default"), RATE_LABELS)
        pitch = style.pitch * self._multiplier("pitch", values.get("pitch", "default"),
                                               PITCH_LABELS)
        low, high = PROSODY_LIMITS
        for attr, value in (("rate", rate), ("pitch", pitch)):
            if not low <= value <= high:
                raise BadSsml(f"<prosody {attr}> at {self._where()} makes the {attr} "
                              f"x{value:.3g}: it must stay between {low:g} and {high:g}")
        return replace(style, rate=rate, pitch=pitch)

    def _multiplier(self, attr: str, value: str, labels: dict[str, float]) -> float:
        """A label, a plain multiplier ("1.2"), a percentage of the current value
        ("80%"), a relative change ("+10%", "-20%") or, for pitch, semitones ("+2st")."""
        if value in labels:
            return labels[value]
        m = re.fullmatch(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)(%|st)?", value)
        if m is None or (m[3] == "st" and attr != "pitch") or (m[3] is None and m[1]):
            units = "a multiplier (1.2), 80%, +10% or +2st" if attr == "pitch" \
                else "a multiplier (1.2), 80% or +10%"
            raise BadSsml(f"<prosody {attr}={value!r}> at {self._where()}: use "
                          f"{', '.join(labels)}, or {units}")
        number = float(m[2]) * (-1 if m[1] == "-" else 1)
        if m[3] == "st":
            return float(2 ** (number / 12))
        if m[3] == "%":
            return 1 + number / 100 if m[1] else number / 100
        return number


def _to_sentences(segments: list[_Segment], language: str) -> list[Sentence]:
    """Normalise each segment's text into sentences carrying its rate, pitch,
    emphasised words and closing pause."""
    out: list[Sentence] = []
    for seg in segments:
        sentences = list(iter_sentences(seg.text, language))
        pause = seg.break_s if seg.break_s is not None else \
            _closing_pause(seg.text, last=seg is segments[-1])
        if not sentences:  # punctuation only ("<prosody ...>word</prosody>."): its pause stays
            if out:
                out[-1] = replace(out[-1], pause_after_s=max(out[-1].pause_after_s, pause))
            continue
        if pause is not None:
            sentences[-1] = replace(sentences[-1], pause_after_s=pause)
        levels = _emphasis_levels(sentences, seg.runs, language)
        out += [_styled(s, seg, lv) for s, lv in zip(sentences, levels)]
    return out


def _closing_pause(text: str, last: bool) -> float | None:
    """None where the text ends a sentence or the whole text (the pause is
    then as for plain text); 0 where the sentence goes on after a prosody change."""
    return None if last or _ENDS_SENTENCE.search(text) else 0.0


def _styled(sentence: Sentence, seg: _Segment, levels: list[str]) -> Sentence:
    return replace(sentence, rate=seg.rate, pitch=seg.pitch,
                   emphasis=tuple(levels) if any(levels) else ())


def word_key(token: str) -> str:
    """A word as compared between texts: lower case, letters and digits only."""
    return "".join(c for c in token.lower() if c.isalnum())


def _emphasis_levels(sentences: list[Sentence], runs: list[tuple[str, str]], language: str
                     ) -> list[list[str]]:
    """Per sentence, per word of ``text.split()``: the emphasis level. Each
    emphasised run is normalised alone and its words found, in order, among
    the segment's normalised words (a run whose words are not found, e.g.
    because they read differently in context, stays unemphasised)."""
    levels = [[""] * len(s.text.split()) for s in sentences]
    stream = [(i, j, word_key(tok)) for i, s in enumerate(sentences)
              for j, tok in enumerate(s.text.split()) if word_key(tok)]
    keys = [k for _, _, k in stream]
    cursor = 0
    for text, level in runs:
        if not level:
            continue
        wanted = [word_key(tok) for s in iter_sentences(text, language)
                  for tok in s.text.split() if word_key(tok)]
        at = _find(keys, wanted, cursor)
        if at is None:
            continue
        for i, j, _ in stream[at:at + len(wanted)]:
            levels[i][j] = level
        cursor = at + len(wanted)
    return levels


def _find(keys: list[str], wanted: list[str], start: int) -> int | None:
    """The first index at or after ``start`` where ``wanted`` occurs in ``keys``."""
    if not wanted:
        return None
    for at in range(start, len(keys) - len(wanted) + 1):
        if keys[at:at + len(wanted)] == wanted:
            return at
    return None
