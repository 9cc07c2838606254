"""SSML emphasis heard inside a sentence (speech/emphasis.py ``emphasize``,
pitch.py ``warp``): the emphasised word is higher, longer and louder, the other
words stay as they were, and the phone and word timelines still fit the audio.
Measured with WORLD's F0 (pyworld, as the voice stage measures voices), not
with the tracker the change is made with."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from facespeak.speech import FakeEngine, iter_speech, synthesize_sentences
from facespeak.speech.emphasis import EMPHASIS_PROSODY, emphasize
from facespeak.speech.pitch import track_f0 as psola_f0
from facespeak.speech.pitch import warp
from facespeak.speech.voices import ESPEAK, FESTIVAL, FLITE, resolve_voice
from facespeak.text import text_to_sentences
from facespeak.types import Speech
from facespeak.voice.analysis import FRAME_PERIOD_MS, to_analysis_rate, track_f0
from tests.test_speech_shape import vowel

VOICES = [pytest.param("flite:rms", marks=pytest.mark.skipif(
              not FLITE.available(), reason="flite is not installed")),
          pytest.param("festival:slt-hts", marks=pytest.mark.skipif(
              not FESTIVAL.voices(), reason="festival's HTS voice is not installed")),
          pytest.param("espeak:en-us", marks=pytest.mark.skipif(
              not ESPEAK.available(), reason="espeak-ng is not installed"))]
PLAIN = "The old man walked slowly to the river and sat down."
STRONG = ("<speak>The old man walked slowly to the <emphasis level='strong'>river</emphasis> "
          "and sat down.</speak>")


def semitones(ratio: float) -> float:
    return float(12 * np.log2(ratio))


def word_prosody(speech: Speech, start_s: float, end_s: float) -> tuple[float, float, float]:
    """(median F0 in Hz over the voiced frames, duration in s, RMS level in dB) of a span."""
    f0 = track_f0(to_analysis_rate(speech.samples, speech.sample_rate))
    frames = f0[int(start_s * 1000 / FRAME_PERIOD_MS):int(end_s * 1000 / FRAME_PERIOD_MS)]
    x = speech.samples[round(start_s * speech.sample_rate):round(end_s * speech.sample_rate)]
    rms_db = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20)
    voiced = frames[frames > 0]
    f0 = float(np.median(voiced)) if len(voiced) else float("nan")
    return f0, end_s - start_s, float(rms_db)


def sounding_end_s(speech: Speech, floor_db: float = -40.0) -> float:
    """Where the audio last rises above ``floor_db`` below its peak (10 ms frames)."""
    n = speech.sample_rate // 100
    frames = speech.samples[:len(speech.samples) // n * n].reshape(-1, n).astype(np.float64)
    db = 10 * np.log10((frames ** 2).mean(1) / np.max(frames ** 2) + 1e-20)
    return (np.flatnonzero(db > floor_db)[-1] + 1) / 100


def lag_s(a: np.ndarray, b: np.ndarray, rate: int, around: int, reach: int) -> float:
    """The delay of ``b`` against ``a`` (best normalised correlation of ``a``'s
    first 0.3 s with ``b`` at ``around`` +- ``reach`` samples)."""
    n = int(0.3 * rate)
    lags = range(around - reach, around + reach + 1)
    scores = [np.dot(a[:n], b[k:k + n]) / (np.linalg.norm(b[k:k + n]) + 1e-12) for k in lags]
    return lags[int(np.argmax(scores))] / rate


class _SpeaksOnce:
    """An engine that speaks each request once and replays it: the plain and the
    emphasised sentence then start from the very same engine audio (espeak-ng's
    differs a little from call to call and with what it spoke before), so what
    differs between them is ``emphasize``'s doing alone."""

    def __init__(self, engine) -> None:
        self.engine, self.name, self._said = engine, engine.name, {}

    def voices(self):
        return self.engine.voices()

    def synthesize(self, text, voice, language, prosody):
        key = (text, voice, language, prosody)
        if key not in self._said:
            self._said[key] = self.engine.synthesize(text, voice, language, prosody)
        return self._said[key]


@pytest.fixture(scope="module")
def spoken():
    cache: dict[str, tuple[Speech, Speech]] = {}

    def both(voice: str) -> tuple[Speech, Speech]:
        if voice not in cache:
            engine, name, language = resolve_voice(voice, "en")
            once = _SpeaksOnce(engine)
            cache[voice] = tuple(synthesize_sentences(text_to_sentences(t), name, language,
                                                      engine=once)
                                 for t in (PLAIN, STRONG))
        return cache[voice]
    return both


# ------------------------------------------------------------ real engines
@pytest.mark.parametrize("voice", VOICES)
def test_a_strongly_emphasised_word_is_higher_longer_and_louder(spoken, voice):
    plain, strong = spoken(voice)
    assert [w.text for w in plain.words] == [w.text for w in strong.words]
    for a, b in zip(plain.words, strong.words, strict=True):
        (fa, da, la), (fb, db, lb) = (word_prosody(plain, a.start_s, a.end_s),
                                      word_prosody(strong, b.start_s, b.end_s))
        if b.emphasis:  # asked: +4 semitones, x1.3, +2.5 dB (and the added pulses)
            assert b.text == "river" and b.emphasis == "strong"
            assert 3.0 <= semitones(fb / fa) <= 5.0, (voice, fa, fb)
            assert 1.25 <= db / da <= 1.35
            assert 2.0 <= lb - la <= 4.0
        else:  # the other words as they were (a few frames of the transitions reach them)
            assert abs(semitones(fb / fa)) < 0.75, (voice, a.text, fa, fb)
            assert db / da == pytest.approx(1.0, abs=0.03), a.text
            assert lb - la == pytest.approx(0.0, abs=1.0), a.text


@pytest.mark.parametrize("voice", VOICES)
def test_the_timelines_move_with_the_added_time(spoken, voice):
    plain, strong = spoken(voice)
    river = next(i for i, w in enumerate(strong.words) if w.emphasis)
    added = strong.duration_s - plain.duration_s
    assert added == pytest.approx(0.3 * (plain.words[river].end_s - plain.words[river].start_s),
                                  abs=0.02)
    # Words before: where they were; after: later by exactly the time added.
    for a, b in zip(plain.words[:river], strong.words[:river], strict=True):
        assert (b.start_s, b.end_s) == pytest.approx((a.start_s, a.end_s), abs=1e-3)
    for a, b in zip(plain.words[river + 1:], strong.words[river + 1:], strict=True):
        assert (b.start_s - a.start_s, b.end_s - a.end_s) == pytest.approx((added, added),
                                                                            abs=1e-3)
    # The phones: the same ones, the emphasised word's inside it, the timeline
    # gap-free to the end, and the last phone ends as far from where the sound
    # stops as it did.
    assert [p.symbol for p in plain.phones] == [p.symbol for p in strong.phones]
    word = strong.words[river]
    inside = [p for p in strong.phones if word.start_s - 1e-6 <= p.start_s < word.end_s - 1e-6]
    assert inside[0].start_s == pytest.approx(word.start_s, abs=1e-6)
    assert inside[-1].end_s == pytest.approx(word.end_s, abs=1e-3)
    assert strong.phones[-1].end_s == strong.duration_s
    assert all(p.end_s == q.start_s for p, q in zip(strong.phones, strong.phones[1:]))
    last_a, last_b = (next(p for p in reversed(s.phones) if p.symbol) for s in (plain, strong))
    assert last_b.end_s - sounding_end_s(strong) == pytest.approx(
        last_a.end_s - sounding_end_s(plain), abs=0.011)
    # The audio after the word (and its 20 ms transition) is the plain audio,
    # delayed by the timelines' shift.
    after = plain.words[river + 1].start_s + 0.05
    rate = plain.sample_rate
    tail = plain.samples[round(after * rate):]
    assert lag_s(tail, strong.samples, rate, round((after + added) * rate), rate // 50) \
        == pytest.approx(after + added, abs=0.001)
    k = round(after * rate)
    shift = round(added * rate)
    gain = np.max(np.abs(strong.samples)) / np.max(np.abs(plain.samples))
    assert np.allclose(strong.samples[k + shift:k + shift + len(tail)],
                       tail[:len(strong.samples) - k - shift] * gain, atol=1e-4)


@pytest.mark.parametrize("voice", VOICES)
def test_emphasis_neither_clicks_nor_raises_the_peak(spoken, voice):
    plain, strong = spoken(voice)
    a, b = (next(w for w in s.words if w.text == "river") for s in (plain, strong))
    rate = plain.sample_rate

    def steepest(s: Speech, t0: float, t1: float) -> float:
        """Largest sample-to-sample step, against the sentence's peak."""
        x = s.samples[round(t0 * rate):round(t1 * rate)].astype(np.float64)
        return float(np.max(np.abs(np.diff(x)))) / float(np.max(np.abs(s.samples)))

    for edge_a, edge_b in ((a.start_s, b.start_s), (a.end_s, b.end_s)):
        # around each transition no steeper than the plain word anywhere
        assert steepest(strong, edge_b - 0.03, edge_b + 0.03) <= 1.2 * steepest(
            plain, a.start_s - 0.03, a.end_s + 0.03)
    # the sentence's peak is kept: normalisation moves nothing
    assert np.max(np.abs(strong.samples)) == pytest.approx(np.max(np.abs(plain.samples)),
                                                           rel=1e-3)


@pytest.mark.skipif(not FLITE.available(), reason="flite is not installed")
def test_emphasised_words_stay_intelligible():
    """The recogniser on six Harvard sentences, a mid-sentence word each strongly
    emphasised (benchmarks/bench_emphasis.py: all 30, every engine)."""
    from facespeak.evaluate.intelligibility import normalize_words, recognize, word_error_rate

    marked = {"The birch canoe slid on the smooth planks.": "canoe",
              "The juice of lemons makes fine punch.": "lemons",
              "The box was thrown beside the parked truck.": "thrown",
              "A rod is used to catch pink salmon.": "catch",
              "The small pup gnawed a hole in the sock.": "hole",
              "Her purse was full of useless trash.": "useless"}
    edits = {"plain": 0.0, "strong": 0.0}
    for text, word in marked.items():
        ssml = "<speak>" + text.replace(word, f"<emphasis level='strong'>{word}</emphasis>") \
            + "</speak>"
        for name, version in (("plain", text), ("strong", ssml)):
            speech = synthesize_sentences(text_to_sentences(version), "flite:rms", "en")
            heard = recognize(speech.samples, speech.sample_rate)
            edits[name] += word_error_rate(text, heard) * len(normalize_words(text))
    n = sum(len(normalize_words(t)) for t in marked)
    assert edits["strong"] / n <= edits["plain"] / n + 0.1, edits


# ------------------------------------------------------- the fake engine
def fake(text: str) -> Speech:
    (speech,) = iter_speech(text_to_sentences(text), None, "en", 16000, engine=FakeEngine())
    return speech


def fake_f0(speech: Speech, start_s: float, end_s: float) -> float:
    f0 = psola_f0(speech.samples, speech.sample_rate)
    t = np.arange(len(f0)) * 0.01 + 0.02
    return float(np.nanmedian(f0[(t > start_s + 0.03) & (t < end_s - 0.03)]))


@pytest.mark.parametrize("level", ["moderate", "strong", "reduced"])
def test_each_level_at_the_start_middle_and_end_of_a_sentence(level):
    plain = fake("Mama paints a mural.")
    asked = EMPHASIS_PROSODY[level]
    for i, word in enumerate(("Mama", "mural", "paints")):
        marked = fake(f"<speak>{PLAIN_FAKE[i].format(level=level)}</speak>")
        w = next(w for w in marked.words if w.emphasis)
        assert w.text == word and w.emphasis == level
        p = next(p for p in plain.words if p.text == word)
        ratio = fake_f0(marked, w.start_s, w.end_s) / fake_f0(plain, p.start_s, p.end_s)
        assert semitones(ratio) == pytest.approx(asked.semitones, abs=0.3)
        assert (w.end_s - w.start_s) / (p.end_s - p.start_s) == pytest.approx(
            asked.lengthen, abs=0.02)
        added = marked.duration_s - plain.duration_s
        assert added == pytest.approx((asked.lengthen - 1) * (p.end_s - p.start_s), abs=0.01)
        assert marked.phones[-1].end_s == marked.duration_s
        assert np.max(np.abs(marked.samples)) <= np.max(np.abs(plain.samples)) + 1e-6


PLAIN_FAKE = ("<emphasis level='{level}'>Mama</emphasis> paints a mural.",
              "Mama paints a <emphasis level='{level}'>mural</emphasis>.",
              "Mama <emphasis level='{level}'>paints</emphasis> a mural.")


def test_neighbouring_levels_and_a_wholly_emphasised_sentence():
    plain = fake("Mama loves a lama.")
    mixed = fake("<speak><emphasis level='strong'>Mama</emphasis> <emphasis>loves"
                 "</emphasis> a lama.</speak>")
    whole = fake("<speak><emphasis level='strong'>Mama loves a lama.</emphasis></speak>")
    for speech, levels in ((mixed, ("strong", "moderate", "", "")), (whole, ("strong",) * 4)):
        assert tuple(w.emphasis for w in speech.words) == levels
        for w, p in zip(speech.words, plain.words, strict=True):
            asked = EMPHASIS_PROSODY.get(w.emphasis)
            got = semitones(fake_f0(speech, w.start_s, w.end_s) / fake_f0(plain, p.start_s,
                                                                          p.end_s))
            assert got == pytest.approx(asked.semitones if asked else 0.0, abs=0.35), w
    assert whole.duration_s - plain.duration_s == pytest.approx(
        0.3 * (plain.words[-1].end_s - plain.words[0].start_s), abs=0.01)


def test_no_emphasis_costs_nothing():
    speech = fake("Mama loves a lama.")
    assert emphasize(speech) is speech
    none = fake("<speak>Mama <emphasis level='none'>loves</emphasis> a lama.</speak>")
    assert np.array_equal(none.samples, speech.samples) and none.words == speech.words


def test_a_voiceless_word_is_louder_but_hardly_longer():
    speech = fake("Mama tsks a lama.")
    tsks = next(w for w in speech.words if w.text == "tsks")
    marked = replace(speech, words=tuple(replace(w, emphasis="strong") if w is tsks else w
                                         for w in speech.words))
    out = emphasize(marked)
    # Asked: 0.09 s longer; only voiced sounds are lengthened (repeated noise
    # grains would buzz), and the F0 analysis's reach from the vowels around it
    # gives the closure of its first stop a few milliseconds.
    assert out.duration_s - speech.duration_s < 0.015
    louder = next(w for w in out.words if w.text == "tsks")
    levels = [word_prosody(s, w.start_s, w.end_s)[2] for s, w in ((speech, tsks), (out, louder))]
    assert levels[1] - levels[0] == pytest.approx(EMPHASIS_PROSODY["strong"].gain_db, abs=0.5)


# ------------------------------------------------------------------ warp
def test_warp_with_nothing_to_change_is_the_input():
    x = vowel(120.0, 0.5)
    ones = np.ones(len(x))
    out, at = warp(x, 16000, ones, ones, ones)
    assert out is x and np.array_equal(at, np.arange(len(x) + 1))


def test_warp_changes_only_its_span_and_joins_it_exactly():
    x = vowel(120.0, 1.0)
    n, rate = len(x), 16000
    span = slice(6000, 10000)
    pitch, stretch, gain = (np.ones(n) for _ in range(3))
    pitch[span], stretch[span], gain[span] = 2 ** (3 / 12), 1.5, 1.25
    out, at = warp(x, rate, pitch, stretch, gain)
    added = round(at[-1] - n)
    assert len(out) == n + added and added == pytest.approx(0.5 * 4000, abs=rate / 120)
    assert np.array_equal(out[:5000], x[:5000])  # before the span: the input
    assert np.array_equal(out[11000 + added:], x[11000:])  # after it: the input, delayed
    middle = out[round(at[7000]):round(at[9000])]
    f0 = np.nanmedian(psola_f0(middle, rate))
    assert semitones(f0 / 120.0) == pytest.approx(3.0, abs=0.2)
    assert np.sqrt(np.mean(middle ** 2)) / np.sqrt(np.mean(x[7000:9000] ** 2)) > 1.2
    assert np.all(np.diff(at) > 0)
