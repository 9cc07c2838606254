"""flite (CMU Flite 2.x) through its command-line program.

Phones: ``-psdur`` prints each segment with its *end* time; ARPAbet is mapped
to IPA. Words: flite prints either segments or words per run, never which
word owns which segment, so flite's ``t2p`` (its front end without a
waveform, ~5 ms, started in parallel) reads the sentence's words as one-word
sentences; that gives each word's phones from flite's own lexicon and
letter-to-sound rules, and a sequence alignment (``difflib``) of those
phones to the sentence's segments assigns each segment to a word. The
alignment tolerates the few context effects (e.g. "the" -> "dh iy" before a
vowel) where a word in context differs from the word alone.

Prosody: the rate through ``duration_stretch``; pitch through the
``int_f0_target_*`` features for slt, awb and kal16, and afterwards
(``pitch.py``, TD-PSOLA) for rms, which ignores them.

Measured against the audio (benchmarks/speech_timeline.py; medians, 16 kHz):
the clustergen voices' (rms, slt, awb) last segment ends within 5 ms of the
audio; /s ʃ/ labels sit within 6 ms of where the hiss starts and stops
(90 % of single boundaries within 14-22 ms); nasal closures and releases are
within 6 ms of the vowel boundaries; stop closures lie inside their stops
(100 %; slt 88 %). There is no systematic offset to correct. kal16 (diphone)
cuts its final pause ~115 ms short of the times it prints, so phones are
clipped to the audio.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from facespeak.errors import EngineFailed, EngineMissing, UnknownVoice
from facespeak.speech.base import NEUTRAL, Prosody, close_timeline, is_content_word, pcm16_to_float
from facespeak.speech.pitch import shift_pitch
from facespeak.types import Phone, Speech, VoiceInfo, Word

VOICES: tuple[VoiceInfo, ...] = (
    VoiceInfo("flite", "rms", ("en", "en-us"), "male",
              "US English, male (the most intelligible male voice)"),
    VoiceInfo("flite", "slt", ("en", "en-us"), "female", "US English, female"),
    VoiceInfo("flite", "awb", ("en", "en-gb-scotland"), "male", "Scottish English, male"),
    VoiceInfo("flite", "kal16", ("en", "en-us"), "male", "US English, male, diphone"),
)
_MISSING = "flite is not installed: install flite (apt-get install flite)"
_TIMEOUT_S = 120.0
# The clustergen voices' own F0 mean and standard deviation in Hz (cst_cg_db
# f0_mean, f0_stddev in their libraries; kal16: its int_f0_target_* features):
# flite maps F0 from these to the int_f0_target_* it is given. rms ignores
# those targets (measured), so its pitch is changed afterwards (pitch.py).
_F0_HZ = {"slt": (172.0, 27.0), "awb": (132.0, 25.0), "kal16": (95.0, 11.0)}
_DURATION_STRETCH = {"kal16": 1.1}
"""Voices whose own duration_stretch is not 1 (from their libraries)."""
SILENCE = frozenset({"pau", "h#", "brth"})
ARPABET_TO_IPA = {
    "aa": "ɑ", "ae": "æ", "ah": "ʌ", "ao": "ɔ", "aw": "aʊ", "ax": "ə", "axr": "ɚ",
    "ay": "aɪ", "b": "b", "ch": "tʃ", "d": "d", "dh": "ð", "dx": "ɾ", "eh": "ɛ",
    "el": "l̩", "em": "m̩", "en": "n̩", "er": "ɝ", "ey": "eɪ", "f": "f", "g": "ɡ",
    "hh": "h", "ih": "ɪ", "ix": "ɨ", "iy": "i", "jh": "dʒ", "k": "k", "l": "l",
    "m": "m", "n": "n", "ng": "ŋ", "nx": "ɾ̃", "ow": "oʊ", "oy": "ɔɪ", "p": "p",
    "r": "ɹ", "s": "s", "sh": "ʃ", "t": "t", "th": "θ", "uh": "ʊ", "uw": "u",
    "v": "v", "w": "w", "wh": "ʍ", "y": "j", "z": "z", "zh": "ʒ",
}


class FliteEngine:
    """English voices of the ``flite`` program."""

    name = "flite"

    def __init__(self, binary: str = "flite") -> None:
        self.binary = binary

    def warm_up(self) -> None:
        """Nothing is slow to start."""

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def voices(self) -> tuple[VoiceInfo, ...]:
        if not self.available():
            return ()
        installed = _installed_voices(self.binary)
        return tuple(v for v in VOICES if v.name in installed)

    def synthesize(self, text: str, voice: str, language: str = "en",
                   prosody: Prosody = NEUTRAL) -> Speech:
        if not self.available():
            raise EngineMissing(_MISSING)
        if voice not in {v.name for v in self.voices()}:
            names = ", ".join(v.name for v in self.voices())
            raise UnknownVoice(f"flite has no voice {voice!r}; its voices: {names}")
        tokens = spoken_tokens(text)
        samples, rate, segments, lexicon = self._run(one_utterance(text), tokens, voice, prosody)
        if voice not in _F0_HZ:
            samples = shift_pitch(samples, rate, prosody.pitch_scale, prosody.pitch_range)
        duration = len(samples) / rate
        words = align_words(tokens, lexicon, segments, language)
        phones = close_timeline((to_ipa(p) for p in segments), duration)
        return Speech(samples, rate, phones, words, self.name, voice, language)

    def _run(self, text: str, tokens: list[str], voice: str, prosody: Prosody = NEUTRAL
             ) -> tuple[np.ndarray, int, list[Phone], list[list[str]]]:
        """Synthesise (with segment times) and, in parallel, look up each word's
        phones alone (t2p: flite's front end without a waveform)."""
        with tempfile.TemporaryDirectory(prefix="facespeak-flite-") as tmp:
            text_file, wav = Path(tmp) / "text.txt", Path(tmp) / "a.wav"
            text_file.write_text(text, encoding="utf-8")
            synth = [self.binary, "-voice", voice, *_prosody_options(voice, prosody), "-psdur",
                     "-f", str(text_file), "-o", str(wav)]
            # Each word as its own sentence: t2p puts a pause between them.
            # (A leading space: a first word starting with "-" is no option.)
            lookup = [self._t2p(), " " + ". ".join(tokens) + "."]
            synth_out, lex_out = _run_all([synth, lookup])
            samples, rate = read_wav(wav)
        lexicon = parse_t2p(lex_out)
        if len(lexicon) != len(tokens):  # t2p joined some (letters "U S A" read as one)
            lexicon = [list(itertools.chain.from_iterable(parse_t2p(out))) for out in
                       _run_all([[self._t2p(), " " + token] for token in tokens])]
        return samples, rate, parse_psdur(synth_out), lexicon

    def _t2p(self) -> str:
        """flite's t2p program, beside the flite program."""
        found = shutil.which(self.binary)
        beside = Path(found).with_name("t2p") if found else None
        return str(beside) if beside and beside.exists() else "t2p"


def _prosody_options(voice: str, prosody: Prosody) -> list[str]:
    """flite features for a rate and (where the voice honours it) pitch."""
    options = []
    stretch = _DURATION_STRETCH.get(voice, 1.0) / prosody.rate
    if stretch != _DURATION_STRETCH.get(voice, 1.0):
        options += ["--setf", f"duration_stretch={stretch:.5f}"]
    if voice in _F0_HZ and (prosody.pitch_scale, prosody.pitch_range) != (1.0, 1.0):
        mean, stddev = _F0_HZ[voice]
        spread = stddev * prosody.pitch_scale * prosody.pitch_range
        options += ["--setf", f"int_f0_target_mean={mean * prosody.pitch_scale:.3f}",
                    "--setf", f"int_f0_target_stddev={spread:.3f}"]
    return options


def parse_t2p(output: str) -> list[list[str]]:
    """``pau hh ax l ow1 pau w er1 l d pau`` -> each word's phones (stress digits
    dropped), words being the runs between pauses."""
    words: list[list[str]] = [[]]
    for phone in output.split():
        if phone in SILENCE:
            words.append([])
        else:
            words[-1].append(phone.rstrip("012"))
    return [w for w in words if w]


@functools.cache
def _installed_voices(binary: str) -> frozenset[str]:
    out = _run_all([[binary, "-lv"]])[0]
    return frozenset(out.partition(":")[2].split())


def _run_all(commands: list[list[str]]) -> list[str]:
    """Run commands concurrently; their stdout, or EngineFailed with stderr.
    Whatever happens, no process is left running."""
    try:
        procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, text=True) for c in commands]
    except FileNotFoundError as e:
        raise EngineMissing(_MISSING) from e
    try:
        return [_output(cmd, proc) for cmd, proc in zip(commands, procs, strict=True)]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                proc.communicate()


def _output(cmd: list[str], proc: subprocess.Popen[str]) -> str:
    try:
        out, err = proc.communicate(timeout=_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise EngineFailed(f"flite took over {_TIMEOUT_S:.0f} s: {' '.join(cmd[:4])}") from None
    if proc.returncode != 0:
        detail = f": {err.strip()[:300]}" if err.strip() else ""
        raise EngineFailed(f"flite failed (exit {proc.returncode}){detail}")
    return out


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit mono WAV -> float32 samples and rate."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, pcm = w.getframerate(), w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as e:
        raise EngineFailed(f"flite wrote no readable audio: {e}") from e
    return pcm16_to_float(np.frombuffer(pcm, dtype="<i2")), rate


def one_utterance(text: str) -> str:
    """Keep flite from splitting the sentence into several utterances (each
    would restart its segment times at 0): only the final mark may end it."""
    body, end = re.match(r"(.*?)([.!?;:]*)\s*$", " ".join(text.split()), re.DOTALL).groups()
    return re.sub(r"[.!?;:]+(?=\s|$)", ",", body) + end


def spoken_tokens(text: str) -> list[str]:
    """Whitespace-separated words, with surrounding punctuation removed."""
    tokens = (t.strip(".,!?;:\"()[]{}") for t in text.split())
    return [t for t in tokens if any(c.isalnum() for c in t)]


def parse_psdur(output: str) -> list[Phone]:
    """``pau:0.164 hh:0.255 ...`` (end times, one line per utterance) -> phones
    in flite's names, utterances laid end to end."""
    phones: list[Phone] = []
    for line in output.splitlines():
        offset = phones[-1].end_s if phones else 0.0
        start = offset
        for item in line.split():
            name, _, end = item.rpartition(":")
            phones.append(Phone(name, start, offset + float(end)))
            start = phones[-1].end_s
    return phones


def to_ipa(p: Phone) -> Phone:
    symbol = "" if p.symbol in SILENCE else ARPABET_TO_IPA.get(p.symbol, p.symbol)
    return Phone(symbol, p.start_s, p.end_s)


def align_words(tokens: list[str], lexicon: list[list[str]], segments: list[Phone],
                language: str) -> tuple[Word, ...]:
    """Words with times: each token's phones (read alone) aligned to the
    sentence's segments; tokens whose phones all failed to align are dropped."""
    spoken = [i for i, p in enumerate(segments) if p.symbol not in SILENCE]
    if len(lexicon) != len(tokens):  # cannot happen with the lookups above; be safe
        lexicon = [[p.symbol for p in segments if p.symbol not in SILENCE]]
        tokens = [" ".join(tokens)]
    owner = _owners([p for toks in lexicon for p in toks],
                    [i for i, toks in enumerate(lexicon) for _ in toks],
                    [segments[i].symbol for i in spoken])
    words = []
    for t, token in enumerate(tokens):
        mine = [segments[spoken[j]] for j, o in enumerate(owner) if o == t]
        if mine:
            words.append(Word(token, mine[0].start_s, mine[-1].end_s,
                              is_content_word(token, language)))
    return tuple(words)


def _owners(expected: list[str], expected_word: list[int], actual: list[str]) -> list[int]:
    """For each actual phone, the index of the word it belongs to."""
    owner = [0] * len(actual)
    if not expected:
        return owner
    matcher = difflib.SequenceMatcher(None, expected, actual, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for j in range(j1, j2):
            if tag == "insert":  # extra phones in context join the word before
                owner[j] = expected_word[max(i1 - 1, 0)]
            elif tag != "delete":
                owner[j] = expected_word[i1 + (j - j1) * (i2 - i1) // (j2 - j1)]
    return owner
