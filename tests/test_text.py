import time

import pytest

from facespeak.errors import EmptyText, FacespeakInputError
from facespeak.text import iter_sentences, normalize_text
from facespeak.text.normalize import (CLAUSE_PAUSE_S, COMMA_PAUSE_S, MAX_CHARS,
                                      PARAGRAPH_PAUSE_S, SENTENCE_PAUSE_S)
from facespeak.text.numbers import cardinal, ordinal, year
from facespeak.types import Sentence


def said(text: str, language: str = "en") -> str:
    return " ".join(s.text for s in normalize_text(text, language))


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (42, "forty-two"),
    (100, "one hundred"), (101, "one hundred one"), (999, "nine hundred ninety-nine"),
    (1000, "one thousand"), (1_000_001, "one million one"),
    (2_500_000_000, "two billion five hundred million"), (-8, "minus eight"),
])
def test_cardinal(n, words):
    assert cardinal(n) == words


@pytest.mark.parametrize("n, words", [
    (1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (8, "eighth"), (9, "ninth"),
    (12, "twelfth"), (20, "twentieth"), (21, "twenty-first"), (100, "one hundredth"),
    (103, "one hundred third"),
])
def test_ordinal(n, words):
    assert ordinal(n) == words


@pytest.mark.parametrize("n, words", [
    (1999, "nineteen ninety-nine"), (2024, "twenty twenty-four"), (1900, "nineteen hundred"),
    (1905, "nineteen oh five"), (2005, "two thousand five"), (2000, "two thousand"),
    (1066, "one thousand sixty-six"),
])
def test_year(n, words):
    assert year(n) == words


@pytest.mark.parametrize("text, expected", [
    ("In 1999 it rained.", "In nineteen ninety-nine it rained."),
    ("We had 1,234,567 users.", ("We had one million two hundred thirty-four thousand five "
                                "hundred sixty-seven users.")),
    ("It was -42 and 3.14 and 0.5 and .5 units.",
     "It was minus forty-two and three point one four and zero point five and point five units."),
    ("The 1st, 2nd, 3rd and 21st.", "The first, second, third and twenty-first."),
    ("It costs $5.20.", "It costs five dollars and twenty cents."),
    ("Only $1 or $0.99 or £3.50 or €2.", ("Only one dollar or ninety-nine cents or three pounds "
                                         "and fifty pence or two euros.")),
    ("Raise $1.5 million.", "Raise one point five million dollars."),
    ("Up 15% or 4.5 %.", "Up fifteen percent or four point five percent."),
    ("Meet at 3:30 pm.", "Meet at three thirty P M."),
    ("Meet at 3:05 or 10am or 7 p.m. sharp.",
     "Meet at three oh five or ten A M or seven P M sharp."),
    ("At 12:00 we eat.", "At twelve o'clock we eat."),
    ("On 2024-05-01 we left.", "On may first twenty twenty-four we left."),
    ("On 5/1/2024 we left.", "On may first twenty twenty-four we left."),
    ("Born March 3rd, 1985.", "Born march third, nineteen eighty-five."),
    ("The 1990s and the '80s.", "The nineteen nineties and the eighties."),
    ("Add 1/2 cup and 3/4 mile.", "Add one half cup and three quarters mile."),
    ("Agent 007 wins.", "Agent zero zero seven wins."),
])
def test_english_numbers_dates_money(text, expected):
    assert said(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Dr. Smith met Mr. Jones and Mrs. Brown.", "Doctor Smith met Mister Jones and Missus Brown."),
    ("St. Louis is on Main St.", "Saint Louis is on Main Street."),
    ("Fruit, e.g. apples, i.e. food.", "Fruit, for example apples, that is food."),
    ("Cats vs. dogs vs mice.", "Cats versus dogs versus mice."),
    ("Apples, pears, etc. are fruit.", "Apples, pears, et cetera are fruit."),
    ("Tom & Jerry, A+B=C, me@home, #1 and #tag.",
     "Tom and Jerry, A plus B equals C, me at home, number one and hash tag."),
    ("The U.S.A. is big.", "The U S A is big."),
])
def test_english_abbreviations_and_symbols(text, expected):
    assert said(text) == expected


def test_abbreviations_do_not_end_sentences_but_etc_can():
    assert [s.text for s in normalize_text("Ask Dr. Who. He knows.")] == [
        "Ask Doctor Who.", "He knows."]
    assert [s.text for s in normalize_text("Bring pens, paper, etc. Then sit.")] == [
        "Bring pens, paper, et cetera.", "Then sit."]


def test_unicode_quotes_dashes_and_brackets_are_cleaned():
    out = said("\u201cHi,\u201d she said \u2014 \u2018twice\u2019 (loudly)\u2026 1990\u20131995 "
               "was\u00a0fun.")
    assert out == ("Hi, she said, 'twice', loudly... nineteen ninety to nineteen ninety-five "
                   "was fun.")
    assert not set(out) & set("\u201c\u201d\u2018\u2019\u2014\u2013\u00a0()")


def test_punctuation_sets_pause_lengths():
    sentences = normalize_text("One. Two! Three? Four; five: six... Seven\n\nEight")
    assert [s.text for s in sentences] == [
        "One.", "Two!", "Three?", "Four;", "five:", "six...", "Seven", "Eight"]
    pauses = [s.pause_after_s for s in sentences]
    assert pauses[:3] == [SENTENCE_PAUSE_S] * 3
    assert pauses[3:5] == [CLAUSE_PAUSE_S] * 2
    assert pauses[5] > SENTENCE_PAUSE_S  # ellipsis: a longer, hesitant pause
    assert pauses[6] == PARAGRAPH_PAUSE_S
    assert CLAUSE_PAUSE_S < SENTENCE_PAUSE_S < PARAGRAPH_PAUSE_S


def test_commas_stay_inside_the_sentence():
    sentences = normalize_text("Well, if you ask me, yes.")
    assert sentences == [Sentence("Well, if you ask me, yes.", SENTENCE_PAUSE_S)]


def test_decimals_and_times_do_not_split_sentences():
    assert len(normalize_text("Pi is 3.14 and it is 3:30 now.")) == 1


def test_long_sentence_is_cut_at_commas_then_words():
    clause = "this is a fairly long clause of words"
    with_commas = ", ".join([clause] * 12) + "."
    pieces = normalize_text(with_commas)
    assert len(pieces) > 1 and all(len(s.text) <= MAX_CHARS for s in pieces)
    assert all(s.pause_after_s == COMMA_PAUSE_S for s in pieces[:-1])
    assert pieces[-1].pause_after_s == SENTENCE_PAUSE_S
    assert " ".join(s.text for s in pieces).replace(",", "") == with_commas.replace(",", "")
    no_commas = normalize_text(" ".join(["word"] * 200))
    assert all(len(s.text) <= MAX_CHARS for s in no_commas)
    assert sum(len(s.text.split()) for s in no_commas) == 200  # no word cut or lost


def test_huge_input_streams_in_bounded_pieces():
    text = "The quick brown fox, aged 12, jumps over 3 lazy dogs. " * 4000  # ~220 kB
    start = time.perf_counter()
    first = next(iter_sentences(text))
    assert first.text.startswith("The quick brown fox, aged twelve")
    sentences = normalize_text(text)
    assert len(sentences) == 4000 and max(len(s.text) for s in sentences) <= MAX_CHARS
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("text", ["", "   \n\t ", "!!! ...", "\u2014 ?! ;", "()[]{}"])
def test_nothing_speakable_raises_empty_text(text):
    with pytest.raises(EmptyText) as err:
        normalize_text(text)
    assert isinstance(err.value, FacespeakInputError)
    assert "\n" not in str(err.value) and str(err.value)


def test_other_languages_keep_digits_and_split_on_cjk_marks():
    german = normalize_text("Ich habe 123 Äpfel. Und du?", "de")
    assert [s.text for s in german] == ["Ich habe 123 Äpfel.", "Und du?"]
    chinese = normalize_text("你好，世界。我爱北京！你呢？好", "cmn")
    assert [s.text for s in chinese] == ["你好,世界。", "我爱北京!", "你呢?", "好"]
    assert all(s.pause_after_s == SENTENCE_PAUSE_S for s in chinese)


def test_language_codes_are_case_and_region_insensitive():
    assert said("I have 2 cats.", "EN_us") == "I have two cats."
    assert said("I have 2 cats.", "fr") == "I have 2 cats."
