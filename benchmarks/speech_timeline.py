"""How well each engine's phone timeline matches its own audio, and how fast it is.

    python3 benchmarks/speech_timeline.py [-v] [voice ...]
    # default: festival:slt-hts, flite voices, espeak en-us; festival and rms
    # also shaped as a face may ask (formants, pitch, rate: see SHAPED)

Per voice, from the timeline that ``engine.synthesize`` returns:

* fricative: /s ʃ/ between vowels; where the high/low band energy ratio
  crosses half-way (1 ms hop) vs the labelled start and end. Onset and offset
  errors of a true shift have the same sign, detector bias has opposite
  signs, so (median onset + median offset) / 2 is the systematic offset.
* stops: /p t k b d g/ between vowels; the closure is the quiet run (within
  10 dB of the minimum energy); mean share of it inside the stop, and its
  start minus the stop's start. (Vowels fade before a closure, so an energy
  drop is no sharper marker.)
* nasals: /m n/ next to vowels; the release (steepest rise of 1-4 kHz
  energy) minus the vowel's start, and the closure (steepest fall) minus the
  vowel's end. Half-way crossings are biased here (formant transitions).
* pauses: share of pause-phone time (inside the sentence) that is quiet.
* speed: audio seconds per wall-clock second.
For espeak the raw event timeline (before corrections) is measured too.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.signal import stft

from facespeak.speech import EspeakEngine, FestivalEngine, FliteEngine
from facespeak.speech.espeak import _library, _raw_phones
from facespeak.speech.shape import speak
from facespeak.types import Phone, VoiceParams

FRICATIVE_TEXTS = (
    "She sees a bossy sister passing seashells to us at the seaside.",
    "Missus Sassy is so fussy, she sells lace and posies at the sea.",
    "The assassin kissed a massive glossy mossy rose in a basin.",
)
STOP_TEXTS = (
    "Peter picked a peck of pickled peppers at the top of a deep pit.",
    "A cat sat upon a pot; a tiny kitten took a cookie.",
    "I keep a happy puppy, apart from the papa copper kettle.",
)
SONORANT_TEXTS = (
    "My mother made many more melons for me.", "No one knows nine new nannies near Nome.",
    "Look, a long lane leads to a lovely lake.", "My name is Mary and I am new here.",
    "Many women in a lonely room remember Norman.", "Mommy made lemon jam on a warm morning.",
    "Nina and Molly will allow him a moment alone.",
)
VOWELS = set("aeiouæɐɑɒɔəɚɛɜɝɪʊʌ")
HOP_S = 0.001
VERBOSE = "-v" in sys.argv


def _is_vowel(p: Phone) -> bool:
    return bool(p.symbol) and p.symbol[0] in VOWELS


def _bands(x: np.ndarray, rate: int, lo: tuple[float, float], hi: tuple[float, float]):
    n = int(rate * 0.008)
    f, t, z = stft(x, rate, nperseg=n, noverlap=n - int(rate * HOP_S), boundary=None,
                   padded=False)
    power = np.abs(z) ** 2

    def band(b: tuple[float, float]) -> np.ndarray:
        return 10 * np.log10(power[(f > b[0]) & (f < b[1])].sum(0) + 1e-12)

    return band(hi), band(lo), t


def _steepest(curve: np.ndarray, t: np.ndarray, a: float, b: float, rising: bool) -> float:
    m = (t >= a) & (t <= b)
    slope = np.convolve(np.diff(curve[m]), np.ones(5) / 5, mode="same")
    k = int(np.argmax(slope) if rising else np.argmin(slope))
    return float(t[m][k] + t[m][k + 1]) / 2


def _crossing(curve: np.ndarray, t: np.ndarray, a: float, b: float) -> float:
    m = (t >= a) & (t <= b)
    seg, tt = curve[m], t[m]
    mid = (seg[0] + seg[-1]) / 2
    k = np.argmax(seg > mid) if seg[-1] > seg[0] else np.argmax(seg < mid)
    return float(tt[k])


def _triples(phones: tuple[Phone, ...]):
    for i in range(1, len(phones) - 1):
        yield phones[i - 1], phones[i], phones[i + 1]


def fricative_errors(speeches) -> tuple[float, float]:
    onsets, offsets = [], []
    for s in speeches:
        hi, lo, t = _bands(s.samples, s.sample_rate, (100, 1500), (3500, 11000))
        ratio = hi - lo
        for prev, p, nxt in _triples(s.phones):
            if p.symbol in ("s", "ʃ") and _is_vowel(prev) and _is_vowel(nxt):
                mid = (p.start_s + p.end_s) / 2
                onsets.append(_crossing(ratio, t, (prev.start_s + p.start_s) / 2, mid) - p.start_s)
                offsets.append(_crossing(ratio, t, mid, (p.end_s + nxt.end_s) / 2) - p.end_s)
    errors = np.abs(np.r_[onsets, offsets]) * 1000
    if VERBOSE:
        print(f"    /s ʃ/ onsets {np.median(onsets) * 1000:+.1f} ms, "
              f"offsets {np.median(offsets) * 1000:+.1f} ms (medians)")
    return (np.median(onsets) + np.median(offsets)) / 2 * 1000, float(np.percentile(errors, 90))


def _envelope_db(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Energy in dB per ~1 ms hop, and the time of each frame's centre."""
    win, hop = int(rate * 0.005), int(rate * HOP_S)
    frames = np.lib.stride_tricks.sliding_window_view(x, win)[::hop]
    rms = np.sqrt((frames ** 2).mean(1) + 1e-12)
    return 20 * np.log10(rms / rms.max()), (np.arange(len(rms)) * hop + win / 2) / rate


def _closure(db: np.ndarray, t: np.ndarray, a: float, b: float) -> tuple[float, float]:
    """The silent part of a stop: the run of frames within 10 dB of the minimum
    between ``a`` and ``b``, around the minimum."""
    idx = np.flatnonzero((t >= a) & (t <= b))
    seg = db[idx]
    k = lo = hi = int(np.argmin(seg))
    while lo > 0 and seg[lo - 1] < seg[k] + 10:
        lo -= 1
    while hi < len(seg) - 1 and seg[hi + 1] < seg[k] + 10:
        hi += 1
    return float(t[idx[lo]]), float(t[idx[hi]])


def stop_errors(speeches) -> tuple[float, float]:
    """Mean share of each closure inside its stop; median closure start - stop start."""
    shares, starts = [], []
    for s in speeches:
        db, t = _envelope_db(s.samples, s.sample_rate)
        for prev, p, nxt in _triples(s.phones):
            if p.symbol in ("p", "t", "k", "b", "d", "ɡ") and _is_vowel(prev) and _is_vowel(nxt):
                c0, c1 = _closure(db, t, (prev.start_s + p.start_s) / 2, (p.end_s + nxt.end_s) / 2)
                overlap = min(c1, p.end_s) - max(c0, p.start_s)
                shares.append(max(overlap, 0.0) / max(c1 - c0, HOP_S))
                starts.append(c0 - p.start_s)
    return float(np.mean(shares)), float(np.median(starts) * 1000)


def nasal_errors(speeches) -> tuple[float, float]:
    releases, closures = [], []
    for s in speeches:
        band, _, t = _bands(s.samples, s.sample_rate, (0, 1), (1000, 4000))
        for prev, p, nxt in _triples(s.phones):
            if _is_vowel(p) and prev.symbol in ("m", "n"):
                a, b = (prev.start_s + p.start_s) / 2, (p.start_s + p.end_s) / 2
                releases.append(_steepest(band, t, a, b, rising=True) - p.start_s)
            if _is_vowel(p) and nxt.symbol in ("m", "n"):
                a, b = (p.start_s + p.end_s) / 2, (nxt.start_s + nxt.end_s) / 2
                closures.append(_steepest(band, t, a, b, rising=False) - p.end_s)
    return float(np.median(releases) * 1000), float(np.median(closures) * 1000)


def quiet_pauses(speeches) -> float:
    quiet = total = 0.0
    for s in speeches:
        db, t = _envelope_db(s.samples, s.sample_rate)
        for p in s.phones[1:-1]:
            if not p.symbol:
                seg = db[(t >= p.start_s) & (t < p.end_s)]
                quiet += float((seg < -35).sum())
                total += len(seg)
    return quiet / total if total else float("nan")


def report(label: str, speeches: dict[str, list], speed: float) -> None:
    systematic, p90 = fricative_errors(speeches["fric"])
    inside, drop = stop_errors(speeches["stop"])
    release, closure = nasal_errors(speeches["son"])
    print(f"{label:18} fricative {systematic:+5.1f} ms (|err| p90 {p90:4.1f})  "
          f"stop closures {inside:4.0%} inside, start {drop:+5.1f} ms  "
          f"nasal release {release:+5.1f}, closure {closure:+5.1f} ms  "
          f"quiet pauses {quiet_pauses(speeches['stop'] + speeches['son']):4.0%}  "
          f"{speed:5.0f}x real time")


def _espeak_raw(text: str, voice: str):
    """The uncorrected event timeline, for comparison."""
    from facespeak.speech.base import close_timeline, pcm16_to_float
    from facespeak.types import Speech

    lib = _library()
    pcm, marks, _ = lib.synth(text, voice)
    x, rate = pcm16_to_float(pcm), lib.sample_rate
    phones = [Phone(s, a / rate, b / rate) for s, a, b in _raw_phones(marks, len(x))]
    return Speech(x, rate, close_timeline(phones, len(x) / rate), ())


def measure(engine, voice: str, raw: bool = False, params: VoiceParams | None = None) -> None:
    groups = {"fric": FRICATIVE_TEXTS, "stop": STOP_TEXTS, "son": SONORANT_TEXTS}
    start, audio = time.perf_counter(), 0.0
    speeches = {}
    for key, texts in groups.items():
        if raw:
            speeches[key] = [_espeak_raw(t, engine._voice_id(voice)) for t in texts]
        elif params is not None:
            speeches[key] = [speak(engine, t, voice, "en", params) for t in texts]
        else:
            speeches[key] = [engine.synthesize(t, voice, "en") for t in texts]
        audio += sum(s.duration_s for s in speeches[key])
    label = f"{engine.name}:{voice}" + (" (raw)" if raw else "") + _shaping(params)
    report(label, speeches, audio / (time.perf_counter() - start))


def _shaping(params: VoiceParams | None) -> str:
    if params is None:
        return ""
    return f" f{params.formant_scale:g} p{params.pitch_scale:g} r{params.rate:g}"


SHAPED = (VoiceParams(formant_scale=0.9, pitch_scale=0.85),
          VoiceParams(formant_scale=1.12, pitch_scale=1.2),
          VoiceParams(rate=1.25))
"""Changes a face may ask for; after them the timeline must still fit the audio."""


def main(argv: list[str]) -> None:
    flite, espeak, festival = FliteEngine(), EspeakEngine(), FestivalEngine()
    voices = argv or ([f"festival:{v.name}" for v in festival.voices()]
                      + [v.name for v in flite.voices()] + ["en-us"])
    for voice in voices:
        if voice.startswith("festival:") and festival.available():
            measure(festival, voice.partition(":")[2])
            for params in SHAPED:
                measure(festival, voice.partition(":")[2], params=params)
        elif flite.available() and voice in {v.name for v in flite.voices()}:
            measure(flite, voice)
            if voice == "rms":
                for params in SHAPED:
                    measure(flite, voice, params=params)
        elif espeak.available():
            measure(espeak, voice, raw=True)
            measure(espeak, voice)


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if a != "-v"])
