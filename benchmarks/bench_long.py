"""A long text, start to end: peak memory and audio-visual sync at the start and
at the end of a ~2-minute video (the lifelike-motion issue's "long input").

    python benchmarks/bench_long.py [--minutes 2]

Prints the video's length, the whole command's time and peak memory, and the
calibrated sync offset and confidence (facespeak eval's detector, with the
video's own phone timeline) on its first and last 10 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from facespeak.evaluate.sync import measure_sync
from facespeak.evaluate.video import track_video
from facespeak.motion.track import load_motion
from facespeak.types import Phone

PARAGRAPH = (
    "Good evening, and welcome to the news at six. Tonight, the city council approved a plan "
    "to build three new parks along the river, at a cost of about twelve million dollars. "
    "Work will begin in the spring, and the first park should open before the end of next year. "
    "In other news, the local football team won its fourth game in a row on Saturday, "
    "and the weather will stay mild and sunny through the weekend. "
)
WINDOW_S = 10.0
_MEASURED = ("import re, sys; from facespeak.cli import main; code = main(sys.argv[1:]); "
             "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]); "
             "sys.exit(code)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    args = parser.parse_args()
    text = PARAGRAPH * max(1, round(args.minutes * 60 / 27))
    with tempfile.TemporaryDirectory() as tmp:
        video, motion = Path(tmp) / "long.mp4", Path(tmp) / "long.json"
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _MEASURED, "say", "demo", text, "--crop",
                               "face", "-o", str(video), "--save-motion", str(motion), "-q"],
                              check=True, capture_output=True, text=True)
        took = time.perf_counter() - start
        peak_mib = int(done.stdout.split()[-1]) / 1024
        track = track_video(video)
        phones = load_motion(motion).phones
    fps, n = track.fps, track.n_frames
    print(f"video {n / fps:.1f} s, made in {took:.1f} s ({n / fps / took:.1f}x real time), "
          f"peak {peak_mib:.0f} MiB")
    window = round(WINDOW_S * fps)
    for label, first in (("first", 0), ("last", n - window)):
        t0 = first / fps
        lo, hi = round(t0 * track.sample_rate), round((first + window) / fps * track.sample_rate)
        local = [Phone(p.symbol, p.start_s - t0, p.end_s - t0) for p in phones
                 if p.end_s > t0 and p.start_s < t0 + WINDOW_S]
        sync = measure_sync(track.landmarks_px[first:first + window], track.audio[lo:hi],
                            track.sample_rate, fps, local)
        print(f"{label} {WINDOW_S:.0f} s: offset {sync.offset_frames:+d} frames, "
              f"confidence {sync.confidence:.2f} (threshold {sync.threshold:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
