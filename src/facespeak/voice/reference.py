"""The voice profile of a reference recording (``--voice-ref``), and the
voice parameters that bring a synthetic voice toward it.

A profile is a handful of measured statistics of the recording's speech, not
a learned speaker embedding: pitch level and spread, the mean and spread of
the spectral envelope (as mel cepstra), formant frequencies and the
vocal-tract length they imply, and a syllable-rate proxy for speaking rate. Recordings that are not usable
speech are refused with a one-line ``BadVoiceReference``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyworld

from facespeak.errors import BadVoiceReference, FacespeakInputError
from facespeak.media.audio import read_audio
from facespeak.speech import synthesize_sentences
from facespeak.text import normalize_text
from facespeak.text.harvard import HARVARD_SENTENCES
from facespeak.types import VoiceParams
from facespeak.voice import analysis as an
from facespeak.voice.face_voice import base_voice

MIN_SPEECH_S = 2.0
ENVELOPE_FFT = 1024
"""WORLD envelope resolution at 16 kHz: 513 bins, 15.6 Hz apart, 0..8 kHz."""
ENVELOPE_CEPSTRA = 40
"""Coefficients of WORLD's coded (mel-cepstral) envelope kept in a profile."""
SPEED_OF_SOUND_CM_S = 35000.0

STEADY_DB = 12.0
"""Sound whose level spread (95th - 10th percentile) is under this has no
syllable rhythm: steady music or noise, not speech (speech here: 18-26 dB)."""
TONAL_FLATNESS = 0.05
"""Median spectral flatness under this: tones (music); above: noise."""
HELD_PITCH = 0.8
"""Fraction of voiced frames holding their pitch (< 0.1 semitone per 5 ms)
above which the voicing is held notes (singing, instruments): speech glides
(0.3-0.5 for real speech, 0.64 for monotone espeak-ng)."""
HELD_STEP_SEMITONES = 0.1
NOISY_SNR_DB = 12.0
CLIPPED_FRACTION = 1e-3

# Gender-typical voices, for choosing a male or female base voice: log F0 and the
# vocal-tract length from F3 each cast a vote, scaled so that the usual adult
# male-female gap (F0 about 120 vs 210 Hz, F3 about 2650 vs 3050 Hz, i.e.
# 16.5 vs 14.3 cm) is 2.3-2.8 units on each. The boundaries are the midpoints.
F0_BOUNDARY_HZ = 160.0
F0_LOG_UNIT = 0.2
TRACT_BOUNDARY_CM = 15.35  # F3 = 2850 Hz
TRACT_UNIT_CM = 0.9

# Engine-side shaping stays within what the engines render cleanly. Formants
# are left alone: shifting them by 5-10 % moved the recogniser's word error
# rate by 8-20 points (docs/voices.md), more than it gained in likeness.
PITCH_SCALE_RANGE = (0.5, 2.0)
PITCH_RANGE_RANGE = (0.5, 2.5)
RATE_RANGE = (0.9, 1.1)
RATE_SHRINK = 0.5
"""Share of the measured log rate ratio applied: a syllable rate from a few
seconds is noisy (the two halves of each real 8 s recording differ by 8-30 %)."""
CALIBRATION_TEXT = " ".join(HARVARD_SENTENCES[20:24])
"""Harvard sentences (list 3), spoken by a base voice to measure it the same way."""


@dataclass(frozen=True, eq=False)
class VoiceProfile:
    """Measured statistics of one recording's speech (all at 16 kHz)."""

    name: str
    speech_s: float
    """Seconds of speech the voice-activity detector found."""
    log_f0_mean: float
    """Median of ln(F0 / Hz) over voiced speech frames."""
    log_f0_std: float
    """Spread of ln F0: interquartile range / 1.349 (robust to octave errors)."""
    formants_hz: tuple[float, float, float]
    """Median F1, F2, F3 over voiced frames (LPC)."""
    vocal_tract_cm: float
    """Apparent vocal-tract length from the median F3, the formant that
    depends least on the vowel: a uniform tube closed at the glottis
    resonates at F3 = 5c / 4L."""
    syllable_rate_hz: float
    """Syllable nuclei per second of speech (a speaking-rate proxy)."""
    cepstrum_mean: np.ndarray = field(repr=False)
    """(40,) mean over voiced speech frames of the WORLD spectral envelope
    (CheapTrick, 16 kHz) coded as mel cepstra (``envelope_cepstra``):
    the average timbre, channel included."""
    cepstrum_std: np.ndarray = field(repr=False)
    """(40,) their standard deviations: how far the timbre moves from sound
    to sound."""
    bandwidth_hz: float
    """Highest frequency the recording holds (half its sample rate, <= 8000)."""
    gender: str
    """"male" or "female": which base voice to start from (``gender_score``)."""
    warnings: tuple[str, ...] = ()
    """Why the profile may be poor (noise, clipping), for users."""

    @property
    def f0_hz(self) -> float:
        return float(np.exp(self.log_f0_mean))


def load_voice_profile(path: str | Path) -> VoiceProfile:
    """Analyse a reference recording: any format PyAV reads, mono or stereo
    (averaged), any sample rate. Raises ``BadVoiceReference`` when the file
    is missing or unreadable, silent, holds under 2 s of speech, or is music."""
    path = Path(path)
    try:
        samples, rate = read_audio(path)
    except FacespeakInputError as exc:
        raise BadVoiceReference(f"voice reference: {exc}") from None
    return voice_profile_from_samples(samples, rate, path.name)


def voice_profile_from_samples(samples: np.ndarray, sample_rate: int, name: str = ""
                               ) -> VoiceProfile:
    """``load_voice_profile`` for audio already in memory."""
    label = name or "the voice reference"
    if not np.all(np.isfinite(samples)):
        raise BadVoiceReference(f"{label} holds invalid (NaN or infinite) samples")
    x = an.to_analysis_rate(samples, sample_rate)
    f0 = an.track_f0(x)
    power = an.frame_power(x, len(f0))
    levels = an.level_db(power)
    active = an.speech_frames(levels)
    _check_is_speech(label, f0, power, levels, active)
    voiced = active & (f0 > 0)
    log_f0 = np.log(f0[voiced])
    formants = an.formants(x, voiced)
    if len(formants) < 20:
        raise BadVoiceReference(f"{label}: no vowels found in its speech (no formants); "
                                "is it speech?")
    formant_medians = np.median(formants, axis=0)
    tract = vocal_tract_cm(float(formant_medians[2]))
    speech_s = active.sum() * an.FRAME_PERIOD_MS / 1000
    q1, median, q3 = np.percentile(log_f0, [25, 50, 75])
    cepstrum_mean, cepstrum_std = _cepstrum_statistics(x, f0, voiced)
    return VoiceProfile(
        name=name, speech_s=float(speech_s), log_f0_mean=float(median),
        log_f0_std=float((q3 - q1) / 1.349),
        formants_hz=tuple(float(f) for f in formant_medians),  # type: ignore[arg-type]
        vocal_tract_cm=tract,
        syllable_rate_hz=an.syllable_count(levels, f0, active) / speech_s,
        cepstrum_mean=cepstrum_mean, cepstrum_std=cepstrum_std,
        bandwidth_hz=float(min(sample_rate / 2, an.ANALYSIS_RATE / 2)),
        gender="female" if gender_score(float(np.exp(median)), tract) > 0 else "male",
        warnings=_quality_warnings(samples, levels, active, sample_rate))


def voice_params_for(profile: VoiceProfile, language: str = "en", voice: str | None = None
                     ) -> VoiceParams:
    """The base voice and engine-side shaping that bring synthesis close to
    ``profile`` before ``convert_speech`` finishes the job: ``voice`` when
    given (``--voice``), else a voice of the profile's gender (``base_voice``:
    English, or the language's espeak-ng voice with a variant of that gender,
    as for a face); and pitch level, pitch range
    and speaking rate matched to the profile as
    measured on the voice speaking ``CALIBRATION_TEXT``. The engines' pitch
    controls are not exact (flite's range control overshoots), so the pitch
    is measured once more with the first guess and corrected: a reference
    costs two short syntheses (about 1-2 s)."""
    if voice is None:
        voice = base_voice(profile.gender, language)
    base = _calibration_profile(VoiceParams(voice=voice), language)
    guess = VoiceParams(
        voice=voice,
        pitch_scale=_bounded(np.exp(profile.log_f0_mean - base.log_f0_mean), PITCH_SCALE_RANGE),
        pitch_range=_bounded(profile.log_f0_std / base.log_f0_std, PITCH_RANGE_RANGE),
        rate=_bounded((profile.syllable_rate_hz / base.syllable_rate_hz) ** RATE_SHRINK,
                      RATE_RANGE))
    shaped = _calibration_profile(guess, language)
    pitch = _bounded(guess.pitch_scale * np.exp(profile.log_f0_mean - shaped.log_f0_mean),
                     PITCH_SCALE_RANGE)
    spread = _bounded(guess.pitch_range * profile.log_f0_std / shaped.log_f0_std,
                      PITCH_RANGE_RANGE)
    reason = (f"reference {profile.name or 'recording'}: {profile.gender} "
              f"(F0 {profile.f0_hz:.0f} Hz, F3 {profile.formants_hz[2]:.0f} Hz), "
              f"pitch x{pitch:.2f}, range x{spread:.2f}, rate x{guess.rate:.2f}")
    return replace(guess, pitch_scale=pitch, pitch_range=spread, reason=reason)


@lru_cache(maxsize=16)
def _calibration_profile(params: VoiceParams, language: str) -> VoiceProfile:
    speech = synthesize_sentences(normalize_text(CALIBRATION_TEXT, language), params, language)
    return voice_profile_from_samples(speech.samples, speech.sample_rate, "calibration")


def _bounded(value: float, bounds: tuple[float, float]) -> float:
    return float(np.clip(value, *bounds))


def vocal_tract_cm(f3_hz: float) -> float:
    """Length of the uniform tube, closed at the glottis, whose third
    resonance is ``f3_hz``: F3 = 5c / 4L."""
    return 5 * SPEED_OF_SOUND_CM_S / (4 * f3_hz)


def gender_score(f0_hz: float, vocal_tract_cm: float) -> float:
    """> 0 female-typical, < 0 male-typical: the votes of the pitch and of
    the vocal-tract length (see the constants above). A heuristic from
    population norms, not a classifier trained here."""
    return (np.log(f0_hz / F0_BOUNDARY_HZ) / F0_LOG_UNIT
            + (TRACT_BOUNDARY_CM - vocal_tract_cm) / TRACT_UNIT_CM)


def envelope_cepstra(envelope_16k: np.ndarray) -> np.ndarray:
    """(frames, 40) WORLD's coded form (mel cepstra) of (frames, 513) CheapTrick
    envelopes on the 16 kHz grid."""
    return pyworld.code_spectral_envelope(np.ascontiguousarray(envelope_16k),
                                          an.ANALYSIS_RATE, ENVELOPE_CEPSTRA)


def _cepstrum_statistics(x: np.ndarray, f0: np.ndarray, frames: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    times = np.arange(len(f0)) * an.FRAME_PERIOD_MS / 1000
    envelope = pyworld.cheaptrick(x, f0[frames], times[frames], an.ANALYSIS_RATE,
                                  fft_size=ENVELOPE_FFT)
    cepstra = envelope_cepstra(envelope)
    return cepstra.mean(axis=0), cepstra.std(axis=0)


def _check_is_speech(label: str, f0: np.ndarray, power: np.ndarray, levels: np.ndarray,
                     active: np.ndarray) -> None:
    if float(np.percentile(levels, 99)) < an.SILENT_DBFS:
        raise BadVoiceReference(f"{label} is silent")
    sounding = levels > max(float(np.percentile(levels, 99)) - an.ACTIVE_BELOW_LOUD_DB,
                            an.SILENT_DBFS)
    spread = float(np.percentile(levels[sounding], 95) - np.percentile(levels[sounding], 10))
    speech_s = active.sum() * an.FRAME_PERIOD_MS / 1000
    if speech_s < MIN_SPEECH_S and spread < STEADY_DB:
        kind = "music" if _flatness(power[sounding]) < TONAL_FLATNESS else "noise"
        raise BadVoiceReference(f"{label} sounds like {kind}, with no clear speech: a steady "
                                "sound without the rise and fall of syllables")
    held = _held_pitch_fraction(f0, active)
    if held > HELD_PITCH:
        raise BadVoiceReference(f"{label} sounds like music or singing, not speech: "
                                f"{held:.0%} of its voicing holds a steady pitch")
    if speech_s < MIN_SPEECH_S:
        raise BadVoiceReference(f"{label} has {speech_s:.1f} s of speech; "
                                f"at least {MIN_SPEECH_S:g} s are needed")
    if np.count_nonzero(active & (f0 > 0)) * an.FRAME_PERIOD_MS / 1000 < MIN_SPEECH_S / 4:
        raise BadVoiceReference(f"{label} has almost no voiced sound: whispered speech or "
                                "noise, not a voice to copy")


def _flatness(power: np.ndarray) -> float:
    """Median spectral flatness (geometric / arithmetic mean) over 125-7500 Hz."""
    band = power[:, 4:241] + 1e-12
    return float(np.median(np.exp(np.log(band).mean(axis=1)) / band.mean(axis=1)))


def _held_pitch_fraction(f0: np.ndarray, active: np.ndarray) -> float:
    voiced = active & (f0 > 0)
    both = voiced[1:] & voiced[:-1]
    if not both.any():
        return 0.0
    semitones = 12 * np.log2(np.where(f0 > 0, f0, 1.0))
    return float(np.mean(np.abs(np.diff(semitones))[both] < HELD_STEP_SEMITONES))


def _quality_warnings(samples: np.ndarray, levels: np.ndarray, active: np.ndarray,
                      sample_rate: int) -> tuple[str, ...]:
    notes = []
    snr = float(np.median(levels[active]) - np.percentile(levels, 10))
    if snr < NOISY_SNR_DB:
        notes.append(f"the voice reference is noisy (speech about {snr:.0f} dB above the "
                     "background); the voice profile may be off")
    if _clipped_fraction(samples) > CLIPPED_FRACTION:
        notes.append("the voice reference is clipped (distorted peaks); its spectrum "
                     "and so the voice profile are coloured by the distortion")
    if sample_rate < an.ANALYSIS_RATE:
        notes.append(f"the voice reference holds only frequencies up to {sample_rate / 2000:g} "
                     "kHz; the timbre above is left as the synthetic voice has it")
    return tuple(notes)


def _clipped_fraction(samples: np.ndarray) -> float:
    """Fraction of samples in runs of 3+ equal values at the file's peak."""
    peak = float(np.max(np.abs(samples)))
    if peak == 0.0:
        return 0.0
    at_peak = np.abs(samples) >= peak * 0.999
    runs = an.run_lengths(at_peak)
    return float(runs[runs >= 3].sum() / len(samples))
