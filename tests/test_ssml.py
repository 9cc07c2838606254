"""SSML: parsing into sentences, what it does to the audio (measured), the
nods and idle motion it makes, and the command line."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from facespeak.cli import main
from facespeak.errors import BadSsml, EmptyText
from facespeak.motion.head import EMPHASIS_NOD, nod_curve
from facespeak.motion.track import (
    MotionOptions,
    build_motion_track,
    motion_from_json,
    motion_to_json,
)
from facespeak.speech import FakeEngine, iter_speech, synthesize_sentences
from facespeak.speech.emphasis import mark_emphasis
from facespeak.speech.pitch import track_f0
from facespeak.speech.voices import FESTIVAL, FLITE
from facespeak.text import is_ssml, normalize_text, text_to_sentences
from facespeak.text.ssml import PARAGRAPH_PAUSE_S
from facespeak.types import Sentence, Speech, VoiceParams, Word

ENGLISH = [pytest.param("festival:slt-hts", marks=pytest.mark.skipif(
               not FESTIVAL.voices(), reason="festival's HTS voice is not installed")),
           pytest.param("flite:rms", marks=pytest.mark.skipif(
               not FLITE.available(), reason="flite is not installed"))]


def fields(sentences: list[Sentence], *names: str) -> list[tuple]:
    return [tuple(getattr(s, n) for n in names) for s in sentences]


# ------------------------------------------------------------------ parsing
def test_ssml_is_recognised_by_its_speak_root():
    assert is_ssml("<speak>Hi</speak>") and is_ssml("  \n<speak version='1.1'>Hi</speak>")
    assert is_ssml('<?xml version="1.0"?>\n<speak>Hi</speak>')
    assert not is_ssml("Say <speak> to me") and not is_ssml("<speaker>")
    plain = "Dr. Smith paid $5 on 3/4/2021. Then he left!"
    assert text_to_sentences(plain) == normalize_text(plain)
    assert text_to_sentences("<speak>read me as text</speak>", ssml=False)[0].text.startswith(
        "speak read me")


def test_breaks_split_sentences_and_set_the_pause():
    sentences = text_to_sentences(
        "<speak>Hello <break time='500ms'/> there, <break strength='strong'/>friend. "
        "<break time='1.5s'/>Next one. <break time='1s'/><break time='1s'/>Last "
        "<break strength='none'/>words</speak>")
    assert fields(sentences, "text", "pause_after_s") == [
        ("Hello", 0.5), ("there", PARAGRAPH_PAUSE_S), ("friend.", 1.5),  # a break replaces
        ("Next one.", 2.0), ("Last words", 0.45)]  # the period's pause; breaks in a row add up


def test_nested_prosody_multiplies_and_splits_only_at_its_edges():
    sentences = text_to_sentences(
        "<speak>I have <prosody rate='slow' pitch='+10%'>3 very <prosody rate='80%' "
        "pitch='-2st'>slow</prosody> cats</prosody>. <prosody rate='1.5' pitch='x-high'>Fast!"
        "</prosody></speak>")
    got = [(s.text, round(s.rate, 3), round(s.pitch, 3), s.pause_after_s) for s in sentences]
    assert got == [("I have", 1.0, 1.0, 0.0), ("three very", 0.8, 1.1, 0.0),  # goes on
                   ("slow", 0.64, round(1.1 * 2 ** (-2 / 12), 3), 0.0),
                   ("cats.", 0.8, 1.1, 0.45), ("Fast!", 1.5, 1.25, 0.45)]


def test_emphasis_marks_the_normalised_words_it_covers():
    sentences = text_to_sentences(
        "<speak>Dr. <emphasis level='strong'>Smith</emphasis> paid <emphasis>$5</emphasis> "
        "for <emphasis level='reduced'>the</emphasis> pens &amp; <emphasis level='none'>ink"
        "</emphasis>.</speak>")
    (s,) = sentences
    assert s.text == "Doctor Smith paid five dollars for the pens and ink."
    assert dict(zip(s.text.split(), s.emphasis)) == {
        "Doctor": "", "Smith": "strong", "paid": "", "five": "moderate", "dollars": "moderate",
        "for": "", "the": "reduced", "pens": "", "and": "", "ink.": ""}
    assert s.pitch == 1.0  # emphasis is heard on its words (speech.emphasis), not the sentence


def test_a_wholly_strong_sentence_is_emphasised_word_by_word():
    first, second = text_to_sentences(
        "<speak><emphasis level='strong'>Stop right there!</emphasis> Then go.</speak>")
    assert first.emphasis == ("strong",) * 3 and first.pitch == 1.0
    assert second.emphasis == () and second.pitch == 1.0


def test_entities_cdata_and_comments_read_as_text():
    (s,) = text_to_sentences("<speak>Tom &amp; Jerry &lt;3 caf&#233; <!-- not said --> "
                             "<![CDATA[AT&T]]></speak>")
    assert s.text == "Tom and Jerry three café AT and T"
    assert [s] == normalize_text("Tom & Jerry <3 café AT&T")  # as the same plain text


@pytest.mark.parametrize("text, problem", [
    ("<speak>Hi</speek>", "malformed SSML at line 1, column 12: mismatched tag"),
    ("<speak>a &nbsp; b</speak>", "malformed SSML at line 1, column 10: undefined entity"),
    ("<speak>Hi <b>there</b></speak>", ("unsupported SSML tag <b> at line 1, column 11: "
                                        "supported are <speak>, <break>, <emphasis>, <prosody>")),
    ("<speak>\n  Hi <emphasis level='huge'>x</emphasis></speak>",
     "<emphasis level='huge'> at line 2, column 6: use one of strong, moderate, reduced, none"),
    ("<speak>a <break time='1 sec'/></speak>", "<break time='1 sec'> at line 1, column 10"),
    ("<speak>a <break time='11s'/></speak>", "at most 10s"),
    ("<speak>a <break>x</break></speak>", "<break> must be empty"),
    ("<speak><prosody volume='loud'>a</prosody></speak>",
     "unsupported attribute 'volume' on <prosody> at line 1, column 8: <prosody> takes rate, pitch"),
    ("<speak><prosody pitch='200Hz'>a</prosody></speak>", "<prosody pitch='200Hz'>"),
    ("<speak><prosody rate='x-slow'><prosody rate='slow'>a</prosody></prosody></speak>",
     "<prosody rate> at line 1, column 31 makes the rate x0.48: it must stay between 0.5 and 2"),
    ("<speak>a <speak>b</speak></speak>", "<speak> at line 1, column 10"),
])
def test_bad_ssml_gets_one_line_naming_the_problem_and_where(text, problem):
    with pytest.raises(BadSsml) as err:
        text_to_sentences(text)
    assert problem in str(err.value) and "\n" not in str(err.value)


def test_forced_ssml_needs_no_root_and_positions_stay_the_users():
    assert fields(text_to_sentences("Hi <break time='1s'/> you", ssml=True), "text") == [
        ("Hi",), ("you",)]
    with pytest.raises(BadSsml, match="<foo> at line 1, column 4"):
        text_to_sentences("Hi <foo/>", ssml=True)
    with pytest.raises(EmptyText):
        text_to_sentences("<speak><break time='1s'/> ... </speak>")
    with pytest.raises(BadSsml, match="must not declare a DOCTYPE"):
        text_to_sentences('<!DOCTYPE speak [<!ENTITY x "y">]><speak>&x;</speak>', ssml=True)


# ------------------------------------------------------------------- speech
def test_emphasis_follows_the_engines_own_word_names():
    """espeak says "twenty" for "twenty-one" and "Smith" for "Smith's"."""
    sentence = Sentence("I said twenty-one of Smith's cats.", 0.0,
                        emphasis=("", "", "strong", "", "reduced", ""))
    said = ["I", "said", "twenty", "of", "Smith", "cats"]
    words = tuple(Word(w, i * 0.3, i * 0.3 + 0.3, stressed=True) for i, w in enumerate(said))
    marked = mark_emphasis(Speech(np.zeros(10, np.float32), 16000, (), words), sentence)
    assert [(w.emphasis, w.stressed) for w in marked.words] == [
        ("", True), ("", True), ("strong", True), ("", True), ("reduced", False), ("", True)]


def test_each_sentence_is_spoken_at_its_own_rate_and_pitch():
    fake = FakeEngine()
    plain, slow, high, clipped = iter_speech(
        [Sentence("papa", 0.0), Sentence("papa", 0.0, rate=0.5),
         Sentence("papa", 0.0, pitch=1.5), Sentence("papa", 0.0, rate=0.8)],
        VoiceParams(rate=0.7), "en", 16000, engine=fake)
    core = [s.words[0].end_s - s.words[0].start_s for s in (plain, slow, high, clipped)]
    assert core[1] == pytest.approx(core[0] * 0.7 / 0.5, rel=0.02)  # 0.7 x 0.5 clipped to 0.5
    assert core[3] == pytest.approx(core[0] * 0.7 / 0.56, rel=0.02)
    assert track_f0_ratio(plain, high) == pytest.approx(1.5, rel=0.03)


def track_f0_ratio(a: Speech, b: Speech) -> float:
    fa, fb = (np.nanmedian(track_f0(s.samples, s.sample_rate)) for s in (a, b))
    return float(fb / fa)


def quiet_runs(speech: Speech, win_s: float = 0.01, floor_db: float = -50.0
               ) -> list[tuple[float, float]]:
    """(start, end) seconds of stretches quieter than ``floor_db`` below the peak."""
    n = int(win_s * speech.sample_rate)
    frames = speech.samples[: len(speech.samples) // n * n].reshape(-1, n).astype(np.float64)
    db = 10 * np.log10((frames ** 2).mean(1) / np.max(np.abs(speech.samples)) ** 2 + 1e-15)
    edges = np.diff(np.concatenate([[0], (db < floor_db).astype(int), [0]]))
    return [(a * win_s, b * win_s) for a, b in zip(np.flatnonzero(edges == 1),
                                                   np.flatnonzero(edges == -1))]


def sounding_s(speech: Speech, start_s: float, end_s: float) -> float:
    """Seconds of non-quiet audio in [start_s, end_s]."""
    quiet = sum(max(0.0, min(b, end_s) - max(a, start_s)) for a, b in quiet_runs(speech))
    return end_s - start_s - quiet


@pytest.mark.parametrize("voice", ENGLISH)
def test_a_break_is_that_much_silence_between_its_words(voice):
    speech = synthesize_sentences(text_to_sentences(
        "<speak>Hello there <break time='1s'/> my friend.</speak>"), voice, "en")
    there, my = (w for w in speech.words if w.text in ("there", "my"))
    gaps = [(a, b) for a, b in quiet_runs(speech) if b - a >= 0.95]
    assert len(gaps) == 1
    start, end = gaps[0]
    assert there.end_s - 0.1 <= start and end <= my.start_s + 0.1
    plain = synthesize_sentences(text_to_sentences("Hello there my friend."), voice, "en")
    assert max(b - a for a, b in quiet_runs(plain)[1:-1] or [(0, 0)]) < 0.3


@pytest.mark.parametrize("voice", ENGLISH)
def test_slow_prosody_makes_its_span_longer_and_high_pitch_higher(voice):
    """Against the same text split at the same place (a 10 ms break), since a
    prosody span is spoken as a phrase of its own."""
    def measured(span: str) -> tuple[float, float, float]:
        """(seconds of sound, median F0 of the span; median F0 before it)."""
        speech = synthesize_sentences(text_to_sentences(
            f"<speak>The fox {span}.</speak>"), voice, "en")
        cut = next(w for w in speech.words if w.text == "jumps").start_s - 0.02
        f0 = track_f0(speech.samples, speech.sample_rate)
        at = int(cut / speech.duration_s * len(f0))
        return (sounding_s(speech, cut, speech.duration_s), float(np.nanmedian(f0[at:])),
                float(np.nanmedian(f0[:at])))

    plain = measured("<break time='10ms'/>jumps over the lazy dog")
    slow = measured("<prosody rate='slow'>jumps over the lazy dog</prosody>")
    high = measured("<prosody pitch='high'>jumps over the lazy dog</prosody>")
    assert slow[0] / plain[0] > 1.15  # asked for 1 / 0.8 = 1.25
    assert 1.06 < high[1] / plain[1] < 1.2  # asked for 1.12
    assert high[2] / plain[2] == pytest.approx(1.0, abs=0.03)  # the words before: unchanged


@pytest.mark.parametrize("voice", ENGLISH)
def test_real_engines_words_carry_the_emphasis(voice):
    speech = synthesize_sentences(text_to_sentences(
        "<speak>I said <emphasis level='strong'>21</emphasis> apples, "
        "not <emphasis>Smith's</emphasis> pears.</speak>"), voice, "en")
    marked = {w.text.lower(): w.emphasis for w in speech.words if w.emphasis}
    assert marked == {"twenty-one": "strong", "smith's": "moderate"}


# ------------------------------------------------------------------- motion
def test_emphasised_words_always_nod_and_deeper_than_stress():
    times = np.arange(0, 4, 0.01)
    words = (Word("big", 0.5, 0.8, True), Word("red", 0.8, 1.1, True, "moderate"),
             Word("dog", 1.1, 1.4, True, "strong"), Word("ran", 2.5, 2.8, True),
             Word("off", 3.5, 3.8, True, "reduced"))
    pitch = nod_curve(words, times, np.random.default_rng(0), 3.0)

    def peak(start_s: float, end_s: float) -> float:
        return float(pitch[(times >= start_s) & (times < end_s)].max())

    assert peak(0, 0.75) == 0.0  # a stressed word just before an emphasised one gives way
    assert peak(0.75, 1.05) == pytest.approx(3.0 * EMPHASIS_NOD["moderate"], rel=0.02)
    assert peak(1.05, 2.0) == pytest.approx(3.0 * EMPHASIS_NOD["strong"], rel=0.02)
    assert 0.6 * 3.0 <= peak(2.0, 3.4) <= 3.0 < EMPHASIS_NOD["moderate"] * 3.0
    assert peak(3.4, 4.0) == 0.0  # reduced: no nod, even on a stressed word


def test_emphasis_nods_the_head_at_the_emphasised_word():
    speech = synthesize_sentences(text_to_sentences(
        "<speak>We walked along the water to the <emphasis level='strong'>river</emphasis> "
        "together.</speak>"), None, "en", engine=FakeEngine())
    # The same audio and timeline without the marks (the emphasised word is spoken
    # longer, so plain text would give another timeline and other head noise).
    unmarked = replace(speech, words=tuple(replace(w, emphasis="") for w in speech.words))
    nodding, plain = (build_motion_track(s, MotionOptions(seed=3)) for s in (speech, unmarked))
    river = next(w for w in speech.words if w.text == "river")
    assert river.emphasis == "strong"
    times = np.arange(nodding.n_frames) / nodding.fps
    dip = nodding.channels["pitch_deg"] - plain.channels["pitch_deg"]  # + = head down
    at = (times >= river.start_s - 0.05) & (times <= river.start_s + 0.6)
    assert dip[at].max() > 3.0
    # Nothing before the word, bar the head's inertia (~70 ms) rounding the nod's start.
    assert np.abs(dip[times < river.start_s - 0.3]).max() < 1e-6
    assert np.abs(dip[times < river.start_s - 0.1]).max() < 0.05
    assert times[np.argmax(dip)] == pytest.approx(river.start_s + 0.2, abs=0.15)
    again = motion_from_json(motion_to_json(nodding))
    assert [w.emphasis for w in again.words] == [w.emphasis for w in nodding.words]


def test_a_long_break_is_idle_motion_with_likely_blinks():
    speech = synthesize_sentences(text_to_sentences(
        "<speak>Here is a sentence for you to hear. <break time='3s'/> And here is another "
        "one that goes on.</speak>"), None, "en", engine=FakeEngine())
    before, after = next((a, b) for a, b in zip(speech.words, speech.words[1:])
                         if b.start_s - a.end_s > 2.9)
    blinked = 0
    for seed in range(20):
        track = build_motion_track(speech, MotionOptions(seed=seed))
        times = np.arange(track.n_frames) / track.fps
        head = np.stack([track.channels[k] for k in ("yaw_deg", "pitch_deg", "roll_deg")])
        speed = np.linalg.norm(np.diff(head, axis=1), axis=0) * track.fps  # deg/s
        pause = (times[1:] > before.end_s + 0.3) & (times[1:] < after.start_s - 0.3)
        talk = (times[1:] > speech.words[0].start_s) & (times[1:] < before.end_s)
        idle, speaking = (np.sqrt(np.mean(speed[m] ** 2)) for m in (pause, talk))
        assert 8 < idle < 0.8 * speaking  # calmer, never frozen
        assert track.channels["jaw_open"][1:][pause].max() < 0.02
        window = (times > before.end_s) & (times < after.start_s)
        blinked += track.channels["blink"][window].max() > 0.5
    assert blinked >= 12  # 15 of these 20 seeds blink in the 3 s pause


# ---------------------------------------------------------------- the CLI
def test_cli_says_ssml_and_refuses_bad_ssml(capsys, tmp_path):
    out, wav, motion = tmp_path / "x.mp4", tmp_path / "x.wav", tmp_path / "x.json"
    text = ("<speak>Hello <break time='1s'/> there, <emphasis level='strong'>friend"
            "</emphasis>!</speak>")
    code = main(["say", "demo", text, "-o", str(out), "--crop", "face", "--size", "128", "-q",
                 "--save-audio", str(wav), "--save-motion", str(motion)])
    assert code == 0 and out.stat().st_size > 5_000
    doc = json.loads(motion.read_text())
    words = {w[0].lower(): w for w in doc["words"]}
    assert words["friend"][4:] == ["strong"] and len(words["hello"]) == 4
    from facespeak.media.audio import read_audio

    samples, rate = read_audio(wav)
    speech = Speech(samples, rate, (), ())
    start, end = next((a, b) for a, b in quiet_runs(speech) if b - a >= 0.95 and a > 0.3)
    assert words["hello"][2] - 0.1 <= start and end <= words["there"][1] + 0.1
    bad = tmp_path / "bad.mp4"
    code = main(["say", "demo", "<speak>Hello <pause/></speak>", "-o", str(bad), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "<pause> at line 1, column 14" in err
    assert not bad.exists()
    assert main(["speak", "Hi <break time='1s'/> there", "--ssml", "-o",
                 str(tmp_path / "s.wav"), "-q"]) == 0
