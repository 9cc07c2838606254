"""English number words: cardinals, ordinals, decimals, years, digit strings."""

from __future__ import annotations

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_IRREGULAR = {
    "one": "first", "two": "second", "three": "third", "five": "fifth",
    "eight": "eighth", "nine": "ninth", "twelve": "twelfth",
}
_MAX_CARDINAL = 10**15  # beyond this, reading digit by digit is clearer


def _below_100(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = [f"{_ONES[hundreds]} hundred"] if hundreds else []
    if rest:
        words.append(_below_100(rest))
    return " ".join(words)


def cardinal(n: int) -> str:
    """``1234`` -> ``"one thousand two hundred thirty-four"``; negatives say "minus"."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n >= _MAX_CARDINAL:
        return digits(str(n))
    if n == 0:
        return "zero"
    if n < 1000:
        return _below_1000(n)
    words = []
    for scale, name in _SCALES:
        count, n = divmod(n, scale)
        if count:
            words.append(f"{_below_1000(count)} {name}")
    if n:
        words.append(_below_1000(n))
    return " ".join(words)


def ordinal(n: int) -> str:
    """``21`` -> ``"twenty-first"``."""
    words = cardinal(n)
    head, sep, last = words.rpartition("-" if "-" in words.split(" ")[-1] else " ")
    if last in _ORDINAL_IRREGULAR:
        last = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def digits(text: str) -> str:
    """Read a digit string one digit at a time: ``"007"`` -> ``"zero zero seven"``."""
    return " ".join(_ONES[int(c)] for c in text if c.isdigit())


def decimal(text: str) -> str:
    """``"3.14"`` -> ``"three point one four"``; ``".5"`` -> ``"point five"``."""
    whole, _, frac = text.partition(".")
    head = cardinal(int(whole)) + " " if whole else ""
    return f"{head}point {digits(frac)}" if frac else head.strip()


def year(n: int) -> str:
    """Years as spoken: 1999 -> "nineteen ninety-nine", 2005 -> "two thousand five",
    1900 -> "nineteen hundred"; falls back to the cardinal outside 1100-2099."""
    if not 1100 <= n <= 2099:
        return cardinal(n)
    if 2000 <= n <= 2009:
        return cardinal(n)
    high, low = divmod(n, 100)
    if low == 0:
        return f"{_below_100(high)} hundred"
    return f"{_below_100(high)} {'oh ' + _ONES[low] if low < 10 else _below_100(low)}"


def plural(words: str) -> str:
    """Plural of a number word, for decades and fractions: "ninety" -> "nineties"."""
    return words[:-1] + "ies" if words.endswith("y") else words + "s"
