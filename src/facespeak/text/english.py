"""English text expansion: abbreviations, dates, times, money, numbers, symbols.

Rules run in a fixed order because later ones would misread earlier patterns
(a date's digits would otherwise be read as plain numbers).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from facespeak.text.numbers import cardinal, decimal, digits, ordinal, plural, year

_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_MONTH_RX = (
    r"(January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?"
)

# (pattern, expansion, keeps a sentence-ending period). Titles precede a name,
# so their period never ends a sentence; "etc." often does.
_ABBREVIATIONS: tuple[tuple[str, str, bool], ...] = (
    (r"\bMr\.", "Mister", False),
    (r"\bMrs\.", "Missus", False),
    (r"\bMs\.", "Miz", False),
    (r"\bProf\.", "Professor", False),
    (r"\bMt\.", "Mount", False),
    (r"\bJr\.", "Junior", True),
    (r"\bSr\.", "Senior", True),
    (r"\b([A-Z][a-z]+) Dr\.(?!\s+[A-Z])", r"\1 Drive", True),  # "Mulholland Dr."
    (r"\bDr\.", "Doctor", False),
    (r"\b([A-Z][a-z]+) St\.(?!\s+[A-Z])", r"\1 Street", True),  # "Main St." vs "St. Louis"
    (r"\bSt\.", "Saint", False),
    (r"(?i)\be\.g\.", "for example", False),
    (r"(?i)\bi\.e\.", "that is", False),
    (r"(?i)\betc\.", "et cetera", True),
    (r"(?i)\bvs\.?(?=\s)", "versus", False),
    (r"(?i)\bapprox\.", "approximately", False),
    (r"(?i)\bno\.(?=\s*\d)", "number", False),
    (r"\bInc\.", "Incorporated", True),
    (r"\bLtd\.", "Limited", True),
    (r"(?i)\b([ap])\.\s?m\.", r"\1m", True),
)
_SENTENCE_GOES_ON = re.compile(r"\s+[A-Z]|\s*$")


def _abbreviation(expansion: str, keeps_period: bool) -> Callable[[re.Match[str]], str]:
    def expand(m: re.Match[str]) -> str:
        text = m.expand(expansion)
        ends_sentence = keeps_period and _SENTENCE_GOES_ON.match(m.string, m.end())
        return text + "." if ends_sentence else text

    return expand


def _initialism(m: re.Match[str]) -> str:
    letters = " ".join(m.group(0).replace(".", "").upper())
    return letters + "." if _SENTENCE_GOES_ON.match(m.string, m.end()) else letters


def expand_abbreviations(text: str) -> str:
    """Expand period-bearing abbreviations; run before sentence splitting so that
    "Dr. Smith" is not cut after "Dr."."""
    for pattern, expansion, keeps_period in _ABBREVIATIONS:
        text = re.sub(pattern, _abbreviation(expansion, keeps_period), text)
    return re.sub(r"\b(?:[A-Za-z]\.){2,}", _initialism, text)  # U.S.A. -> U S A


def _date(month: int, day: int, yr: int | None) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    said = f"{_MONTHS[month - 1]} {ordinal(day)}"
    return f"{said} {year(yr)}" if yr is not None else said


def _iso_date(m: re.Match[str]) -> str:
    return _date(int(m[2]), int(m[3]), int(m[1])) or m[0]


def _us_date(m: re.Match[str]) -> str:
    return _date(int(m[1]), int(m[2]), int(m[3])) or m[0]


def _month_day(m: re.Match[str]) -> str:
    month = next(i for i, name in enumerate(_MONTHS) if name.startswith(m[1].lower()[:3]))
    return _date(month + 1, int(m[2]), None) or m[0]


def _clock(m: re.Match[str]) -> str:
    hour, minute, suffix = int(m[1]), int(m[2] or 0), (m[3] or "").lower()
    if minute == 0:
        said = cardinal(hour) + ("" if suffix else " o'clock")
    elif minute < 10:
        said = f"{cardinal(hour)} oh {cardinal(minute)}"
    else:
        said = f"{cardinal(hour)} {cardinal(minute)}"
    return f"{said} {suffix[0].upper()} M" if suffix else said


_CURRENCIES = {"$": ("dollar", "cent"), "£": ("pound", "penny"), "€": ("euro", "cent"),
               "¥": ("yen", "")}
_SCALE_WORDS = {"k": "thousand", "m": "million", "mn": "million", "b": "billion",
                "bn": "billion", "thousand": "thousand", "million": "million",
                "billion": "billion", "trillion": "trillion"}


def _money(m: re.Match[str]) -> str:
    unit, sub = _CURRENCIES[m[1]]
    amount, scale = m[2].replace(",", ""), _SCALE_WORDS.get((m[3] or "").lower())
    if scale:  # "$1.5 million" -> "one point five million dollars"
        return f"{_number(amount)} {scale} {unit}s"
    whole, _, cents = amount.partition(".")
    units, hundredths = int(whole or 0), int((cents + "00")[:2]) if cents else 0
    parts = [f"{cardinal(units)} {unit}{'s' if units != 1 and unit != 'yen' else ''}"]
    if hundredths and sub:
        subs = "pence" if sub == "penny" and hundredths != 1 else sub + ("s" * (hundredths != 1))
        cents_said = f"{cardinal(hundredths)} {subs}"
        parts = [cents_said] if units == 0 else parts + ["and", cents_said]
    return " ".join(parts)


def _number(text: str) -> str:
    """A numeral as words; a bare 4-digit integer reads as a year ("1999")."""
    sign, text = ("minus ", text[1:]) if text[0] in "-−" else ("", text)
    if "." in text:
        return sign + decimal(text.replace(",", ""))
    if len(text) > 1 and text.startswith("0"):
        return sign + digits(text)
    n = int(text.replace(",", ""))
    return sign + (year(n) if len(text) == 4 and not sign else cardinal(n))


def _fraction(m: re.Match[str]) -> str:
    num, den = int(m[1]), int(m[2])
    if den == 2:
        name = "half" if num == 1 else "halves"
    elif den == 4:
        name = "quarter" if num == 1 else "quarters"
    else:
        name = ordinal(den) if num == 1 else plural(ordinal(den))
    return f"{cardinal(num)} {name}"


# Thousands separators must be valid ("1,2,3" is a list); ".5" is a decimal.
_AMOUNT = r"(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)"
_NUM = rf"[-−]?{_AMOUNT}"
_RULES: tuple[tuple[str, str | Callable[[re.Match[str]], str]], ...] = (
    (r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", _iso_date),
    (r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", _us_date),
    (rf"\b{_MONTH_RX}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)", _month_day),
    (r"\b(\d{1,2}):(\d{2})(?::\d{2})?(?:\s?([AaPp][Mm])\b)?", _clock),
    (r"\b(\d{1,2})()\s?([AaPp][Mm])\b", _clock),
    (rf"([$£€¥])\s?({_AMOUNT})(?:\s?(thousand|million|billion|trillion|[kKmMbB]n?)\b)?", _money),
    (rf"({_NUM})\s?%", lambda m: _number(m[1]) + " percent"),
    (r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: ordinal(int(m[1]))),
    (r"\b(1[1-9]|20)(\d0)'?s\b", lambda m: plural(year(int(m[1] + m[2])))),
    (r"'(\d0)s\b", lambda m: plural(cardinal(int(m[1])))),
    (r"(?<![\d/])(\d+)/(\d+)(?![\d/])", lambda m: _fraction(m) if 2 <= int(m[2]) <= 10 else m[0]),
    (r"#(?=\s?\d)", " number "),
    (rf"(?<![\w.]){_NUM}(?!\d)", lambda m: _number(m[0])),
    (r"\d+", lambda m: f" {_number(m[0])} "),  # digits glued to letters ("v2", "A4")
    (r"#", " hash "),
    (r"&", " and "),
    (r"%", " percent "),
    (r"\+", " plus "),
    (r"=", " equals "),
    (r"@", " at "),
    (r"°", " degrees "),
    (r"/", " slash "),
)
_COMPILED = tuple((re.compile(p), r) for p, r in _RULES)


def expand_english(sentence: str) -> str:
    """Spell out dates, times, money, percentages, numbers and symbols in one sentence."""
    for pattern, replacement in _COMPILED:
        sentence = pattern.sub(replacement, sentence)
    return sentence
