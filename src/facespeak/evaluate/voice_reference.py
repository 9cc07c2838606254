"""How close ``--voice-ref`` brings the synthetic voice to a real speaker, and
what it costs in intelligibility.

A recording is cut in two: the first half is the reference (its voice
profile), the second half is held out. The same 20 Harvard sentences are
spoken three ways, each as one utterance the way ``say`` speaks a text:
with no conversion (plain: the base voice ``voice_params_for`` picks, as it
is), with ``voice_params_for`` (engine-side shaping only) and shaped then
converted by ``convert_speech``. For each,
the speaker distance to the held-out half and the recogniser's word error
rate over the 20 sentences are measured. Distances to the held-out half, not
to the reference itself, so that conversion cannot score by copying the very
statistics it was given.
"""

from __future__ import annotations

import time
from itertools import pairwise
from dataclasses import dataclass

import numpy as np

from facespeak.evaluate.intelligibility import corpus_word_error_rate, recognize
from facespeak.speech import iter_speech
from facespeak.speech.assemble import concatenate
from facespeak.text import normalize_text
from facespeak.text.harvard import HARVARD_SENTENCES
from facespeak.types import Sentence, Speech, VoiceParams
from facespeak.voice.convert import convert_speech
from facespeak.voice.distance import SpeakerDistance, speaker_distance_parts
from facespeak.voice.reference import voice_params_for, voice_profile_from_samples

TEST_SENTENCES = HARVARD_SENTENCES[:20]
"""Harvard lists 1 and 2."""
SAMPLE_RATE = 22050  # as ``say`` speaks


@dataclass(frozen=True)
class Spoken:
    """The test sentences spoken one way."""

    label: str
    distance: SpeakerDistance
    """To the held-out half of the recording."""
    word_error_rate: float


@dataclass(frozen=True)
class VoiceReferenceResult:
    name: str
    params: VoiceParams
    same_speaker: SpeakerDistance
    """Reference half to held-out half: the floor a perfect copy would reach."""
    plain: Spoken
    shaped: Spoken
    converted: Spoken
    warped: Spoken | None
    """Converted with ``formant_warp=True``, when asked for."""
    convert_s_per_s: float
    """CPU seconds ``convert_speech`` took per second of speech (real-time factor)."""

    @property
    def shrink(self) -> float:
        """Fraction of the plain voice's distance that conversion removes."""
        return 1 - self.converted.distance.total / self.plain.distance.total


def halves(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    middle = len(samples) // 2
    return samples[:middle], samples[middle:]


def measure_voice_reference(samples: np.ndarray, sample_rate: int, name: str, *,
                            voice: str | None = None, formant_warp: bool = False
                            ) -> VoiceReferenceResult:
    """``voice`` overrides the base voice ``voice_params_for`` would choose;
    ``formant_warp`` adds a conversion with the formant warp on."""
    reference, held_out = halves(samples)
    profile = voice_profile_from_samples(reference, sample_rate, name)
    params = voice_params_for(profile, voice=voice)
    sentences = [s for text in TEST_SENTENCES for s in normalize_text(text)]
    plain, plain_bounds = _speak(sentences, VoiceParams(voice=params.voice))
    shaped, bounds = _speak(sentences, params)
    start = time.process_time()
    converted = convert_speech(shaped, profile)
    cpu_s = time.process_time() - start

    def spoken(label: str, speech: Speech, cuts: list[int]) -> Spoken:
        distance = speaker_distance_parts(speech.samples, speech.sample_rate, held_out,
                                          sample_rate)
        return Spoken(label, distance, _word_error_rate(speech, cuts))

    return VoiceReferenceResult(
        name, params, speaker_distance_parts(reference, sample_rate, held_out, sample_rate),
        spoken("plain", plain, plain_bounds), spoken("shaped", shaped, bounds),
        spoken("converted", converted, bounds),
        spoken("converted + formant warp", convert_speech(shaped, profile, formant_warp=True),
               bounds) if formant_warp else None,
        cpu_s / converted.duration_s)


def _speak(sentences: list[Sentence], params: VoiceParams) -> tuple[Speech, list[int]]:
    """One utterance of all sentences, and the sample index where each begins
    (plus its end)."""
    pieces = list(iter_speech(sentences, params, "en", SAMPLE_RATE))
    bounds = np.cumsum([0] + [len(p.samples) for p in pieces]).tolist()
    return concatenate(pieces), bounds


def _word_error_rate(speech: Speech, bounds: list[int]) -> float:
    """All word edits over all reference words, each sentence recognised alone."""
    heard = [recognize(speech.samples[a:b], speech.sample_rate) for a, b in pairwise(bounds)]
    return corpus_word_error_rate(TEST_SENTENCES, heard)
