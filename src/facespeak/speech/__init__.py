"""Speech stage: sentences -> waveform with phone and word timelines.

Engines: flite (English, default voice rms) through its program, espeak-ng
(100+ languages) through its C library, and a deterministic ``FakeEngine``
for tests of later stages.
"""

from facespeak.speech.assemble import iter_speech, synthesize_sentences
from facespeak.speech.base import SpeechEngine
from facespeak.speech.espeak import EspeakEngine
from facespeak.speech.fake import FakeEngine
from facespeak.speech.flite import FliteEngine
from facespeak.speech.voices import list_voices, resolve_voice

__all__ = ["EspeakEngine", "FakeEngine", "FliteEngine", "SpeechEngine", "iter_speech",
           "list_voices", "resolve_voice", "synthesize_sentences"]
