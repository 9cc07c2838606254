"""A speaker distance that needs no trained model.

Each recording is summarised by two diagonal Gaussians over its voiced speech
frames (5 ms frames, 16 kHz, the voice-activity detector of the voice
profile): one over 19 mel-frequency cepstral coefficients (c1..c19, the
spectral envelope: vocal tract, voice quality, channel; c0, loudness, is left
out) and one over ln F0 (median and interquartile spread, robust to octave
errors). Two recordings are compared by the symmetric Kullback-Leibler
divergence (J-divergence) of their Gaussians, per dimension:

    J = 1/2 (va/vb + vb/va - 2) + 1/2 (ma - mb)^2 (1/va + 1/vb)

    timbre = mean of J over the 19 cepstral dimensions
    pitch  = J of ln F0 (spread floored at 0.05, about one semitone)
    distance = (timbre + pitch) / 2

0 means identical statistics; it grows with the difference in means measured
in units of the spreads. On the real recordings here, two halves of one
recording are 0.2-0.4 apart and different people 1.5 or more (see
``benchmarks/bench_voice_ref.py``). It ignores what is said only as far as
averages over a few seconds of speech do: it needs 2 s or more of speech on
each side to be steady, and it is a statistic of the sound, not a speaker
verification model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facespeak.voice import analysis as an

MIN_VOICED_FRAMES = 100  # 0.5 s of voicing
PITCH_SPREAD_FLOOR = 0.05
"""Monotone synthetic voices would otherwise divide by almost nothing."""
CEPSTRAL_VARIANCE_FLOOR = 1e-3


@dataclass(frozen=True, eq=False)
class SpeakerStatistics:
    """The statistics ``speaker_distance`` compares."""

    cepstral_mean: np.ndarray
    """(19,) mean MFCC c1..c19 of voiced speech frames."""
    cepstral_variance: np.ndarray
    """(19,) their variances (floored)."""
    log_f0_median: float
    log_f0_spread: float
    """Interquartile range of ln F0 / 1.349, floored at ``PITCH_SPREAD_FLOOR``."""


@dataclass(frozen=True)
class SpeakerDistance:
    timbre: float
    pitch: float

    @property
    def total(self) -> float:
        return (an.N_MFCC * self.timbre + self.pitch) / (an.N_MFCC + 1)


def speaker_distance(samples_a: np.ndarray, sample_rate_a: int,
                     samples_b: np.ndarray, sample_rate_b: int) -> float:
    """The documented distance (module docstring) between two recordings'
    speakers; mono float audio at any rates."""
    return speaker_distance_parts(samples_a, sample_rate_a, samples_b, sample_rate_b).total


def speaker_distance_parts(samples_a: np.ndarray, sample_rate_a: int,
                           samples_b: np.ndarray, sample_rate_b: int) -> SpeakerDistance:
    """``speaker_distance`` with its timbre and pitch parts."""
    return compare(speaker_statistics(samples_a, sample_rate_a),
                   speaker_statistics(samples_b, sample_rate_b))


def speaker_statistics(samples: np.ndarray, sample_rate: int) -> SpeakerStatistics:
    """Summarise one recording; ValueError with under 0.5 s of voiced speech."""
    x = an.to_analysis_rate(samples, sample_rate)
    f0 = an.track_f0(x)
    power = an.frame_power(x, len(f0))
    voiced = an.speech_frames(an.level_db(power)) & (f0 > 0)
    if np.count_nonzero(voiced) < MIN_VOICED_FRAMES:
        raise ValueError(f"speaker_distance needs at least {MIN_VOICED_FRAMES} voiced 5 ms "
                         f"frames of speech, got {np.count_nonzero(voiced)}")
    cepstra = an.mfcc(power[voiced])
    q1, median, q3 = np.percentile(np.log(f0[voiced]), [25, 50, 75])
    return SpeakerStatistics(
        cepstra.mean(axis=0), np.maximum(cepstra.var(axis=0), CEPSTRAL_VARIANCE_FLOOR),
        float(median), max(float(q3 - q1) / 1.349, PITCH_SPREAD_FLOOR))


def compare(a: SpeakerStatistics, b: SpeakerStatistics) -> SpeakerDistance:
    timbre = _j_divergence(a.cepstral_mean, a.cepstral_variance,
                           b.cepstral_mean, b.cepstral_variance).mean()
    pitch = _j_divergence(np.array(a.log_f0_median), np.array(a.log_f0_spread ** 2),
                          np.array(b.log_f0_median), np.array(b.log_f0_spread ** 2))
    return SpeakerDistance(float(timbre), float(pitch))


def _j_divergence(mean_a: np.ndarray, var_a: np.ndarray, mean_b: np.ndarray,
                  var_b: np.ndarray) -> np.ndarray:
    """Symmetric KL divergence of 1-D Gaussians, elementwise."""
    return (0.5 * (var_a / var_b + var_b / var_a - 2)
            + 0.5 * (mean_a - mean_b) ** 2 * (1 / var_a + 1 / var_b))
