"""Audio-visual sync: how far the sound is shifted against the mouth, and
whether the sound belongs to this face at all. No trained model is used.

Method, "held-out lip prediction" (the idea of FaceSync, Slaney & Covell 2000:
learn a linear audio -> mouth mapping, here per clip and scored on frames it
was not fitted on):

1. Lip shape per video frame from the landmarks: inner-lip gap, outer-lip gap
   and inner-lip width, each divided by the inter-ocular distance.
2. A description of the audio at each frame time: 13 MFCCs and the log energy
   of a 40 ms window, their time derivatives, and four phonetic features
   (vowel openness, lip rounding, lip closure, silence) of the phones heard
   there. The phones come from the generator's timeline when one is given, or
   else from PocketSphinx phone recognition (the en-us model in its wheel).
3. For every lag L, a ridge regression predicts the lip shape at frame t from
   the audio at frame t + L. It is fitted on nine tenths of the clip and
   scored on the remaining contiguous tenth, ten times over; the score is the
   Pearson r between the held-out predictions and the measured lip shape.
   Fitted and scored on the same frames, any audio would "predict" the lips;
   held out, unrelated audio scores little.
4. The offset is the lag of the highest score within ±0.6 s; the confidence is
   that peak minus the median score within ±0.4 s of it (see
   ``CONFIDENCE_THRESHOLD``). The reference window moves with the peak, so an
   offset near the edge of the search range is not penalised.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import gcd

import numpy as np
from scipy.fft import dct
from scipy.signal import resample_poly

from facespeak.errors import VideoInputError
from facespeak.evaluate.intelligibility import RECOGNISER_RATE
from facespeak.evaluate.phonetics import phonetic_features, recognize_phones
from facespeak.evaluate.signals import inter_ocular
from facespeak.types import Phone

MAX_LAG_S = 0.6
"""The offset is searched within ±0.6 s (±15 frames at 25 fps)."""
REFERENCE_S = 0.4
"""The confidence compares the peak with the scores within ±0.4 s of it, so
the scores are computed out to ±(0.6 + 0.4) s."""
CONFIDENCE_THRESHOLD = 0.35
"""Confidence at or above which the audio belongs to the video (see
``SyncResult.confidence`` and docs/eval.md for the calibration)."""
MIN_FRAMES_PER_FOLD = 5
FOLDS = 10
RIDGE = 10.0
"""Ridge penalty on the standardised audio features (31 of them)."""
ANALYSIS_RATE = RECOGNISER_RATE
"""Audio is resampled to this rate, the recogniser model's (16 kHz)."""
WINDOW_S = 0.04
MEL_BANDS, MFCCS = 40, 13
SILENCE_LEVEL = 1e-4
"""Audio whose every sample is below this (−80 dBFS) counts as silent."""

UPPER_LIP_INNER, LOWER_LIP_INNER = 13, 14
UPPER_LIP_OUTER, LOWER_LIP_OUTER = 0, 17
LIP_CORNER_RIGHT_INNER, LIP_CORNER_LEFT_INNER = 78, 308


@dataclass(frozen=True, eq=False)
class SyncResult:
    """The audio-visual offset of a clip and how sure the measurement is."""

    offset_frames: int
    """Lag of the best score; positive = the audio is later than the mouth
    (the mouth leads, as in real speech by a little)."""
    confidence: float
    """Peak score minus the median score within ±``REFERENCE_S`` of the peak
    (units of Pearson r; 0 = no peak at all)."""
    threshold: float
    """``confidence >= threshold`` means the audio belongs to this video."""
    fps: float
    lags: np.ndarray = field(repr=False)
    """(n_lags,) int lags in frames, ±(MAX_LAG_S + REFERENCE_S) · fps; the
    offset is searched within ±MAX_LAG_S · fps only."""
    scores: np.ndarray = field(repr=False)
    """(n_lags,) held-out Pearson r between predicted and measured lip shape per lag."""
    method: str = ""

    @property
    def offset_s(self) -> float:
        return self.offset_frames / self.fps

    @property
    def matched(self) -> bool:
        """The audio belongs to the video (confidence clears the threshold)."""
        return self.confidence >= self.threshold


def measure_sync(landmarks_px: np.ndarray, audio: np.ndarray, sample_rate: int, fps: float,
                 phones: Sequence[Phone] | None = None) -> SyncResult:
    """Offset and confidence of the audio against the mouth.

    ``landmarks_px``: (n_frames, 478, 3) Face Mesh points in pixels, NaN rows
    where no face was found; ``audio``: (n,) mono float in [-1, 1] (its
    sample 0 at the time of frame 0); ``phones``: the phone timeline on the
    audio's time axis when the generator wrote one, else the phones are
    recognised from the audio. Raises VideoInputError when the audio is
    silent or fewer than about 4 s of frames show a face.
    """
    search, reference = max(1, round(MAX_LAG_S * fps)), max(1, round(REFERENCE_S * fps))
    lips = lip_shape(landmarks_px)
    has_face = np.isfinite(lips).all(axis=1)
    needed = 2 * (search + reference) + FOLDS * MIN_FRAMES_PER_FOLD
    if has_face.sum() < needed:
        raise VideoInputError(f"sync needs at least {needed} frames with a face "
                              f"({needed / fps:.1f} s), this clip has {int(has_face.sum())}")
    samples = _resampled(audio, sample_rate)
    if not np.any(np.abs(samples) > SILENCE_LEVEL):
        raise VideoInputError("the audio is silent: there is no sync to measure")
    source = "the timeline's phones"
    if phones is None:
        phones, source = recognize_phones(samples, ANALYSIS_RATE), "recognised phones"
    features = np.column_stack([acoustic_features(samples, fps, len(lips)),
                                phonetic_features(phones, fps, len(lips))])
    lags = np.arange(-(search + reference), search + reference + 1)
    scores = held_out_scores(_standardised(lips, has_face), _standardised(features),
                             has_face, lags)
    best = int(np.argmax(np.where(np.abs(lags) <= search, scores, -np.inf)))
    near = np.abs(lags - lags[best]) <= reference
    return SyncResult(offset_frames=int(lags[best]),
                      confidence=float(scores[best] - np.median(scores[near])),
                      threshold=CONFIDENCE_THRESHOLD, fps=fps, lags=lags, scores=scores,
                      method="held-out ridge prediction of lip shape from MFCC, energy and "
                             + source)


# --------------------------------------------------------------------- video side
def lip_shape(landmarks_px: np.ndarray) -> np.ndarray:
    """(n_frames, 3) inner-lip gap, outer-lip gap and inner-lip width, each
    ÷ inter-ocular distance (3-D distances, so head rotation barely changes them)."""
    points = np.asarray(landmarks_px, np.float64)

    def dist(i: int, j: int) -> np.ndarray:
        return np.linalg.norm(points[:, i] - points[:, j], axis=-1)

    iod = inter_ocular(points)
    return np.column_stack([dist(UPPER_LIP_INNER, LOWER_LIP_INNER),
                            dist(UPPER_LIP_OUTER, LOWER_LIP_OUTER),
                            dist(LIP_CORNER_RIGHT_INNER, LIP_CORNER_LEFT_INNER)]) / iod[:, None]


# --------------------------------------------------------------------- audio side
def acoustic_features(samples: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    """(n_frames, 28) MFCC 1-13 and log energy of a 40 ms Hann window centred
    on each frame time i/fps (16 kHz audio, zero beyond its ends), with their
    time derivatives."""
    width = round(WINDOW_S * ANALYSIS_RATE)
    n_fft = 1 << (width - 1).bit_length()
    padded = np.concatenate([np.zeros(width), samples, np.zeros(width)])
    centres = np.round(np.arange(n_frames) / fps * ANALYSIS_RATE).astype(np.int64)
    starts = np.clip(centres + width - width // 2, 0, len(padded) - width)
    windows = padded[starts[:, None] + np.arange(width)] * np.hanning(width)
    power = np.abs(np.fft.rfft(windows, n_fft)) ** 2
    log_mel = np.log(power @ _mel_filters(n_fft).T + 1e-10)
    mfcc = dct(log_mel, type=2, norm="ortho", axis=1)[:, :MFCCS]
    energy = np.log(np.mean(windows ** 2, axis=1) + 1e-10)
    static = np.column_stack([mfcc, energy])
    return np.column_stack([static, np.gradient(static, axis=0)])


@functools.cache
def _mel_filters(n_fft: int) -> np.ndarray:
    """(MEL_BANDS, n_fft // 2 + 1) triangular mel filters, 60-7600 Hz."""
    def to_mel(hz):
        return 2595 * np.log10(1 + hz / 700)

    edges = 700 * (10 ** (np.linspace(to_mel(60), to_mel(7600), MEL_BANDS + 2) / 2595) - 1)
    bins = np.fft.rfftfreq(n_fft, 1 / ANALYSIS_RATE)
    low, mid, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return np.clip(np.minimum((bins - low) / (mid - low), (high - bins) / (high - mid)), 0, None)


def _resampled(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    x = np.asarray(audio, np.float64)
    if x.ndim != 1:
        raise ValueError(f"measure_sync expects mono (n,) audio, got shape {x.shape}")
    if sample_rate != ANALYSIS_RATE:
        g = gcd(ANALYSIS_RATE, int(sample_rate))
        x = resample_poly(x, ANALYSIS_RATE // g, int(sample_rate) // g)
    return x


# --------------------------------------------------------------------- scoring
def held_out_scores(lips: np.ndarray, features: np.ndarray, valid: np.ndarray,
                    lags: np.ndarray, folds: int = FOLDS, ridge: float = RIDGE) -> np.ndarray:
    """(n_lags,) for each lag L, the mean over lip measures of the Pearson r
    between ``lips[t]`` and its ridge prediction from ``features[t + L]``, each
    contiguous tenth of the frames predicted by a fit on the other nine.

    ``lips`` (n, p) and ``features`` (n, d) standardised; ``valid`` (n,) marks
    frames with a face. All lags and folds are solved together as a batch.
    """
    n = len(lips)
    design, used = _lagged(np.column_stack([features, np.ones(n)]), valid, lags)
    design *= used[..., None]                                   # (n_lags, n, d + 1)
    target = np.where(valid[:, None], lips, 0.0)
    edges = np.linspace(0, n, folds + 1).round().astype(int)
    blocks = list(itertools.pairwise(edges))
    gram = np.stack([_t(design[:, a:b]) @ design[:, a:b] for a, b in blocks], axis=1)
    cross = np.stack([_t(design[:, a:b]) @ target[a:b] for a, b in blocks], axis=1)
    penalty = ridge * np.eye(design.shape[2])
    penalty[-1, -1] = 1e-6                                      # the intercept is free
    weights = np.linalg.solve(gram.sum(1, keepdims=True) - gram + penalty,
                              cross.sum(1, keepdims=True) - cross)  # (n_lags, folds, d + 1, p)
    predicted = np.concatenate([design[:, a:b] @ weights[:, k] for k, (a, b) in enumerate(blocks)],
                               axis=1)                          # (n_lags, n, p)
    return _masked_pearson(predicted, np.broadcast_to(target, predicted.shape), used).mean(axis=1)


def _lagged(features: np.ndarray, valid: np.ndarray, lags: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """(n_lags, n, d) ``features[t + L]`` (zero outside the clip) and the
    (n_lags, n) mask of frames t that have a face and a feature row at t + L."""
    n = len(features)
    out = np.zeros((len(lags), n, features.shape[1]))
    used = np.zeros((len(lags), n), bool)
    for k, lag in enumerate(lags):
        lo, hi = max(0, -lag), min(n, n - lag)
        out[k, lo:hi] = features[lo + lag:hi + lag]
        used[k, lo:hi] = valid[lo:hi]
    return out, used


def _masked_pearson(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(n_lags, p) Pearson r along axis 1 over the frames in ``mask``."""
    w = mask[..., None].astype(np.float64)
    count = w.sum(axis=1, keepdims=True)
    dx = (x - (x * w).sum(axis=1, keepdims=True) / count) * w
    dy = (y - (y * w).sum(axis=1, keepdims=True) / count) * w
    denominator = np.sqrt((dx ** 2).sum(axis=1) * (dy ** 2).sum(axis=1))
    return np.divide((dx * dy).sum(axis=1), denominator, out=np.zeros_like(denominator),
                     where=denominator > 0)


def _standardised(x: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Columns scaled to zero mean and unit variance over ``rows`` (all by
    default); constant columns are dropped; NaN becomes 0."""
    ref = x if rows is None else x[rows]
    mean, std = ref.mean(axis=0), ref.std(axis=0)
    keep = std > 1e-9
    return np.nan_to_num((x[:, keep] - mean[keep]) / std[keep])


def _t(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)
