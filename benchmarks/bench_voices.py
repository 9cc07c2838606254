"""Intelligibility and speed of every English voice, plain and shaped as a face may ask.

    python3 benchmarks/bench_voices.py                  # all voices and shapings
    python3 benchmarks/bench_voices.py --quick          # plain voices only
    python3 benchmarks/bench_voices.py flite:rms ...    # only these voices

Word error rate: each of 30 Harvard sentences (IEEE 1969 lists 1-3, chosen to
be phonetically balanced) is synthesised through the speech stage exactly as
``facespeak say`` does (sentence -> engine -> shaping -> 22.05 kHz), then
recognised by the offline recogniser (PocketSphinx, its bundled US English
model; facespeak.evaluate.intelligibility); WER = all word edits / all
reference words. The recogniser is far weaker than a listener: compare the
rows with each other, not with human figures.

Speed: seconds of speech per second of synthesis (CPU time of this process
and its children, so other load on the machine does not count), and the
CPU seconds 30 s of speech costs. Festival's process start (once per
engine, ~0.35 s) is measured apart from it.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

from facespeak.evaluate.intelligibility import corpus_word_error_rate, recognize
from facespeak.speech import synthesize_sentences
from facespeak.speech.voices import ESPEAK, FESTIVAL, FLITE
from facespeak.text.harvard import HARVARD_SENTENCES
from facespeak.types import Sentence, VoiceParams

SHAPINGS = (
    VoiceParams(pitch_scale=0.85), VoiceParams(pitch_scale=1.2),
    VoiceParams(formant_scale=0.9), VoiceParams(formant_scale=1.12),
    VoiceParams(formant_scale=0.9, pitch_scale=0.85),
    VoiceParams(formant_scale=1.12, pitch_scale=1.2),
    VoiceParams(rate=1.2), VoiceParams(pitch_range=1.4),
)
"""Changes within what the face-conditioned voice asks for."""


def cpu_s() -> float:
    """CPU seconds used by this process, its finished children (flite) and its
    running ones (the Festival process lives on between sentences)."""
    own, children = (resource.getrusage(w) for w in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return (own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
            + sum(_live_cpu_s(pid) for pid in _live_children()))


def _live_children() -> list[int]:
    pid = os.getpid()
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _live_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:  # it ended meanwhile; RUSAGE_CHILDREN has it once reaped
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def measure(params: VoiceParams) -> tuple[float, float]:
    """(WER over HARVARD_SENTENCES, seconds of speech per CPU second of synthesis)."""
    heard = []
    speech_s = synth_s = 0.0
    for text in HARVARD_SENTENCES:
        start = cpu_s()
        speech = synthesize_sentences([Sentence(text, 0.0)], params, "en")
        synth_s += cpu_s() - start
        speech_s += speech.duration_s
        heard.append(recognize(speech.samples, speech.sample_rate))
    return corpus_word_error_rate(HARVARD_SENTENCES, heard), speech_s / synth_s


def shaping_label(p: VoiceParams) -> str:
    parts = [f"{name} {getattr(p, name):g}" for name in
             ("pitch_scale", "pitch_range", "formant_scale", "rate") if getattr(p, name) != 1.0]
    return ", ".join(parts) or "plain"


def main(argv: list[str]) -> None:
    voices = [f"festival:{v.name}" for v in FESTIVAL.voices()]
    voices += [f"flite:{v.name}" for v in FLITE.voices()]
    voices += ["espeak:en-us"] if ESPEAK.available() else []
    chosen = [a for a in argv if not a.startswith("--")]
    voices = [v for v in voices if not chosen or v in chosen]
    if FESTIVAL.voices():
        start = time.perf_counter()
        FESTIVAL.synthesize("Hello.", FESTIVAL.voices()[0].name)
        print(f"festival start (process + voice) and first sentence: "
              f"{time.perf_counter() - start:.2f} s wall")
    print(f"{'voice':18} {'shaping':34} {'WER':>6} {'x real time':>12} {'CPU s per 30 s':>15}")
    for voice in voices:
        shapings = [VoiceParams()]
        if "--quick" not in argv and voice in ("festival:slt-hts", "flite:rms"):
            shapings += list(SHAPINGS)
        for shaping in shapings:
            params = VoiceParams(voice, shaping.pitch_scale, shaping.pitch_range,
                                 shaping.formant_scale, shaping.rate)
            wer, speed = measure(params)
            print(f"{voice:18} {shaping_label(shaping):34} {wer:6.1%} {speed:12.1f} "
                  f"{30 / speed:15.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
