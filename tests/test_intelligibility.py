import numpy as np
import pytest

from facespeak.evaluate.intelligibility import (
    corpus_word_error_rate,
    normalize_words,
    recognize,
    word_error_rate,
)
from facespeak.speech import FliteEngine

FLITE = FliteEngine()
needs_flite = pytest.mark.skipif(not FLITE.available(), reason="flite is not installed")


def test_word_error_rate_counts_edits_per_reference_word():
    assert word_error_rate("the cat sat on the mat", "the cat sat on the mat") == 0.0
    assert word_error_rate("the cat sat on the mat", "the cat sat on mat") == pytest.approx(1 / 6)
    assert word_error_rate("the cat sat", "a cat sat down") == pytest.approx(2 / 3)
    assert word_error_rate("the cat sat", "") == 1.0
    assert word_error_rate("one two", "three four five six") == 2.0


def test_corpus_word_error_rate_weighs_sentences_by_their_words():
    # 1 edit in 6 words and 1 in 2: 2 / 8, not the mean of 1/6 and 1/2.
    assert corpus_word_error_rate(["the cat sat on the mat", "hello world"],
                                  ["the cat sat on mat", "hello"]) == pytest.approx(2 / 8)
    with pytest.raises(ValueError, match="hypotheses"):
        corpus_word_error_rate(["one"], [])


def test_word_error_rate_ignores_case_punctuation_and_spells_numbers():
    assert word_error_rate("Hello, World!", "hello world") == 0.0
    assert word_error_rate("I have 3 cats and 21 dogs.", "i have three cats and twenty one dogs") \
        == 0.0
    assert normalize_words("Dr. Smith paid $5.") == ["doctor", "smith", "paid", "five", "dollars"]
    with pytest.raises(ValueError, match="reference"):
        word_error_rate("?!", "anything")


def test_recognizer_hears_nothing_in_silence():
    assert recognize(np.zeros(16000, np.float32), 16000) == ""


@needs_flite
@pytest.mark.parametrize("rate", [16000, 22050, 44100])
def test_recognizer_understands_clear_synthetic_speech_at_any_rate(rate):
    from facespeak.speech.assemble import resample

    text = "Open the door and bring me the red book."
    speech = resample(FLITE.synthesize(text, "rms", "en"), rate)
    heard = recognize(speech.samples, rate)
    assert word_error_rate(text, heard) <= 0.35, heard
    assert recognize(speech.samples, rate) == heard  # no state carried between calls
    reversed_heard = recognize(speech.samples[::-1].copy(), rate)  # same spectrum, no words
    assert word_error_rate(text, reversed_heard) >= 0.6, reversed_heard


@needs_flite
def test_recognizer_result_does_not_depend_on_what_it_heard_before():
    # Both sentences were heard differently after the noise before the front
    # end was reset per utterance ("glue" as "blew", "a rod is" as "but rodgers").
    noise = np.random.default_rng(0).standard_normal(32000).astype(np.float32) * 0.3
    for text in ("Glue the sheet to the dark blue background.",
                 "A rod is used to catch pink salmon."):
        speech = FLITE.synthesize(text, "rms", "en")
        first = recognize(speech.samples, speech.sample_rate)
        recognize(noise, 16000)
        assert recognize(speech.samples, speech.sample_rate) == first, text


def test_recognizer_refuses_stereo():
    with pytest.raises(ValueError, match="mono"):
        recognize(np.zeros((100, 2), np.float32), 16000)
