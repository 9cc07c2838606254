"""Festival (2.5) with its HTS voice, through one long-running ``festival --pipe``.

Festival starts in ~0.35 s (loading the voice), longer than it takes to
synthesise a sentence, so one process per engine serves every sentence and
request (started on first use, behind a lock, ended with the engine or the
interpreter). Each sentence is one Scheme call that synthesises an
utterance, writes its waveform and prints its segments with their end times
and its tokens with their words' start and end times.

The HTS voice's segment times are hts_engine's own state durations, in whole
5 ms frames of the very parameters it vocodes: the last segment ends exactly
where the audio does. Measured against the audio (benchmarks/speech_timeline.py,
medians): nasal releases and closures within 2 ms of the vowel boundaries,
stop closures inside their stops (99 %), quiet pauses 98 %. One systematic
offset is corrected: /s ʃ/ hiss starts 27 ms after the label (flite: 14 ms,
the detector's own lag) and ends 5 ms before it, so sibilants after a sound
start 13 ms later (systematic offset +11 -> +4.5 ms). Phone names are the
same ARPAbet-like set flite uses and go through its IPA map.

Prosody: the rate is hts_engine's own speed option (``-r``, scales the state
durations); pitch comes from a copy of the voice with its log-F0 model
moved (``htsvoice.py``), one file per pitch setting, kept in the engine's
temporary folder.
"""

from __future__ import annotations

import functools
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path

import numpy as np

from facespeak.errors import EngineFailed, EngineMissing, UnknownVoice
from facespeak.speech.base import NEUTRAL, Prosody, close_timeline, is_content_word
from facespeak.speech.flite import SILENCE, read_wav, to_ipa
from facespeak.speech.htsvoice import write_pitched_voice
from facespeak.types import Phone, Speech, VoiceInfo, Word

VOICES: tuple[VoiceInfo, ...] = (
    VoiceInfo("festival", "slt-hts", ("en", "en-us"), "female",
              "US English, female, HMM-based (HTS), formants 10 % lower; the most intelligible"),
)
_SCHEME_VOICES = {"slt-hts": "cmu_us_slt_arctic_hts"}
_MISSING = "festival is not installed: apt-get install festival festvox-us-slt-hts"
_TIMEOUT_S = 120.0
SIBILANT_ONSET_SHIFT_S = 0.013
_SIBILANTS = frozenset({"s", "z", "sh", "zh"})
_END = "FACESPEAK-END"
# Defined once per process. facespeak_model: the voice's own HTS model file.
# facespeak_say: select the voice (only when it changes), point hts_engine at
# a model and speed, synthesise, report.
_PRELUDE = r"""
(define (facespeak_words tok)
  (if tok
      (begin
        (format t "T\t%s\n" (item.name tok))
        (mapcar (lambda (w)
                  (format t "W\t%f\t%f\n"
                          (item.feat w "R:SylStructure.daughter1.daughter1.segment_start")
                          (item.feat w "word_end")))
                (item.daughters tok))
        (facespeak_words (item.next tok)))))
(set! facespeak_voice nil)
(define (facespeak_load voice)
  (eval (list (intern (string-append "voice_" voice))))
  (set! facespeak_voice voice))
(define (facespeak_select voice)
  (if (not (equal? facespeak_voice voice)) (facespeak_load voice)))
(define (facespeak_model voice)
  (facespeak_load voice)
  (format t "M\t%s\n" (cadr (assoc_string "-m" hts_engine_params))))
(define (facespeak_say voice model model_key speed text wav)
  (facespeak_select voice)
  (set! hts_engine_params (list (list "-m" model) (list "-r" speed)))
  (set! current-voice model_key)
  (let ((utt (utt.synth (eval (list 'Utterance 'Text text)))))
    (utt.save.wave utt wav 'riff)
    (mapcar (lambda (s) (format t "S\t%s\t%f\n" (item.name s) (item.feat s "end")))
            (utt.relation.items utt 'Segment))
    (facespeak_words (utt.relation.first utt 'Token))))
"""


class FestivalEngine:
    """Festival's HTS voices (``slt-hts``), English."""

    name = "festival"

    def __init__(self, binary: str = "festival") -> None:
        self.binary = binary
        self._lock = threading.Lock()
        self._session: _Session | None = None

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def voices(self) -> tuple[VoiceInfo, ...]:
        if not self.available():
            return ()
        installed = _installed_voices(self.binary)
        return tuple(v for v in VOICES if _SCHEME_VOICES[v.name] in installed)

    def synthesize(self, text: str, voice: str, language: str = "en",
                   prosody: Prosody = NEUTRAL) -> Speech:
        if not self.available():
            raise EngineMissing(_MISSING)
        if voice not in {v.name for v in self.voices()}:
            names = ", ".join(v.name for v in self.voices()) or "none installed"
            raise UnknownVoice(f"festival has no voice {voice!r}; its voices: {names}")
        with self._lock:
            try:
                samples, rate, out = self._live_session().say(_SCHEME_VOICES[voice], text,
                                                              prosody)
            except EngineFailed:
                if self._session is not None and self._session.alive():
                    raise  # Festival refused this sentence: a fresh process would too
                # The process died. Its HTS engine can crash (SIGSEGV) after many
                # pitch-model switches in one process; a fresh one speaks the sentence.
                samples, rate, out = self._live_session().say(_SCHEME_VOICES[voice], text,
                                                              prosody)
        segments, tokens = parse_report(out)
        segments = delay_sibilant_onsets(segments)
        duration = len(samples) / rate
        words = tuple(Word(token, start, end, is_content_word(token, language))
                      for token, start, end in tokens)
        phones = close_timeline((to_ipa(p) for p in segments), duration)
        return Speech(samples, rate, phones, words, self.name, voice, language)

    def warm_up(self, voice: str = "slt-hts") -> None:
        """Start Festival and load ``voice`` now (0.6 s together), e.g. while
        the face is being found, so the first sentence does not wait for them."""
        if self.available() and voice in {v.name for v in self.voices()}:
            with self._lock:
                self._live_session().model(_SCHEME_VOICES[voice], NEUTRAL)

    def _live_session(self) -> _Session:
        if self._session is None or not self._session.alive():
            self.close_session()
            self._session = _Session(self.binary)
            weakref.finalize(self, self._session.close)
        return self._session

    def close(self) -> None:
        """End the Festival process (a later call starts a new one)."""
        with self._lock:
            self.close_session()

    def close_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


class _Session:
    """A Festival process, its working folder and the pitch-moved models in it."""

    def __init__(self, binary: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="facespeak-festival-"))
        try:
            self.process = _FestivalProcess(binary)
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self.models: dict[tuple[str, float, float], tuple[str, str]] = {}

    def alive(self) -> bool:
        return self.process.alive()

    def say(self, scheme_voice: str, text: str, prosody: Prosody
            ) -> tuple[np.ndarray, int, str]:
        """Samples, sample rate and Festival's report of one sentence."""
        model, key = self.model(scheme_voice, prosody)
        wav = self.folder / "sentence.wav"
        out = self.process.call(f"(facespeak_say {_quote(scheme_voice)} {_quote(model)} '{key} "
                                f"{prosody.rate:.6f} {_quote(text)} {_quote(str(wav))})")
        samples, rate = read_wav(wav)
        return samples, rate, out

    def model(self, scheme_voice: str, prosody: Prosody) -> tuple[str, str]:
        """The HTS model file for a pitch setting, and the symbol hts_engine
        caches it under (it reloads only when that symbol changes)."""
        setting = (scheme_voice, round(prosody.pitch_scale, 4), round(prosody.pitch_range, 4))
        if setting not in self.models:
            source = Path(_single_line(self.process.call(
                f"(facespeak_model {_quote(scheme_voice)})"), "M"))
            key = f"facespeak_model_{len(self.models)}"
            path = source
            if setting[1:] != (1.0, 1.0):
                path = self.folder / f"{key}.htsvoice"
                write_pitched_voice(source, path, *setting[1:])
            self.models[setting] = (str(path), key)
        return self.models[setting]

    def close(self) -> None:
        self.process.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class _FestivalProcess:
    """One ``festival --pipe``: Scheme in, printed lines out up to an end marker."""

    def __init__(self, binary: str) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
        try:
            self._proc = subprocess.Popen([binary, "--pipe"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=self._stderr)
        except FileNotFoundError as e:
            raise EngineMissing(_MISSING) from e
        self._stdin, self._stdout = _fd(self._proc.stdin), _fd(self._proc.stdout)
        self.call(_PRELUDE)

    def alive(self) -> bool:
        return self._proc.poll() is None

    def call(self, scheme: str) -> str:
        """Run ``scheme``; its output, or EngineFailed with Festival's error."""
        request = (f'(unwind-protect (begin {scheme} (format t "OK\\n")) '
                   f'(format t "FAILED\\n"))\n(format t "{_END}\\n")\n(fflush nil)\n')
        errors_from = self._stderr.seek(0, os.SEEK_END)
        try:
            os.write(self._stdin, request.encode("utf-8"))
            out = self._read_until_end()
        except (OSError, EngineFailed) as e:
            reason = self._errors(errors_from) or str(e)
            self.close()
            raise EngineFailed(f"festival stopped: {reason}") from e
        if not out.endswith("OK\n"):
            raise EngineFailed(f"festival failed: {self._errors(errors_from) or 'no reason given'}")
        return out[:-3]

    def _read_until_end(self) -> str:
        fd, chunks, deadline = self._stdout, b"", time.monotonic() + _TIMEOUT_S
        marker = f"{_END}\n".encode()
        while not chunks.endswith(marker):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise EngineFailed(f"it took over {_TIMEOUT_S:.0f} s")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EngineFailed("it exited")
            chunks += chunk
        return chunks[:-len(marker)].decode("utf-8", "replace")

    def _errors(self, start: int) -> str:
        """The last line Festival wrote to stderr since ``start``."""
        self._stderr.seek(start)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1][:300] if lines else ""

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()


def _fd(stream) -> int:
    if stream is None:
        raise EngineFailed("festival started without its pipes")
    return stream.fileno()


@functools.cache
def _installed_voices(binary: str) -> frozenset[str]:
    try:
        done = subprocess.run([binary, "--pipe"], input='(format t "%l\\n" (voice.list))\n',
                              capture_output=True, text=True, timeout=_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(done.stdout.strip().strip("()").split())


def _quote(text: str) -> str:
    """A Scheme string literal (newlines become spaces)."""
    text = " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _single_line(out: str, tag: str) -> str:
    for line in out.splitlines():
        if line.startswith(tag + "\t"):
            return line[len(tag) + 1:]
    raise EngineFailed(f"festival printed no {tag!r} line")


def delay_sibilant_onsets(segments: list[Phone]) -> list[Phone]:
    """Start each /s z ʃ ʒ/ after a sound ``SIBILANT_ONSET_SHIFT_S`` later (at most
    half-way into it): the hiss begins that much after HTS's boundary (see module doc)."""
    out = list(segments)
    for i in range(1, len(out)):
        prev, seg = out[i - 1], out[i]
        if seg.symbol in _SIBILANTS and prev.symbol not in SILENCE:
            t = seg.start_s + min(SIBILANT_ONSET_SHIFT_S, (seg.end_s - seg.start_s) / 2)
            out[i - 1] = Phone(prev.symbol, prev.start_s, t)
            out[i] = Phone(seg.symbol, t, seg.end_s)
    return out


def parse_report(out: str) -> tuple[list[Phone], list[tuple[str, float, float]]]:
    """Segments (``S name end``) as phones, and each token (``T name``) with the
    span of its words (``W start end``); tokens without spoken words (punctuation)
    are left out."""
    segments: list[Phone] = []
    tokens: list[tuple[str, list[tuple[float, float]]]] = []
    for line in out.splitlines():
        tag, *fields = line.split("\t")
        if tag == "S":
            start = segments[-1].end_s if segments else 0.0
            segments.append(Phone(fields[0], start, float(fields[1])))
        elif tag == "T":
            tokens.append((fields[0], []))
        elif tag == "W" and tokens and float(fields[1]) > float(fields[0]):
            tokens[-1][1].append((float(fields[0]), float(fields[1])))
    return segments, [(name, spans[0][0], spans[-1][1]) for name, spans in tokens if spans]
