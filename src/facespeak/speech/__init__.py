"""Speech stage: sentences -> waveform with phone and word timelines.

Engines: Festival (English, its HTS voice slt-hts, the default) and flite
(English, rms and others) through their programs, espeak-ng (100+ languages)
through its C library, and a deterministic ``FakeEngine`` for tests of later stages. A
``VoiceParams`` shapes any of them (rate, pitch, range, formants: shape.py).
"""

from facespeak.speech.assemble import iter_speech, synthesize_sentences
from facespeak.speech.base import Prosody, SpeechEngine
from facespeak.speech.espeak import EspeakEngine
from facespeak.speech.fake import FakeEngine
from facespeak.speech.festival import FestivalEngine
from facespeak.speech.flite import FliteEngine
from facespeak.speech.voices import list_voices, resolve_voice

__all__ = ["EspeakEngine", "FakeEngine", "FestivalEngine", "FliteEngine", "Prosody",
           "SpeechEngine", "iter_speech", "list_voices", "resolve_voice", "synthesize_sentences"]
