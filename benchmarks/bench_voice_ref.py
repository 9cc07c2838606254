"""--voice-ref: how close conversion brings the voice to real speakers, what it
costs in intelligibility, and how fast it is.

    python3 benchmarks/bench_voice_ref.py            # everything (~6 min on 2 cores)
    python3 benchmarks/bench_voice_ref.py --quick    # separation and speed only

References (../shared/fixtures/real, decoded here, never copied): the male
radio recording and the female news clip's audio track, 8 s each. The first
half (4 s) is the reference; the speaker distance is measured to the held-out
second half. The 20 Harvard sentences are spoken as one utterance each way:

    plain      no conversion: the base voice voice_params_for picks, nothing applied
    shaped     voice_params_for: base voice of the profile's gender, engine pitch/range/rate
    converted  shaped, then convert_speech
    + warp     converted with formant_warp=True

WER: PocketSphinx (facespeak.evaluate.intelligibility), all word edits over all
reference words, sentence by sentence. Distance: facespeak.voice.distance
(0 = identical statistics; timbre = MFCC part, pitch = log-F0 part).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from facespeak.evaluate.voice_reference import TEST_SENTENCES, halves, measure_voice_reference
from facespeak.media.audio import read_audio
from facespeak.speech import synthesize_sentences
from facespeak.text import normalize_text
from facespeak.voice.analysis import track_f0
from facespeak.voice.convert import convert_speech, pitch_is_off
from facespeak.voice.distance import speaker_distance
from facespeak.voice.reference import voice_params_for, voice_profile_from_samples

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
RECORDINGS = {"male radio": "speech_male_radio.wav", "female news": "talking_news_clip.mp4",
              "female news 2": "talking_news_clip_2.mp4"}
CASES = (("male radio", None), ("female news", None), ("female news", "flite:rms"))
LONG_TEXT = " ".join(TEST_SENTENCES)  # about 50 s of speech; the first 30 s are timed


def load(label: str) -> tuple[np.ndarray, int]:
    return read_audio(REAL / RECORDINGS[label])


def separation() -> None:
    print("\nSpeaker distance between real recordings: first half (rows) to second half (columns)")
    cut = {}
    for label in RECORDINGS:
        samples, rate = load(label)
        cut[label] = (*halves(samples), rate)
    print(f"{'':16}" + "".join(f"{label:>15}" for label in cut))
    for a, (first, _, rate_a) in cut.items():
        row = [speaker_distance(first, rate_a, second, rate_b) for _, second, rate_b in cut.values()]
        print(f"{a:16}" + "".join(f"{d:15.3f}" for d in row))


def conversion_table() -> None:
    print("\nConversion toward real speakers (distance to the held-out second half)")
    print(f"{'reference':14} {'base voice':18} {'speech':10} {'distance':>8} {'timbre':>7} "
          f"{'pitch':>7} {'WER':>6}")
    for label, voice in CASES:
        samples, rate = load(label)
        result = measure_voice_reference(samples, rate, RECORDINGS[label], voice=voice,
                                         formant_warp=True)
        base = result.params.voice or "default"
        floor = result.same_speaker
        print(f"{label:14} {'(same speaker)':18} {'1st half':10} {floor.total:8.3f} "
              f"{floor.timbre:7.3f} {floor.pitch:7.3f} {'':>6}")
        for spoken in (result.plain, result.shaped, result.converted, result.warped):
            name = "+ warp" if spoken is result.warped else spoken.label
            d = spoken.distance
            print(f"{label:14} {base:18} {name:10} {d.total:8.3f} {d.timbre:7.3f} "
                  f"{d.pitch:7.3f} {spoken.word_error_rate:6.1%}")
        print(f"{'':14} {result.params.reason}")
        print(f"{'':14} distance shrinks {result.shrink:.0%} from plain; WER converted - plain "
              f"{100 * (result.converted.word_error_rate - result.plain.word_error_rate):+.1f} "
              f"points, converted - shaped "
              f"{100 * (result.converted.word_error_rate - result.shaped.word_error_rate):+.1f}")


def speed() -> None:
    print("\nSpeed (CPU seconds of this process; wall in brackets)")
    samples, rate = load("male radio")
    reference = halves(samples)[0]
    cpu, wall = time.process_time(), time.perf_counter()
    profile = voice_profile_from_samples(reference, rate, "radio")
    print(f"  profile of a 4 s reference      {time.process_time() - cpu:6.2f} s "
          f"({time.perf_counter() - wall:.2f} s)")
    cpu, wall = time.process_time(), time.perf_counter()
    params = voice_params_for(profile)
    print(f"  voice_params_for (2 syntheses)  {time.process_time() - cpu:6.2f} s "
          f"({time.perf_counter() - wall:.2f} s; engine subprocesses not in CPU)")
    shaped = synthesize_sentences(normalize_text(LONG_TEXT), params, "en")
    plain = synthesize_sentences(normalize_text(LONG_TEXT), None, "en")
    for label, speech in (("shaped (filter only)", shaped), ("plain (needs vocoder)", plain)):
        x = speech.samples[:30 * speech.sample_rate]
        clip = type(speech)(x, speech.sample_rate, (), ())
        path = "vocoder" if pitch_is_off(track_f0(x.astype(np.float64), speech.sample_rate),
                                         profile) else "filter"
        cpu, wall = time.process_time(), time.perf_counter()
        convert_speech(clip, profile)
        seconds = len(x) / speech.sample_rate
        print(f"  convert_speech, {seconds:4.1f} s {label:22} real-time factor "
              f"{(time.process_time() - cpu) / seconds:.3f} CPU "
              f"({(time.perf_counter() - wall) / seconds:.3f} wall) [{path}]")


def main() -> None:
    if not REAL.is_dir():
        sys.exit(f"real fixtures not found at {REAL}")
    separation()
    speed()
    if "--quick" not in sys.argv:
        conversion_table()


if __name__ == "__main__":
    main()
