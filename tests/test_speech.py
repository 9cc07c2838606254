import itertools
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy.signal import stft

from facespeak.errors import EngineFailed, EngineMissing, UnknownVoice, UnsupportedLanguage
from facespeak.speech import (
    EspeakEngine,
    FakeEngine,
    FestivalEngine,
    FliteEngine,
    Prosody,
    SpeechEngine,
    iter_speech,
    list_voices,
    resolve_voice,
    synthesize_sentences,
)
from facespeak.speech import voices as voices_module
from facespeak.speech.assemble import EDGE_SILENCE_S, TARGET_PEAK
from facespeak.speech.base import close_timeline, is_content_word
from facespeak.speech.espeak import ipa
from facespeak.speech.festival import parse_report
from facespeak.speech.flite import ARPABET_TO_IPA, parse_psdur, parse_t2p, spoken_tokens
from facespeak.speech.htsvoice import write_pitched_voice
from facespeak.speech.pitch import track_f0
from facespeak.text import normalize_text
from facespeak.types import Phone, Sentence, Speech

FLITE, ESPEAK, FESTIVAL = FliteEngine(), EspeakEngine(), FestivalEngine()
needs_flite = pytest.mark.skipif(not FLITE.available(), reason="flite is not installed")
needs_festival = pytest.mark.skipif(not FESTIVAL.voices(),
                                    reason="festival or festvox-us-slt-hts is not installed")
needs_espeak = pytest.mark.skipif(not ESPEAK.available(), reason="libespeak-ng is not installed")

PETER = "Peter picked a peck of pickled peppers, a cat sat upon a tiny pot."
STOPS = {"p", "t", "k", "b", "d", "ɡ"}
FRICATIVE_TEXTS = ("She sees a bossy sister passing seashells to us at the seaside.",
                   "Missus Sassy is so fussy, she sells lace and posies at the sea.")
NASAL_TEXTS = ("My mother made many more melons for me.", "No one knows nine new nannies.",
               "My name is Mary and I am new here.")


# ---------------------------------------------------------------- helpers
def assert_gap_free(speech: Speech) -> None:
    phones = speech.phones
    assert phones[0].start_s == 0.0
    assert phones[-1].end_s == pytest.approx(speech.duration_s, abs=1e-9)
    for a, b in itertools.pairwise(phones):
        assert a.end_s == pytest.approx(b.start_s, abs=1e-9)
        assert not (a.symbol == "" and b.symbol == ""), "silences should be merged"
    assert all(p.end_s > p.start_s for p in phones)
    assert all(0 <= w.start_s < w.end_s <= speech.duration_s + 1e-9 for w in speech.words)
    assert all(a.end_s <= b.start_s + 1e-9 for a, b in itertools.pairwise(speech.words))


def is_vowel(p: Phone) -> bool:
    return bool(p.symbol) and p.symbol[0] in "aeiouæɐɑɒɔəɚɛɜɝɪʊʌ"


def between_vowels(speech: Speech, symbols: set[str]):
    ph = speech.phones
    return [t for t in zip(ph, ph[1:], ph[2:], strict=False)
            if t[1].symbol in symbols and is_vowel(t[0]) and is_vowel(t[2])]


def envelope_db(speech: Speech, win_s: float = 0.005, hop_s: float = 0.001):
    rate = speech.sample_rate
    frames = np.lib.stride_tricks.sliding_window_view(speech.samples, int(win_s * rate))
    rms = np.sqrt((frames[::int(hop_s * rate)] ** 2).mean(1) + 1e-12)
    return 20 * np.log10(rms / rms.max()), np.arange(len(rms)) * hop_s + win_s / 2


def closure_centres_inside(speech: Speech, tolerance_s: float = 0.0) -> list[bool]:
    """For each stop between vowels: is the quietest moment inside the stop
    (widened by ``tolerance_s`` on both sides)?"""
    db, t = envelope_db(speech)
    out = []
    for prev, p, nxt in between_vowels(speech, STOPS):
        m = (t > (prev.start_s + p.start_s) / 2) & (t < (p.end_s + nxt.end_s) / 2)
        centre = t[m][np.argmin(db[m])]
        out.append(p.start_s - tolerance_s <= centre <= p.end_s + tolerance_s)
    return out


def band_db(speech: Speech, band: tuple[float, float]):
    n = int(speech.sample_rate * 0.008)
    f, t, z = stft(speech.samples, speech.sample_rate, nperseg=n,
                   noverlap=n - int(speech.sample_rate * 0.001), boundary=None, padded=False)
    p = np.abs(z) ** 2
    return 10 * np.log10(p[(f > band[0]) & (f < band[1])].sum(0) + 1e-12), t


def fricative_offset_ms(speeches: list[Speech]) -> float:
    """Systematic offset of /s ʃ/ labels vs where the hiss starts and stops
    (half-way crossings of the high/low band ratio); detector bias cancels
    between onsets and offsets."""
    onsets, offsets = [], []
    for s in speeches:
        hi, t = band_db(s, (3500, 11000))
        ratio = hi - band_db(s, (100, 1500))[0]
        for prev, p, nxt in between_vowels(s, {"s", "ʃ"}):
            mid = (p.start_s + p.end_s) / 2
            onsets.append(_crossing(ratio, t, (prev.start_s + p.start_s) / 2, mid) - p.start_s)
            offsets.append(_crossing(ratio, t, mid, (p.end_s + nxt.end_s) / 2) - p.end_s)
    assert len(onsets) >= 8
    return (np.median(onsets) + np.median(offsets)) / 2 * 1000


def _crossing(curve, t, a, b) -> float:
    seg, tt = curve[(t >= a) & (t <= b)], t[(t >= a) & (t <= b)]
    mid = (seg[0] + seg[-1]) / 2
    return float(tt[np.argmax(seg > mid) if seg[-1] > seg[0] else np.argmax(seg < mid)])


def quiet_share_of_pauses(speech: Speech) -> float:
    db, t = envelope_db(speech)
    inner = [(t > p.start_s) & (t < p.end_s) for p in speech.phones[1:-1] if not p.symbol]
    assert inner, "expected a pause inside the sentence"
    return float(np.mean(np.concatenate([db[m] < -35 for m in inner])))


# ------------------------------------------------------------------ flite
@needs_flite
@pytest.mark.parametrize("voice", ["rms", "slt", "awb"])
def test_flite_segment_times_end_with_its_audio(voice):
    samples, rate, segments, _ = FLITE._run(PETER, spoken_tokens(PETER), voice)
    assert abs(segments[-1].end_s - len(samples) / rate) < 0.010


@needs_flite
@pytest.mark.parametrize("voice", ["rms", "slt", "awb", "kal16"])
def test_flite_timeline_is_gap_free_ipa_and_spans_the_audio(voice):
    start = time.perf_counter()
    speech = FLITE.synthesize(PETER, voice, "en")
    assert speech.duration_s / (time.perf_counter() - start) > 3  # x real time
    assert_gap_free(speech)
    assert speech.sample_rate == 16000 and speech.samples.dtype == np.float32
    assert {p.symbol for p in speech.phones} <= set(ARPABET_TO_IPA.values()) | {""}
    assert [p.symbol for p in speech.phones[1:5]] == ["p", "i", "t", "ɝ"]
    assert (speech.engine, speech.voice, speech.language) == ("flite", voice, "en")


@needs_flite
@pytest.mark.parametrize("voice", ["rms", "awb", "kal16"])
def test_flite_stop_closures_fall_inside_their_stops(voice):
    inside = closure_centres_inside(FLITE.synthesize(PETER, voice, "en"))
    assert len(inside) >= 8 and all(inside)


@needs_flite
def test_flite_fricatives_and_pauses_line_up_with_the_audio():
    speeches = [FLITE.synthesize(t, "rms", "en") for t in FRICATIVE_TEXTS]
    assert abs(fricative_offset_ms(speeches)) < 10
    paused = FLITE.synthesize("Hello world, this is a test, and then we stop.", "rms", "en")
    assert quiet_share_of_pauses(paused) > 0.9


@needs_flite
def test_flite_words_follow_the_text_and_own_their_phones():
    speech = FLITE.synthesize("Hello world, the apple and the orange.", "rms", "en")
    assert [w.text for w in speech.words] == ["Hello", "world", "the", "apple", "and", "the",
                                              "orange"]
    starts = {p.start_s: p.symbol for p in speech.phones}
    assert [starts[w.start_s] for w in speech.words] == ["h", "w", "ð", "æ", "æ", "ð", "ɔ"]
    assert [w.stressed for w in speech.words] == [True, True, False, True, False, False, True]
    assert_gap_free(speech)


@needs_flite
def test_flite_keeps_a_sentence_with_inner_marks_on_one_time_axis():
    speech = FLITE.synthesize("Wait: what? Yes! Go now.", "rms", "en")
    assert [w.text for w in speech.words] == ["Wait", "what", "Yes", "Go", "now"]
    assert_gap_free(speech)
    assert parse_psdur("pau:0.1 a:0.3\npau:0.2 b:0.5")[-1].end_s == pytest.approx(0.8)


def test_flite_errors_name_the_problem():
    with pytest.raises(EngineMissing, match="apt-get install flite"):
        FliteEngine("no-such-flite-binary").synthesize("hi", "rms", "en")
    with pytest.raises(EngineFailed):
        FliteEngine("false").synthesize("hi", "rms", "en")  # exits 1
    if FLITE.available():
        with pytest.raises(UnknownVoice, match="rms"):
            FLITE.synthesize("hi", "nope", "en")


@needs_flite
def test_flite_words_own_exactly_their_phones():
    """Word boundaries fall on the right segment boundaries: each word's phones
    are its own pronunciation, also for letters read one by one."""
    speech = FLITE.synthesize("Peter picked a peck of pickled peppers, U S A.", "rms", "en")
    spoken = [("".join(p.symbol for p in speech.phones if w.start_s <= p.start_s < w.end_s))
              for w in speech.words]
    assert spoken == ["pitɝ", "pɪkt", "ə", "pɛk", "ʌv", "pɪkəld", "pɛpɝz", "ju", "ɛs", "eɪ"]
    assert parse_t2p("pau hh ax l ow1 pau w er1 l d pau") == [["hh", "ax", "l", "ow"],
                                                               ["w", "er", "l", "d"]]


@needs_flite
@pytest.mark.parametrize("voice", ["awb", "rms"])  # native pitch, and pitch.py
def test_flite_rate_and_pitch(voice):
    plain = FLITE.synthesize(PETER, voice, "en")
    fast = FLITE.synthesize(PETER, voice, "en", Prosody(rate=1.25))
    low = FLITE.synthesize(PETER, voice, "en", Prosody(pitch_scale=0.85))
    assert speaking_time(fast) / speaking_time(plain) == pytest.approx(0.8, abs=0.04)
    assert f0_ratio(plain, low) == pytest.approx(0.85, abs=0.02)
    assert [p.symbol for p in low.phones] == [p.symbol for p in plain.phones]
    assert all(closure_centres_inside(fast)) and all(closure_centres_inside(low))


def speaking_time(speech: Speech) -> float:
    return sum(p.end_s - p.start_s for p in speech.phones if p.symbol)


def f0_ratio(a: Speech, b: Speech) -> float:
    """Median frame-by-frame F0 ratio b / a (same timing), both voiced."""
    fa, fb = track_f0(a.samples, a.sample_rate), track_f0(b.samples, b.sample_rate)
    n = min(len(fa), len(fb))
    both = ~np.isnan(fa[:n]) & ~np.isnan(fb[:n])
    assert both.sum() > 50
    return float(np.median(fb[:n][both] / fa[:n][both]))


# --------------------------------------------------------------- festival
@needs_festival
def test_festival_timeline_is_gap_free_ipa_and_ends_with_its_audio():
    speech = FESTIVAL.synthesize(PETER, "slt-hts", "en")
    assert_gap_free(speech)
    assert speech.sample_rate == 32000 and speech.samples.dtype == np.float32
    assert {p.symbol for p in speech.phones} <= set(ARPABET_TO_IPA.values()) | {""}
    assert [p.symbol for p in speech.phones[1:5]] == ["p", "i", "t", "ɝ"]
    assert (speech.engine, speech.voice, speech.language) == ("festival", "slt-hts", "en")
    with FESTIVAL._lock:  # the raw report: its last segment ends where the audio does
        samples, rate, out = FESTIVAL._session.say("cmu_us_slt_arctic_hts", PETER, Prosody())
    assert abs(parse_report(out)[0][-1].end_s - len(samples) / rate) < 0.010


@needs_festival
def test_festival_stops_fricatives_and_pauses_line_up_with_the_audio():
    assert all(closure_centres_inside(FESTIVAL.synthesize(PETER, "slt-hts", "en")))
    speeches = [FESTIVAL.synthesize(t, "slt-hts", "en") for t in FRICATIVE_TEXTS]
    assert abs(fricative_offset_ms(speeches)) < 10
    paused = FESTIVAL.synthesize("Hello world, this is a test, and then we stop.", "slt-hts")
    assert quiet_share_of_pauses(paused) > 0.9


@needs_festival
def test_festival_speaks_on_after_its_process_crashes(monkeypatch):
    """Festival's HTS engine can segfault in a long-lived process (seen after
    many pitch-model switches): the sentence is spoken by a fresh process."""
    import os
    import signal

    from facespeak.speech import festival

    before = FESTIVAL.synthesize("Hello world.", "slt-hts", "en")
    say, crashes = festival._Session.say, []

    def crash_first(session, *args):
        if not crashes:  # the process dies while this sentence is on its way
            crashes.append(session.process._proc.pid)
            os.kill(session.process._proc.pid, signal.SIGSEGV)
            session.process._proc.wait(timeout=10)
        return say(session, *args)

    monkeypatch.setattr(festival._Session, "say", crash_first)
    again = FESTIVAL.synthesize("Hello world.", "slt-hts", "en")
    assert crashes and FESTIVAL._session.process._proc.pid != crashes[0]
    assert np.array_equal(again.samples, before.samples)


@needs_festival
def test_festival_words_follow_the_text_and_own_their_phones():
    speech = FESTIVAL.synthesize("Hello world, the twenty-one apples.", "slt-hts", "en")
    assert [(w.text, w.stressed) for w in speech.words] == [
        ("Hello", True), ("world", True), ("the", False), ("twenty-one", True), ("apples", True)]
    starts = {p.start_s: p.symbol for p in speech.phones}
    assert [starts[w.start_s] for w in speech.words] == ["h", "w", "ð", "t", "æ"]
    assert_gap_free(speech)


@needs_festival
def test_festival_serves_every_sentence_from_one_process():
    FESTIVAL.close()
    FESTIVAL.warm_up()  # starts the process the sentences then use
    process = FESTIVAL._session.process
    FESTIVAL.synthesize("One.", "slt-hts")
    for text in ("Two.", "Three, four.", "Five six seven."):
        FESTIVAL.synthesize(text, "slt-hts")
    assert FESTIVAL._session.process is process and process.alive()
    FESTIVAL.close()
    assert not process.alive()
    assert [w.text for w in FESTIVAL.synthesize("Eight.", "slt-hts").words] == ["Eight"]


@needs_festival
def test_festival_rate_and_pitch_are_native():
    plain = FESTIVAL.synthesize(PETER, "slt-hts")
    fast = FESTIVAL.synthesize(PETER, "slt-hts", prosody=Prosody(rate=1.25))
    assert speaking_time(fast) / speaking_time(plain) == pytest.approx(0.8, abs=0.03)
    for scale in (0.8, 1.25):
        shifted = FESTIVAL.synthesize(PETER, "slt-hts", prosody=Prosody(pitch_scale=scale))
        assert f0_ratio(plain, shifted) == pytest.approx(scale, abs=0.02)
        assert shifted.phones == plain.phones  # the model's durations are untouched
    wide = FESTIVAL.synthesize(PETER, "slt-hts", prosody=Prosody(pitch_range=1.5))
    log_spread = [np.nanstd(np.log(track_f0(s.samples, s.sample_rate))) for s in (plain, wide)]
    assert log_spread[1] / log_spread[0] == pytest.approx(1.5, abs=0.2)


def test_festival_errors_name_the_problem():
    missing = FestivalEngine("no-such-festival-binary")
    missing.warm_up()  # nothing to start: no error
    with pytest.raises(EngineMissing, match="apt-get install festival"):
        missing.synthesize("hi", "slt-hts", "en")
    if FESTIVAL.voices():
        with pytest.raises(UnknownVoice, match="slt-hts"):
            FESTIVAL.synthesize("hi", "nope", "en")


def test_pitch_moved_hts_voice_is_only_changed_in_its_log_f0_model(tmp_path):
    voice = tmp_path / "tiny.htsvoice"
    lf0 = np.array([5.0, 0.1, 0.01, 0.04, 0.001, 0.002, 0.9,    # voiced: means, vars, weight
                    4.0, 0.2, 0.02, 0.05, 0.003, 0.004, 0.1], "<f4")
    gv = np.array([0.008, 6e-6], "<f4")
    data = (b"XXXX" + np.array([2], "<i4").tobytes() + lf0.tobytes()
            + np.array([1], "<i4").tobytes() + gv.tobytes())
    pdf_end, gv_start = 4 + 4 + lf0.nbytes - 1, 4 + 4 + lf0.nbytes
    header = (f"[GLOBAL]\nNUM_STATES:1\n[STREAM]\nVECTOR_LENGTH[LF0]:1\nIS_MSD[LF0]:1\n"
              f"NUM_WINDOWS[LF0]:3\nUSE_GV[LF0]:1\n[POSITION]\nSTREAM_PDF[LF0]:4-{pdf_end}\n"
              f"GV_PDF[LF0]:{gv_start}-{len(data) - 1}\n[DATA]\n").encode()
    voice.write_bytes(header + data)
    moved = tmp_path / "moved.htsvoice"
    write_pitched_voice(voice, moved, pitch_scale=0.8, pitch_range=2.0)
    raw = moved.read_bytes()
    assert raw[:len(header) + 4] == voice.read_bytes()[:len(header) + 4]
    pdfs = np.frombuffer(raw, "<f4", 14, len(header) + 8).reshape(2, 7)
    centre = 5.0  # the voiced pdfs' mean log F0
    assert pdfs[0, 0] == pytest.approx(centre + np.log(0.8), abs=1e-6)
    assert pdfs[1, 0] == pytest.approx(centre + 2 * (4.0 - centre) + np.log(0.8), abs=1e-6)
    assert np.allclose(pdfs[:, 1:3], lf0.reshape(2, 7)[:, 1:3] * 2)
    assert np.allclose(pdfs[:, 3:6], lf0.reshape(2, 7)[:, 3:6] * 4)
    assert np.array_equal(pdfs[:, 6], lf0.reshape(2, 7)[:, 6])
    moved_gv = np.frombuffer(raw, "<f4", 2, len(header) + gv_start + 4)
    assert np.allclose(moved_gv, gv * [4, 16])


# ----------------------------------------------------------------- espeak
@needs_espeak
def test_espeak_lists_its_languages_and_variants():
    names = {v.name for v in ESPEAK.voices()}
    assert len(names) > 100 and {"de", "en-us", "cmn", "fr"} <= names
    assert "f3" in {v.name for v in ESPEAK.variants()}
    assert ESPEAK.voice_for_language("zh") == "cmn-latn-pinyin"
    assert ESPEAK.voice_for_language("de-AT") == "de"
    assert ESPEAK.voice_for_language("xx") is None


@needs_espeak
def test_espeak_stop_closures_start_exactly_at_the_stop():
    speech = ESPEAK.synthesize(PETER, "en-us", "en")
    assert_gap_free(speech)
    x, rate = speech.samples, speech.sample_rate
    closures = 0
    for _, p, _ in between_vowels(speech, {"p", "t", "k"}):
        a = round(p.start_s * rate)
        if x[a] == 0.0:  # voiceless stops start with digital silence
            assert x[a - 1] != 0.0, "the closure's silence began before the stop"
            closures += 1
    assert closures >= 6
    assert all(closure_centres_inside(speech))


@needs_espeak
def test_espeak_vowels_start_at_the_nasal_release():
    speeches = [ESPEAK.synthesize(t, "en-us", "en") for t in NASAL_TEXTS]
    errors = []
    for s in speeches:
        band, t = band_db(s, (1000, 4000))
        for prev, p in itertools.pairwise(s.phones):
            if is_vowel(p) and prev.symbol in ("m", "n"):
                m = (t > (prev.start_s + p.start_s) / 2) & (t < (p.start_s + p.end_s) / 2)
                slope = np.convolve(np.diff(band[m]), np.ones(5) / 5, mode="same")
                errors.append(t[m][np.argmax(slope)] - p.start_s)
    assert len(errors) >= 10 and abs(np.median(errors)) < 0.010


@needs_espeak
def test_espeak_fricatives_line_up_with_the_audio():
    speeches = [ESPEAK.synthesize(t, "en-us", "en") for t in FRICATIVE_TEXTS]
    assert abs(fricative_offset_ms(speeches)) < 5


@needs_espeak
def test_espeak_words_come_from_the_text():
    speech = ESPEAK.synthesize("Grüße aus München, 123 Äpfel.", "de", "de")
    assert [w.text for w in speech.words] == ["Grüße", "aus", "München", "123", "Äpfel"]
    assert_gap_free(speech)
    english = ESPEAK.synthesize("Hello world, the apple.", "en-us", "en")
    assert [(w.text, w.stressed) for w in english.words] == [
        ("Hello", True), ("world", True), ("the", False), ("apple", True)]


@needs_espeak
def test_mandarin_reads_hanzi_as_mandarin():
    engine, voice, language = resolve_voice(None, "cmn")
    speech = engine.synthesize("你好，世界。", voice, language)
    assert [w.text for w in speech.words] == ["你", "好", "世", "界"]
    symbols = {p.symbol for p in speech.phones}
    assert "n" in symbols and not symbols & {"θ", "ɹ"}  # not "ni three" in English
    assert not any(set(s) & set(".^#(") for s in symbols)


@needs_espeak
def test_espeak_is_safe_to_call_repeatedly_and_from_threads():
    texts = [("Good morning to you.", "en-us", "en"), ("Guten Morgen.", "de+f3", "de"),
             ("Bonjour à tous.", "fr", "fr")] * 8
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda a: ESPEAK.synthesize(*a), texts))
    for speech, (text, _, _) in zip(results, texts, strict=True):
        assert_gap_free(speech)
        assert [w.text for w in speech.words] == [t.strip(".") for t in text.split()]
    lengths = [s.duration_s for s in results[::3]]
    assert max(lengths) - min(lengths) < 0.1  # state between calls shifts a few ms


@needs_espeak
def test_espeak_unknown_voices_are_refused():
    for voice in ("xx-nope", "de+nope"):
        with pytest.raises(UnknownVoice):
            ESPEAK.synthesize("hallo", voice, "de")


def test_espeak_ipa_marks_are_fixed():
    assert [ipa(n) for n in ("s.", "tɕh", "n^", "l#", "ph", "a", "tʃ", "h")] == [
        "ʂ", "tɕʰ", "ɲ", "l̥", "pʰ", "a", "tʃ", "h"]


# ----------------------------------------------------------------- voices
@needs_flite
def test_default_english_voice_is_the_most_intelligible_installed(monkeypatch):
    engine, voice, language = resolve_voice(None, None)
    best = ("festival", "slt-hts") if FESTIVAL.voices() else ("flite", "rms")
    assert (engine.name, voice, language) == (*best, "en")
    if FESTIVAL.voices():
        assert resolve_voice("slt-hts", None)[0] is voices_module.FESTIVAL
    monkeypatch.setattr(voices_module.FESTIVAL, "binary", "no-such-festival-binary")
    assert resolve_voice(None, "en")[:2] == (voices_module.FLITE, "rms")


@needs_flite
def test_flite_voices_resolve_by_name():
    assert resolve_voice("flite:slt", "en")[1:] == ("slt", "en")
    assert resolve_voice("awb", None)[1:] == ("awb", "en")
    with pytest.raises(UnsupportedLanguage, match="speaks en"):
        resolve_voice("rms", "de")


@needs_espeak
def test_other_languages_go_to_espeak():
    assert [resolve_voice(*a)[1:] for a in [(None, "de"), ("espeak:de+f3", None), ("de", None),
                                             (None, "zh"), ("espeak-ng:en-us", "en")]] == [
        ("de", "de"), ("de+f3", "de"), ("de", "de"), ("cmn-latn-pinyin", "zh"), ("en-us", "en")]
    assert isinstance(resolve_voice(None, "de")[0], SpeechEngine)


@needs_espeak
def test_unknown_voice_and_language_errors_are_one_short_line():
    for args, error in [(("nope", None), UnknownVoice), (("foo:bar", None), UnknownVoice),
                        ((None, "xx"), UnsupportedLanguage), (("de", "fr"), UnsupportedLanguage)]:
        with pytest.raises(error) as err:
            resolve_voice(*args)
        message = str(err.value)
        assert "\n" not in message and len(message) < 400
    with pytest.raises(UnknownVoice) as err:
        resolve_voice("nope", None)
    assert "in all)" in str(err.value) and "de" in str(err.value)


def test_missing_engines_fall_back_or_say_what_to_install(monkeypatch):
    engines = {v.engine for v in list_voices()}
    assert engines == {e.name for e in (FESTIVAL, FLITE, ESPEAK) if e.available()}
    monkeypatch.setattr(voices_module.FESTIVAL, "binary", "no-such-festival-binary")
    monkeypatch.setattr(voices_module.FLITE, "binary", "no-such-flite-binary")
    with pytest.raises(EngineMissing, match="flite"):
        resolve_voice("flite:rms", None)
    if ESPEAK.available():
        assert resolve_voice(None, "en")[0] is voices_module.ESPEAK



# --------------------------------------------------------------- assembly
def fake_sentences() -> list[Sentence]:
    return [Sentence("papa mama, bob", 0.45), Sentence("tim sat", 0.3)]


def test_fake_engine_is_deterministic():
    a, b = (FakeEngine().synthesize("papa mama, bob") for _ in range(2))
    assert np.array_equal(a.samples, b.samples) and a.phones == b.phones and a.words == b.words
    assert_gap_free(a)


def test_sentences_join_with_lead_in_pauses_and_tail():
    speech = synthesize_sentences(fake_sentences(), None, None, sample_rate=22050,
                                  lead_in_s=0.3, tail_s=0.4, engine=FakeEngine())
    assert_gap_free(speech)
    assert speech.sample_rate == 22050 and speech.engine == "fake"
    silences = [p.end_s - p.start_s for p in speech.phones if not p.symbol]
    assert speech.phones[0].end_s == pytest.approx(0.3 + EDGE_SILENCE_S, abs=1e-3)
    assert max(silences[1:-1]) == pytest.approx(0.45 + 2 * EDGE_SILENCE_S, abs=2e-3)
    assert silences[-1] == pytest.approx(0.4 + EDGE_SILENCE_S, abs=2e-3)
    assert [w.text for w in speech.words] == ["papa", "mama", "bob", "tim", "sat"]
    assert np.max(np.abs(speech.samples)) == pytest.approx(TARGET_PEAK, abs=1e-4)


@pytest.mark.parametrize("rate", [22050, 24000, 16000])
def test_timeline_still_matches_audio_after_resampling_and_joining(rate):
    """The fake engine's vowels are the loudest sound, its silences and stop
    closures digital zero: after resampling, trimming and joining, each must
    still sit where the timeline says, to within 2 ms."""
    speech = synthesize_sentences(fake_sentences(), None, None, sample_rate=rate,
                                  engine=FakeEngine())
    x, margin = np.abs(speech.samples), int(0.002 * rate)

    def span(a: float, b: float) -> np.ndarray:
        return x[int(a * rate) + margin:int(b * rate) - margin]

    for p in speech.phones:
        if p.symbol in ("a", "i"):
            loud = np.flatnonzero(x[int(p.start_s * rate) - 2 * margin:] > 0.5)[0]
            assert abs(loud - 2 * margin) <= margin, f"{p} starts {loud - 2 * margin} samples off"
            assert np.mean(span(p.start_s, p.end_s) > 0.5) > 0.9
        elif p.symbol == "":
            assert span(p.start_s, p.end_s).max() < 1e-3
        elif p.symbol in ("p", "b", "t"):
            assert span(p.start_s, p.start_s + 0.6 * (p.end_s - p.start_s)).max() < 1e-3


def test_iter_speech_yields_each_sentence_with_its_pause():
    pieces = list(iter_speech(fake_sentences(), "tone", "en", engine=FakeEngine()))
    assert len(pieces) == 2
    for piece, sentence in zip(pieces, fake_sentences(), strict=True):
        assert_gap_free(piece)
        tail = piece.phones[-1]
        assert tail.symbol == "" and tail.end_s - tail.start_s >= sentence.pause_after_s


@pytest.mark.skipif(not (FLITE.available() or FESTIVAL.available()),
                    reason="neither festival nor flite is installed")
def test_real_sentences_keep_stop_closures_inside_stops_after_joining():
    sentences = normalize_text("Hello there. " + PETER)
    speech = synthesize_sentences(sentences, None, None)
    assert_gap_free(speech)
    assert speech.sample_rate == 22050 and speech.voice == resolve_voice(None, None)[1]
    # The default voice may be a shaped one (slt-hts has lower formants): the
    # shaped voices' criterion (tests/test_speech_shape.py) holds.
    assert np.mean(closure_centres_inside(speech, tolerance_s=0.010)) >= 0.9
    assert [w.text for w in speech.words][:3] == ["Hello", "there", "Peter"]
    assert speech.phones[0].end_s == pytest.approx(0.3 + EDGE_SILENCE_S, abs=0.01)


@needs_espeak
def test_espeak_sentences_join_into_one_timeline():
    sentences = normalize_text("Guten Morgen. Wie geht es dir?", "de")
    speech = synthesize_sentences(sentences, None, "de")
    assert_gap_free(speech)
    assert [w.text for w in speech.words] == ["Guten", "Morgen", "Wie", "geht", "es", "dir"]
    assert (speech.engine, speech.language) == ("espeak", "de")


# ------------------------------------------------------------------- base
def test_close_timeline_fills_gaps_clips_and_merges_silence():
    phones = [Phone("a", 0.1, 0.2), Phone("", 0.2, 0.3), Phone("", 0.3, 0.35),
              Phone("b", 0.34, 0.5), Phone("c", 0.5, 0.9)]
    assert close_timeline(phones, 0.6) == (
        Phone("", 0.0, 0.1), Phone("a", 0.1, 0.2), Phone("", 0.2, 0.35), Phone("b", 0.35, 0.5),
        Phone("c", 0.5, 0.6))
    assert close_timeline([], 1.0) == (Phone("", 0.0, 1.0),)


def test_content_words():
    assert [is_content_word(w, "en") for w in ("the", "Apple", "and", "ran", "42", "...")] == [
        False, True, False, True, True, False]
    assert is_content_word("Häuser", "de") and not is_content_word("der", "de")
    assert is_content_word("世界", "cmn") and not is_content_word("的", "cmn")


@needs_espeak
def test_espeak_starts_once_when_threads_ask_at_the_same_moment():
    """`say` lists voices in two threads at once; two first calls used to start
    libespeak-ng twice, which crashes the process."""
    script = ("import threading; from facespeak.speech import espeak\n"
              "gate = threading.Barrier(4)\n"
              "def start(): gate.wait(); espeak._library()\n"
              "threads = [threading.Thread(target=start) for _ in range(4)]\n"
              "[t.start() for t in threads]; [t.join() for t in threads]\n"
              "print(espeak._library().sample_rate)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert int(done.stdout) > 0


def test_prefetched_keeps_order_and_stays_a_few_items_ahead():
    from facespeak.speech.assemble import prefetched

    started: list[int] = []

    def slow_square(k: int) -> int:
        started.append(k)
        time.sleep(0.02 * (k % 3))  # later items may finish first
        return k * k

    results = prefetched(slow_square, list(range(12)), ahead=2)
    assert next(results) == 0
    assert len(started) <= 3  # not the whole list at once: memory stays flat
    assert list(results) == [k * k for k in range(1, 12)]


def test_prefetched_raises_the_failing_items_error():
    from facespeak.speech.assemble import prefetched

    def fail_on_three(k: int) -> int:
        if k == 3:
            raise UnknownVoice("no such voice")
        return k

    with pytest.raises(UnknownVoice):
        list(prefetched(fail_on_three, list(range(6)), ahead=2))
