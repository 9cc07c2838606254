"""Speed of the calibrated sync detector (``facespeak.evaluate.sync``), printed
as figures (not a test).

    python benchmarks/bench_sync.py [VIDEO ...]

Default videos: the two real 8 s clips in ../shared/fixtures/real. Each video's
Face Mesh pass runs once first (that cost belongs to the evaluation's video
pass, see bench_eval.py); then, best of ``--repeats`` runs, the seconds of:
phone recognition (PocketSphinx all-phone search), everything else with the
phones given (features, 51-lag held-out regression), and ``measure_sync``
as a whole; with the real-time factor (clip seconds per wall-clock second).
CPU time (this process, all threads) is printed beside the wall time: on a
shared machine it is the steadier figure.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

REAL = Path(__file__).resolve().parents[2] / "shared/fixtures/real"


def best_of(repeats: int, fn) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``repeats`` runs."""
    runs = []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs)


def report(video: Path, repeats: int) -> None:
    from facespeak.evaluate.phonetics import recognize_phones
    from facespeak.evaluate.sync import ANALYSIS_RATE, _resampled, measure_sync
    from facespeak.evaluate.video import track_video

    track = track_video(video)
    samples = _resampled(track.audio, track.sample_rate)
    recognize_phones(samples, ANALYSIS_RATE)  # loads the model once
    phones = recognize_phones(samples, ANALYSIS_RATE)
    figures = {
        "phone recognition": lambda: recognize_phones(samples, ANALYSIS_RATE),
        "the rest, phones given": lambda: measure_sync(
            track.landmarks_px, track.audio, track.sample_rate, track.fps, phones),
        "measure_sync, whole": lambda: measure_sync(
            track.landmarks_px, track.audio, track.sample_rate, track.fps),
    }
    print(f"{video.name}: {track.duration_s:.1f} s, {track.n_frames} frames, {len(phones)} phones")
    for label, fn in figures.items():
        wall, cpu = best_of(repeats, fn)
        print(f"  {label:24} {wall * 1000:6.0f} ms wall ({cpu * 1000:4.0f} ms CPU)  "
              f"{track.duration_s / wall:6.1f}x real time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", type=Path,
                        default=[REAL / "talking_news_clip.mp4", REAL / "talking_news_clip_2.mp4"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for video in args.videos:
        report(video, args.repeats)
    print(f"(numpy {np.__version__}; best of {args.repeats} runs each)")


if __name__ == "__main__":
    main()
