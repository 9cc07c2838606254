"""espeak-ng through its C library (libespeak-ng.so.1) and ctypes.

The library is initialised once per process in synchronous mode with IPA
phoneme events; a callback collects the samples and the WORD and PHONEME
events, whose ``sample`` field is the exact sample index where each starts.
libespeak-ng keeps global state and hangs if re-initialised, so one
``_Library`` serves the whole process behind a lock.

Two systematic offsets were measured against the audio
(benchmarks/speech_timeline.py, en-us, de, cmn) and are corrected:

* a stop's closure (exact digital silence, 30-50 ms) is emitted *before* the
  stop's event, inside the previous phone (only ~5 % of closures fell inside
  their stop); the stop now starts where that silent run starts (100 %);
* a vowel after a nasal or liquid gets its event only after its onset
  transition, 13-18 ms after the release (median); it is moved 15 ms earlier,
  leaving the release within 4 ms of the vowel's start (en-us, de, cmn, fr).

/s ʃ/ labels sit within 1 ms of the hiss on average (90 % within 5 ms).
Audio depends slightly on state kept between calls (pitch flutter phase): a
repeated sentence in one process can differ by a few samples; a fresh
process is reproducible.

Prosody: espeak-ng's own rate, pitch and range parameters (``_parameters``).
"""

from __future__ import annotations

import ctypes
import functools
import math
import threading
from dataclasses import dataclass

import numpy as np

from facespeak.errors import EngineFailed, EngineMissing, UnknownVoice
from facespeak.speech.base import NEUTRAL, Prosody, close_timeline, is_content_word, pcm16_to_float
from facespeak.types import Phone, Speech, VoiceInfo, Word

_LIBRARY = "libespeak-ng.so.1"
_MISSING = "espeak-ng is not installed: install it (apt-get install espeak-ng libespeak-ng1)"
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_OPTIONS = 0x0001 | 0x0002 | 0x8000  # PHONEME_EVENTS | PHONEME_IPA | DONT_EXIT
_CHARS_UTF8 = 1
_EVENT_WORD, _EVENT_PHONEME = 1, 7
_RATE, _PITCH, _RANGE = 1, 3, 4  # espeak_PARAMETER
_DEFAULT_WPM, _MIN_WPM, _MAX_WPM = 175, 80, 450
_STOP_LETTERS = frozenset("pbtdkgqcɟʔɖʈɡ")
_SONORANT_LETTERS = frozenset("mnŋɲɳlɭʎɫrɹɾɻʀwjɥʋ")
_VOWEL_LETTERS = frozenset("aeiouyæøœɐɑɒɔəɘɚɛɜɞɤɨɪɯɵɶʉʊʌʏ")
VOWEL_ONSET_SHIFT_S = 0.015
# espeak-ng 1.51's "cmn" voice reads many Hanzi as pinyin with English tone
# digits ("ni three"); its pinyin voice reads Hanzi correctly.
_PREFERRED = {"cmn": "cmn-latn-pinyin", "zh": "cmn-latn-pinyin", "zh-cmn": "cmn-latn-pinyin"}


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_void_p),
                ("identifier", ctypes.c_char_p), ("gender", ctypes.c_ubyte),
                ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte), ("xx1", ctypes.c_ubyte),
                ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))


@dataclass(frozen=True)
class _Mark:
    """One event: where (sample) and what (phoneme name, or word text span)."""

    sample: int
    name: str = ""
    text_position: int = 0
    length: int = 0


class _Library:
    """The process-wide libespeak-ng: initialised once, used under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lib = lib = ctypes.CDLL(_LIBRARY)
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INIT_OPTIONS)
        if self.sample_rate <= 0:
            raise EngineMissing(f"espeak-ng could not start (no voice data?): {_MISSING}")
        self._chunks: list[np.ndarray] = []
        self._phonemes: list[_Mark] = []
        self._words: list[_Mark] = []
        self._callback = _Callback(self._collect)  # kept alive: the library holds it
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], n: int,
                 events: ctypes._Pointer[_Event]) -> int:
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, (n,)).copy())
        i = 0
        while events[i].type != 0:  # the list ends with espeakEVENT_LIST_TERMINATED
            e = events[i]
            if e.type == _EVENT_PHONEME:
                self._phonemes.append(_Mark(e.sample, e.id.decode("utf-8", "ignore")))
            elif e.type == _EVENT_WORD:
                self._words.append(_Mark(e.sample, "", e.text_position, e.length))
            i += 1
        return 0

    def synth(self, text: str, voice_id: str, prosody: Prosody = NEUTRAL
              ) -> tuple[np.ndarray, list[_Mark], list[_Mark]]:
        """Samples (int16), phoneme marks and word marks of one text."""
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice_id.encode()) != 0:
                raise UnknownVoice(f"espeak-ng cannot load voice {voice_id!r}")
            for parameter, value in _parameters(prosody):
                self.lib.espeak_SetParameter(parameter, value, 0)
            self._chunks, self._phonemes, self._words = [], [], []
            data = text.encode("utf-8") + b"\0"
            err = self.lib.espeak_Synth(data, len(data), 0, 1, 0, _CHARS_UTF8, None, None)
            chunks, phonemes, words = self._chunks, self._phonemes, self._words
        if err != 0:
            raise EngineFailed(f"espeak-ng failed to synthesise (error {err})")
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
        return pcm, phonemes, words

    def list_voices(self, variants: bool = False
                    ) -> list[tuple[str, str, int, list[tuple[int, str]]]]:
        """(name, identifier, gender, (priority, language) by preference) of each voice."""
        spec = None
        if variants:
            spec = _Voice()
            spec.languages = ctypes.cast(ctypes.c_char_p(b"variant"), ctypes.c_void_p)
        with self.lock:
            table = self.lib.espeak_ListVoices(ctypes.byref(spec) if spec else None)
            out, i = [], 0
            while table[i]:
                v = table[i].contents
                out.append((v.name.decode(), v.identifier.decode(), v.gender,
                            _languages(v.languages)))
                i += 1
        return out


def _parameters(prosody: Prosody) -> list[tuple[int, int]]:
    """espeak-ng's rate (words per minute, default 175), pitch and range, set on
    every call so that none carries over. F0 is a base plus a range times the
    intonation contour: pitch (0-100, 50 = the voice's own) scales the base by
    2 ** ((value - 50) / 50), range (0-100) the excursions by value / 50; both
    scale to move all of F0."""
    pitch = 50 + 50 * math.log2(prosody.pitch_scale)
    excursions = 50 * prosody.pitch_scale * prosody.pitch_range
    return [(_RATE, round(min(max(_DEFAULT_WPM * prosody.rate, _MIN_WPM), _MAX_WPM))),
            (_PITCH, round(min(max(pitch, 0), 100))),
            (_RANGE, round(min(max(excursions, 0), 100)))]


def _languages(ptr: int) -> list[tuple[int, str]]:
    """Decode espeak's language list: (priority byte, name, NUL)*, then NUL."""
    found: list[tuple[int, str]] = []
    while (priority := ctypes.string_at(ptr, 1)[0]) != 0:
        name = ctypes.string_at(ptr + 1)
        found.append((priority, name.decode().lower()))
        ptr += len(name) + 2
    return sorted(found, key=lambda f: f[0])


_LIBRARY_START = threading.Lock()


def _library() -> _Library:
    """The library, started once even when two threads ask at the same moment
    (``say`` lists voices while the face is found): a second espeak_Initialize
    in the process hangs, and functools.cache alone does not stop two first calls."""
    with _LIBRARY_START:
        return _started_library()


@functools.cache
def _started_library() -> _Library:
    try:
        return _Library()
    except OSError as e:
        raise EngineMissing(_MISSING) from e


class EspeakEngine:
    """espeak-ng's 100+ languages; voice names are its voice files' names
    ("de", "en-us", "cmn-latn-pinyin"), optionally with a variant ("de+f3")."""

    name = "espeak"

    def warm_up(self) -> None:
        """Nothing is slow to start."""

    def available(self) -> bool:
        try:
            _library()
        except EngineMissing:
            return False
        return True

    def voices(self) -> tuple[VoiceInfo, ...]:
        return tuple(v.info for v in _voice_table(False).values()) if self.available() else ()

    def variants(self) -> tuple[VoiceInfo, ...]:
        """Voice variants, used as a suffix: ``"de+f3"``, ``"en-us+klatt"``."""
        return tuple(v.info for v in _voice_table(True).values()) if self.available() else ()

    def voice_for_language(self, language: str) -> str | None:
        """The preferred voice for a language code, or None."""
        language = language.lower().replace("_", "-")
        table = _voice_table(False) if self.available() else {}
        for lang in (language, language.split("-")[0]):
            if _PREFERRED.get(lang) in table:
                return _PREFERRED[lang]
            ranked = [(v.priority[lang], name) for name, v in table.items() if lang in v.priority]
            if ranked:
                return min(ranked)[1]
        return None

    def synthesize(self, text: str, voice: str, language: str,
                   prosody: Prosody = NEUTRAL) -> Speech:
        lib = _library()
        pcm, phonemes, word_marks = lib.synth(text, self._voice_id(voice), prosody)
        samples = pcm16_to_float(pcm)
        rate = lib.sample_rate
        raw = _raw_phones(phonemes, len(samples))
        spans = _word_spans(word_marks, raw)
        starts = _corrected_starts(raw, samples, rate)
        timed = [Phone(s, b / rate, e / rate) for (s, _, _), b, e
                 in zip(raw, starts, starts[1:] + [len(samples)], strict=True)]
        words = tuple(Word(w, timed[i].start_s, timed[j].end_s, is_content_word(w, language))
                      for w, i, j in _word_texts(text, spans))
        phones = close_timeline(timed, len(samples) / rate)
        return Speech(samples, rate, phones, words, self.name, voice, language)

    def _voice_id(self, voice: str) -> str:
        """"de+f3" -> "gmw/de+f3", the form espeak_SetVoiceByName loads exactly."""
        base, plus, variant = voice.partition("+")
        if base not in _voice_table(False) or (plus and variant not in _voice_table(True)):
            raise UnknownVoice(f"espeak-ng has no voice {voice!r}")
        return _voice_table(False)[base].file + plus + variant


@dataclass(frozen=True)
class _VoiceEntry:
    info: VoiceInfo
    file: str
    """What espeak_SetVoiceByName loads exactly, e.g. "gmw/en-US"."""
    priority: dict[str, int]
    """Language -> espeak's preference (lower = preferred) for that language."""


@functools.cache
def _voice_table(variants: bool) -> dict[str, _VoiceEntry]:
    """Voices named by their file ("gmw/en-US" -> "en-us"), which is unique
    where espeak's display names are not. MBROLA voices need an external
    program and are left out."""
    gender = {1: "male", 2: "female"}
    table = {}
    for name, ident, g, langs in _library().list_voices(variants):
        key = ident.rpartition("/")[2].lower()
        if not ident.startswith("mb/"):
            languages = () if variants else tuple(lang for _, lang in langs)
            info = VoiceInfo("espeak", key, languages, gender.get(g, ""), name)
            table[key] = _VoiceEntry(info, ident, {lang: p for p, lang in reversed(langs)})
    return table


def _raw_phones(marks: list[_Mark], n_samples: int) -> list[tuple[str, int, int]]:
    """(IPA name, start, end sample) per phoneme event; language switches
    ("(en)") and pauses become silence, zero-length events are dropped."""
    out = []
    ends = [m.sample for m in marks[1:]] + [n_samples]
    for m, end in zip(marks, ends, strict=True):
        if end > m.sample:
            out.append(("" if m.name.startswith("(") else ipa(m.name.strip()), m.sample, end))
    return out


_KIRSHENBAUM = {
    ".": {"s": "ʂ", "z": "ʐ", "i": "ɨ", "r": "ɽ", "n": "ɳ", "t": "ʈ", "d": "ɖ", "l": "ɭ"},
    "^": {"n": "ɲ", "l": "ʎ"},
}


def ipa(name: str) -> str:
    """Fix the few ASCII (Kirshenbaum) marks espeak-ng 1.51 leaves in its IPA
    names: "s." retroflex, "n^" palatal, "l#" voiceless, "tɕh"/"ph" aspirated."""
    base, mark = name[:-1], name[-1:]
    if base and mark in ".^-":
        name = _KIRSHENBAUM.get(mark, {}).get(base, base)
    elif base and mark == "#":
        name = base + "\u0325"
    elif base and mark == "h" and name[0] in _STOP_LETTERS:
        name = base + "ʰ"
    return name


def _word_spans(words: list[_Mark], raw: list[tuple[str, int, int]]
                ) -> list[tuple[_Mark, int, int]]:
    """Each word with the first and last index of its spoken phones. Word
    events inside the previous word's text (a number read as several words)
    extend that word."""
    merged: list[_Mark] = []
    for w in sorted(words, key=lambda m: m.sample):
        last = merged[-1] if merged else None
        if last and w.text_position < last.text_position + last.length:
            end = max(last.text_position + last.length, w.text_position + w.length)
            merged[-1] = _Mark(last.sample, "", last.text_position, end - last.text_position)
        else:
            merged.append(w)
    spans = []
    bounds = [w.sample for w in merged[1:]] + [1 << 62] * bool(merged)
    for w, bound in zip(merged, bounds, strict=True):
        mine = [i for i, (s, b, _) in enumerate(raw) if s and w.sample <= b < bound]
        if mine:
            spans.append((w, mine[0], mine[-1]))
    return spans


def _word_texts(text: str, spans: list[tuple[_Mark, int, int]]) -> list[tuple[str, int, int]]:
    """Word text from its (1-based, in characters) position in the input."""
    out = []
    for w, i, j in spans:
        word = text[w.text_position - 1:w.text_position - 1 + w.length]
        word = word.strip(" .,!?;:\"()[]{}。，！？；：、")
        if word:
            out.append((word, i, j))
    return out


def _corrected_starts(raw: list[tuple[str, int, int]], samples: np.ndarray, rate: int
                      ) -> list[int]:
    """Phone start samples with the two measured offsets removed (see module doc)."""
    starts = [b for _, b, _ in raw]
    shift = round(VOWEL_ONSET_SHIFT_S * rate)
    for k in range(1, len(raw)):
        sym, prev = raw[k][0], raw[k - 1]
        if not sym or not prev[0]:
            continue
        floor = prev[1] + (prev[2] - prev[1]) // 4  # the previous phone keeps a quarter
        if sym[0] in _STOP_LETTERS:
            starts[k] = _silence_start(samples, floor, starts[k])
        elif sym[0] in _VOWEL_LETTERS and prev[0][0] in _SONORANT_LETTERS:
            starts[k] = max(floor, starts[k] - shift)
    return starts


def _silence_start(samples: np.ndarray, floor: int, end: int) -> int:
    """Start of the run of exact zeros that ends at ``end``, not before ``floor``."""
    loud = np.flatnonzero(samples[floor:end])
    return floor + int(loud[-1]) + 1 if len(loud) else floor
