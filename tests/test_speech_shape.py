"""Applying a VoiceParams: pitch (TD-PSOLA and engine controls), formants
(resampling), rate; the timelines must still fit the audio afterwards."""

import numpy as np
import pytest
from scipy.linalg import solve_toeplitz
from scipy.signal import lfilter, resample_poly, welch

from facespeak.errors import FacespeakInputError
from facespeak.speech import FakeEngine, iter_speech, synthesize_sentences
from facespeak.speech.pitch import shift_pitch, track_f0
from facespeak.speech.shape import check_voice_params, engine_prosody, scale_formants
from facespeak.speech.voices import FESTIVAL, FLITE
from facespeak.text import normalize_text
from facespeak.types import Sentence, VoiceParams
from tests.test_speech import (
    FRICATIVE_TEXTS,
    PETER,
    assert_gap_free,
    closure_centres_inside,
    f0_ratio,
    fricative_offset_ms,
    is_vowel,
    speaking_time,
)

RATE = 16000
ENGLISH = [pytest.param("festival:slt-hts", marks=pytest.mark.skipif(
               not FESTIVAL.voices(), reason="festival's HTS voice is not installed")),
           pytest.param("flite:rms", marks=pytest.mark.skipif(
               not FLITE.available(), reason="flite is not installed"))]
FACE_LIKE = (VoiceParams(formant_scale=0.9, pitch_scale=0.85),
             VoiceParams(formant_scale=1.12, pitch_scale=1.2), VoiceParams(rate=1.25))


def vowel(f0_hz: float, seconds: float = 1.0) -> np.ndarray:
    """A glottal pulse train through two formant resonators (700, 1200 Hz)."""
    n = int(seconds * RATE)
    pulses = np.zeros(n)
    pulses[(np.arange(0, seconds, 1 / f0_hz) * RATE).astype(int)] = 1.0
    x = pulses
    for formant in (700.0, 1200.0):
        r, theta = np.exp(-np.pi * 80 / RATE), 2 * np.pi * formant / RATE
        x = lfilter([1.0], [1.0, -2 * r * np.cos(theta), r * r], x)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def envelope_peak_hz(x: np.ndarray, rate: int, band: tuple[float, float]) -> float:
    f, p = welch(x, rate, nperseg=2048)
    cepstrum = np.fft.irfft(np.log(p + 1e-12))
    cepstrum[30:-30] = 0.0  # keep the envelope, drop the harmonics
    smooth = np.fft.rfft(cepstrum).real
    inside = (f > band[0]) & (f < band[1])
    return float(f[inside][np.argmax(smooth[inside])])


def formant_ratio(plain, shaped) -> float:
    """Median over long vowels (same phone sequence in both) of the shaped
    voice's F1 and F2 over the plain voice's (LPC at the vowel's centre)."""
    ratios = []
    for a, b in zip(plain.phones, shaped.phones, strict=True):
        assert a.symbol == b.symbol
        if is_vowel(a) and a.end_s - a.start_s > 0.06:
            fa, fb = lpc_formants(plain, a), lpc_formants(shaped, b)
            if len(fa) >= 2 and len(fb) >= 2:
                ratios += [fb[0] / fa[0], fb[1] / fa[1]]
    assert len(ratios) >= 10
    return float(np.median(ratios))


def lpc_formants(speech, phone, order: int = 14) -> list[float]:
    rate, centre = speech.sample_rate, (phone.start_s + phone.end_s) / 2
    x = speech.samples[int((centre - 0.015) * rate):int((centre + 0.015) * rate)].astype(float)
    x = np.append(x[0], x[1:] - 0.97 * x[:-1]) * np.hamming(len(x))
    r = np.correlate(x, x, "full")[len(x) - 1:len(x) + order]
    roots = np.roots(np.r_[1.0, solve_toeplitz(r[:order], -r[1:order + 1])])
    roots = roots[np.imag(roots) > 0]
    hz, bandwidth = np.angle(roots) * rate / (2 * np.pi), -np.log(np.abs(roots)) * rate / np.pi
    return sorted(hz[(hz > 200) & (bandwidth < 400)])


# ------------------------------------------------------------------ pitch
def test_f0_track_finds_the_pulse_rate_and_no_pitch_in_noise():
    f0 = track_f0(vowel(123.0), RATE)
    assert np.nanmedian(f0) == pytest.approx(123.0, rel=0.01)
    assert np.mean(np.isnan(f0)) < 0.1
    noise = np.random.default_rng(0).standard_normal(RATE).astype(np.float32) * 0.3
    assert np.mean(np.isnan(track_f0(noise, RATE))) > 0.9


@pytest.mark.parametrize("scale", [0.8, 1.25])
def test_psola_moves_f0_and_keeps_formants_and_length(scale):
    x = vowel(110.0)
    y = shift_pitch(x, RATE, scale)
    assert len(y) == len(x)
    assert np.nanmedian(track_f0(y, RATE)) == pytest.approx(110.0 * scale, rel=0.02)
    for band in ((400.0, 950.0), (950.0, 1600.0)):  # each formant stays where it was
        assert envelope_peak_hz(y, RATE, band) == pytest.approx(
            envelope_peak_hz(x, RATE, band), rel=0.08)
    assert shift_pitch(x, RATE, 1.0, 1.0) is x


@pytest.mark.skipif(not FLITE.available(), reason="flite is not installed")
def test_psola_pitch_range_widens_intonation_on_real_speech():
    speech = FLITE.synthesize(PETER, "rms", "en")
    wide = shift_pitch(speech.samples, speech.sample_rate, 1.0, 1.5)
    before, after = (np.log(track_f0(x, speech.sample_rate)) for x in (speech.samples, wide))
    both = ~np.isnan(before) & ~np.isnan(after)
    slope = np.polyfit(before[both] - before[both].mean(), after[both] - after[both].mean(), 1)[0]
    assert slope == pytest.approx(1.5, abs=0.25)


# --------------------------------------------------------------- formants
def test_formant_scaling_reads_the_samples_faster_and_scales_the_timeline_exactly():
    speech = FakeEngine().synthesize("papa mama, bob")
    scaled = scale_formants(speech, 1.12)
    k = scaled.sample_rate / speech.sample_rate
    assert scaled.sample_rate == 17900 and k == pytest.approx(1.12, abs=0.003)
    assert np.array_equal(scaled.samples, speech.samples)
    assert [p.start_s * k for p in scaled.phones] == pytest.approx(
        [p.start_s for p in speech.phones])
    assert [w.end_s * k for w in scaled.words] == pytest.approx([w.end_s for w in speech.words])
    assert_gap_free(scaled)
    assert engine_prosody(VoiceParams(formant_scale=1.25, pitch_scale=1.5, rate=0.75)) \
        .__dict__ == pytest.approx({"rate": 0.6, "pitch_scale": 1.2, "pitch_range": 1.0})


@pytest.mark.parametrize("voice", ENGLISH)
def test_formant_scale_moves_the_envelope_but_not_pitch_or_timing(voice):
    sentences = normalize_text(PETER + " Father saw a large car. He sees me eat beef.")
    plain = synthesize_sentences(sentences, voice, None)
    for k in (0.9, 1.12):
        shaped = synthesize_sentences(sentences, VoiceParams(voice, formant_scale=k), None)
        assert formant_ratio(plain, shaped) == pytest.approx(k, abs=0.04)
        assert f0_ratio(plain, shaped) == pytest.approx(1.0, abs=0.04)
        assert speaking_time(shaped) / speaking_time(plain) == pytest.approx(1.0, abs=0.04)


# ------------------------------------------------------------ the timeline
@pytest.mark.parametrize("voice", ENGLISH)
@pytest.mark.parametrize("shaping", FACE_LIKE, ids=["lower", "higher", "faster"])
def test_shaped_timelines_still_fit_the_audio(voice, shaping):
    params = VoiceParams(voice, shaping.pitch_scale, shaping.pitch_range,
                         shaping.formant_scale, shaping.rate)
    stops = synthesize_sentences(normalize_text(PETER + " " + PETER), params, None)
    assert_gap_free(stops)
    # (a flapped /t/ in "sat upon" can be louder than the weak vowel after it)
    assert np.mean(closure_centres_inside(stops, tolerance_s=0.010)) >= 0.9
    fricatives = [synthesize_sentences(normalize_text(t), params, None) for t in FRICATIVE_TEXTS]
    assert abs(fricative_offset_ms(fricatives)) < 10


@pytest.mark.parametrize("voice", ENGLISH)
def test_pitch_and_rate_come_out_as_asked_after_formant_scaling(voice):
    sentences = normalize_text(PETER)
    plain = synthesize_sentences(sentences, voice, None)
    shaped = synthesize_sentences(
        sentences, VoiceParams(voice, pitch_scale=1.2, formant_scale=1.12, rate=1.1), None)
    assert median_f0(shaped) / median_f0(plain) == pytest.approx(1.2, abs=0.05)
    assert speaking_time(shaped) / speaking_time(plain) == pytest.approx(1 / 1.1, abs=0.04)


def median_f0(speech) -> float:
    return float(np.nanmedian(track_f0(speech.samples, speech.sample_rate)))


# --------------------------------------------------------------- assembly
def test_iter_speech_applies_voice_params_one_sentence_at_a_time():
    sentences = [Sentence("papa mama", 0.2), Sentence("tim sat", 0.3)]
    plain = list(iter_speech(sentences, "tone", "en", engine=FakeEngine()))
    fast = iter_speech(sentences, VoiceParams("tone", rate=2.0, pitch_scale=1.5), "en",
                       engine=FakeEngine())
    first = next(fast)  # streams: the second sentence is not spoken yet
    pieces = [first, *fast]
    for a, b in zip(plain, pieces, strict=True):
        assert speaking_time(b) / speaking_time(a) == pytest.approx(0.5, abs=0.01)
        assert [w.text for w in b.words] == [w.text for w in a.words]
    buzz = resample_poly(pieces[0].samples, 16000, 22050)
    assert np.nanmedian(track_f0(buzz, 16000)) == pytest.approx(225.0, rel=0.03)


def test_voice_params_out_of_range_are_refused_with_the_name():
    with pytest.raises(FacespeakInputError, match="pitch scale must be between 0.5 and 2"):
        check_voice_params(VoiceParams(pitch_scale=3.0))
    with pytest.raises(FacespeakInputError, match="formant scale"):
        list(iter_speech([Sentence("papa", 0.0)], VoiceParams("tone", formant_scale=2.0), "en",
                         engine=FakeEngine()))
    check_voice_params(VoiceParams(pitch_scale=0.85, formant_scale=1.12, rate=1.2))


@pytest.mark.skipif(not FESTIVAL.voices(), reason="festival's HTS voice is not installed")
def test_slt_hts_is_spoken_with_lower_formants_because_it_is_heard_better():
    from facespeak.evaluate.intelligibility import corpus_word_error_rate, recognize
    from facespeak.speech.shape import VOICE_FORMANT_SCALE
    from facespeak.text.harvard import HARVARD_SENTENCES

    base = VOICE_FORMANT_SCALE[("festival", "slt-hts")]
    assert base < 1.0

    def wer(params: VoiceParams) -> float:
        spoken = (synthesize_sentences([Sentence(text, 0.0)], params, "en")
                  for text in HARVARD_SENTENCES)
        return corpus_word_error_rate(HARVARD_SENTENCES,
                                      [recognize(s.samples, s.sample_rate) for s in spoken])

    ours = wer(VoiceParams("festival:slt-hts"))
    own_formants = wer(VoiceParams("festival:slt-hts", formant_scale=1 / base))
    assert ours < own_formants - 0.05, (ours, own_formants)  # 19.2 % against 31.2 %
