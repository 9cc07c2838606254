"""--voice-ref: the voice profile of a recording, conversion toward it, and the
speaker distance that judges it."""

import wave

import numpy as np
import pytest

from facespeak.errors import BadVoiceReference, FacespeakInputError
from facespeak.media.audio import read_audio, write_wav
from facespeak.speech import FliteEngine, synthesize_sentences
from facespeak.text import normalize_text
from facespeak.types import VoiceParams
from facespeak.voice.convert import convert_speech, filter_by_envelope, warp_envelope
from facespeak.voice.distance import speaker_distance, speaker_distance_parts
from facespeak.voice.reference import (
    load_voice_profile,
    voice_params_for,
    voice_profile_from_samples,
)

needs_flite = pytest.mark.skipif(not FliteEngine().available(), reason="flite is not installed")
RATE = 16000
TEXT_A = ("A king ruled the state in the early days. The ship was torn apart on the sharp reef. "
          "Sickness kept him home the third week. The wide road shimmered in the hot sun.")
TEXT_B = ("The lazy cow lay in the cool grass. Lift the square stone over the fence. "
          "The rope will bind the seven books at once. Hop over the fence and plunge in.")


def speak(text: str, voice: str, params: VoiceParams | None = None):
    shaped = params or VoiceParams()
    return synthesize_sentences(normalize_text(text), VoiceParams(
        voice=f"flite:{voice}", pitch_scale=shaped.pitch_scale, pitch_range=shaped.pitch_range,
        rate=shaped.rate), "en", RATE)


@pytest.fixture(scope="module")
def male():
    return speak(TEXT_A, "kal16")


@pytest.fixture(scope="module")
def female():
    return speak(TEXT_A, "slt")


def semitones(a_hz: float, b_hz: float) -> float:
    return 12 * abs(np.log2(a_hz / b_hz))


def median_f0(samples: np.ndarray, rate: int) -> float:
    from facespeak.voice.analysis import to_analysis_rate, track_f0

    f0 = track_f0(to_analysis_rate(samples, rate))
    return float(np.median(f0[f0 > 0]))


# ------------------------------------------------------------------ profile
@needs_flite
def test_profile_measures_pitch_and_tells_male_from_female(male, female):
    low = voice_profile_from_samples(male.samples, male.sample_rate, "kal16")
    high = voice_profile_from_samples(female.samples, female.sample_rate, "slt")
    assert 70 < low.f0_hz < 110 and 140 < high.f0_hz < 200
    assert (low.gender, high.gender) == ("male", "female")
    assert low.vocal_tract_cm > high.vocal_tract_cm
    assert 5 < low.speech_s <= male.duration_s and low.warnings == ()
    assert 2.0 < low.syllable_rate_hz < 8.0
    assert low.cepstrum_mean.shape == low.cepstrum_std.shape == (40,)


@needs_flite
def test_profile_is_the_same_from_any_format_rate_and_channel_count(male, tmp_path):
    from scipy.signal import resample_poly

    stereo = tmp_path / "stereo_44k.wav"
    up = resample_poly(male.samples, 441, 160)
    pcm = np.round(np.clip(np.stack([up, 0.5 * up], axis=1), -1, 1) * 32767).astype("<i2")
    with wave.open(str(stereo), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(pcm.tobytes())
    mono = tmp_path / "mono_16k.wav"
    write_wav(mono, male.samples, RATE)
    a, b = load_voice_profile(mono), load_voice_profile(stereo)
    assert b.name == "stereo_44k.wav"
    assert semitones(a.f0_hz, b.f0_hz) < 0.3
    assert abs(a.speech_s - b.speech_s) < 0.3
    assert np.abs(a.cepstrum_mean[1:] - b.cepstrum_mean[1:]).max() < 0.1


def music(seconds: float = 6.0, gap_s: float = 0.0) -> np.ndarray:
    """Held harmonic notes with a little vibrato, as an instrument or a singer
    holds them, with ``gap_s`` of silence after each."""
    rng = np.random.default_rng(1)
    notes = []
    while sum(map(len, notes)) < seconds * RATE:
        t = np.arange(int(rng.choice([0.4, 0.8, 1.2]) * RATE)) / RATE
        f = 220 * 2 ** (rng.integers(0, 12) / 12) * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
        phase = 2 * np.pi * np.cumsum(f) / RATE
        tone = sum(np.sin(k * phase) / k for k in range(1, 10)) * np.minimum(1, t / 0.03)
        notes += [tone * np.minimum(1, (t[-1] - t) / 0.05), np.zeros(int(gap_s * RATE))]
    return (0.3 * np.concatenate(notes)[:int(seconds * RATE)]).astype(np.float32)


@needs_flite
@pytest.mark.parametrize("case, message", [
    ("missing", "not found"),
    ("corrupt", "cannot read audio"),
    ("silence", "is silent"),
    ("short", r"1\.\d s of speech; at least 2 s"),
    ("music", "sounds like music"),
    ("song", "music or singing"),
    ("noise", "sounds like noise"),
    ("nan", "invalid"),
])
def test_bad_references_get_one_clear_line(case, message, male, tmp_path):
    path = tmp_path / f"{case}.wav"
    rng = np.random.default_rng(0)
    if case == "corrupt":
        path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + rng.bytes(300))
    elif case == "nan":
        samples = male.samples.copy()
        samples[100] = np.nan
        with pytest.raises(BadVoiceReference, match=message):
            voice_profile_from_samples(samples, RATE, "nan.wav")
        return
    elif case != "missing":
        audio = {"silence": np.zeros(5 * RATE, np.float32),
                 "short": male.samples[:int(2.0 * RATE)],
                 "music": music(),
                 "song": music(gap_s=0.3),
                 "noise": (0.1 * rng.standard_normal(5 * RATE)).astype(np.float32)}[case]
        write_wav(path, audio, RATE)
    with pytest.raises(BadVoiceReference, match=message) as caught:
        load_voice_profile(path)
    assert isinstance(caught.value, FacespeakInputError)
    assert "\n" not in str(caught.value)


@needs_flite
def test_usable_but_poor_references_load_with_a_warning(male):
    rng = np.random.default_rng(0)
    x = male.samples
    noisy = x + rng.standard_normal(len(x)).astype(np.float32) * np.sqrt(np.mean(x ** 2)) / 3
    clipped = np.clip(x * 6, -1, 1)
    cases = {"noisy": (noisy, RATE), "clipped": (clipped, RATE), "4 kHz": (x[::2], RATE // 2)}
    for word, (samples, rate) in cases.items():
        profile = voice_profile_from_samples(samples, rate)
        assert any(word in w for w in profile.warnings), (word, profile.warnings)
        assert semitones(profile.f0_hz, 90) < 4  # still the voice's pitch


# ----------------------------------------------------------------- distance
@needs_flite
def test_speaker_distance_is_small_within_a_voice_and_large_across(male, female):
    other_text_male = speak(TEXT_B, "kal16")
    same = speaker_distance(male.samples, RATE, other_text_male.samples, RATE)
    across = speaker_distance(male.samples, RATE, female.samples, RATE)
    assert speaker_distance(male.samples, RATE, male.samples, RATE) == pytest.approx(0, abs=1e-9)
    assert across == pytest.approx(speaker_distance(female.samples, RATE, male.samples, RATE))
    assert same < 0.3 < across and 3 * same < across
    parts = speaker_distance_parts(male.samples, RATE, female.samples, RATE)
    assert parts.pitch > 5 and parts.timbre > 0.3  # an octave apart, and another timbre
    with pytest.raises(ValueError, match="voiced"):
        speaker_distance(male.samples, RATE, np.zeros(RATE, np.float32), RATE)


# --------------------------------------------------------------- conversion
def test_envelope_filter_with_unit_gain_returns_the_signal():
    x = np.random.default_rng(0).standard_normal(22050)
    assert np.allclose(filter_by_envelope(x, np.ones((201, 513)), 110.25)[:len(x)], x)
    quarter = filter_by_envelope(x, np.full((201, 513), 0.25), 110.25)[:len(x)]
    assert np.std(quarter) == pytest.approx(0.5 * np.std(x), rel=1e-6)


def test_warp_moves_spectral_features_in_frequency():
    envelope = np.ones((3, 513))
    envelope[:, 200] = 10.0
    assert np.argmax(warp_envelope(envelope, 1.1)[0]) == 220
    assert np.argmax(warp_envelope(envelope, 0.9)[0]) == 180


@needs_flite
def test_conversion_keeps_length_timelines_and_level_and_moves_the_voice(male, female):
    target_text = speak(TEXT_B, "slt")  # the profile's own words differ from the test's
    profile = voice_profile_from_samples(target_text.samples, RATE, "slt")
    converted = convert_speech(male, profile)
    assert len(converted.samples) == len(male.samples)
    assert converted.phones == male.phones and converted.words == male.words
    assert np.max(np.abs(converted.samples)) == pytest.approx(np.max(np.abs(male.samples)),
                                                              rel=1e-4)
    # an octave apart: the vocoder moves the pitch onto the profile's
    assert semitones(median_f0(converted.samples, RATE), profile.f0_hz) < 1.0
    before = speaker_distance(male.samples, RATE, female.samples, RATE)
    after = speaker_distance(converted.samples, RATE, female.samples, RATE)
    assert after < 0.3 * before


@needs_flite
def test_conversion_toward_the_own_voice_changes_little(male):
    own = voice_profile_from_samples(speak(TEXT_B, "kal16").samples, RATE, "kal16")
    converted = convert_speech(male, own)
    assert speaker_distance(converted.samples, RATE, male.samples, RATE) < 0.1


@needs_flite
def test_voice_params_choose_the_gender_and_bring_the_pitch_close(male, female):
    for speech, gender in ((male, "male"), (female, "female")):
        profile = voice_profile_from_samples(speech.samples, RATE, "ref.wav")
        params = voice_params_for(profile)
        assert params.reason.startswith(f"reference ref.wav: {gender}")
        assert params.formant_scale == 1.0
        shaped = synthesize_sentences(normalize_text(TEXT_B), params, "en", RATE)
        assert semitones(median_f0(shaped.samples, RATE), profile.f0_hz) < 2.0
    chosen = voice_params_for(profile, voice="flite:kal16")
    assert chosen.voice == "flite:kal16" and chosen.pitch_scale > 1.5  # kal16 up to slt


# ------------------------------------------------------------ real speakers
def real_halves(real_dir, name):
    samples, rate = read_audio(real_dir / name)
    middle = len(samples) // 2
    return samples[:middle], samples[middle:], rate


REAL = {"speech_male_radio.wav": "male", "talking_news_clip.mp4": "female",
        "talking_news_clip_2.mp4": "female"}


def test_real_recordings_profile_as_their_speakers(real_dir):
    for name, gender in REAL.items():
        first, second, rate = real_halves(real_dir, name)
        whole = np.concatenate([first, second])
        for part in (whole, first, second):
            profile = voice_profile_from_samples(part, rate, name)
            assert profile.gender == gender, (name, profile.f0_hz, profile.formants_hz)
            assert profile.warnings == ()


def test_real_speakers_are_apart_and_halves_of_one_are_close(real_dir):
    halves = {name: real_halves(real_dir, name) for name in REAL}
    within = [speaker_distance(a, r, b, r) for a, b, r in halves.values()]
    names = list(halves)
    across = [speaker_distance(halves[p][0], halves[p][2], halves[q][1], halves[q][2])
              for p in names for q in names if p != q]
    assert max(within) < 0.25 and min(across) > 0.4, (within, across)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["speech_male_radio.wav", "talking_news_clip.mp4"])
def test_conversion_brings_the_voice_toward_real_speakers(real_dir, name):
    """The issue's measure: 20 Harvard sentences, profile from the first half,
    distance to the held-out second half (evaluate/voice_reference.py)."""
    from facespeak.evaluate.voice_reference import measure_voice_reference

    samples, rate = read_audio(real_dir / name)
    result = measure_voice_reference(samples, rate, name)
    assert result.params.reason.startswith(f"reference {name}: {REAL[name]}")
    assert result.shrink >= 0.30, result
    assert result.converted.distance.timbre < 0.6 * result.plain.distance.timbre
    # what the conversion itself costs in intelligibility
    assert result.converted.word_error_rate <= result.shaped.word_error_rate + 0.05, result
