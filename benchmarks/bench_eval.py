"""Speed of `facespeak eval`, printed as figures (not a test).

    python benchmarks/bench_eval.py [--video CLIP.mp4]

Without --video it first renders a ~25 s 512x512 25 fps clip with `facespeak
say demo --crop face`. Prints frames/s and the real-time factor (video
seconds per wall-clock second; above 1 = faster than real time) of:
the decode + Face Mesh pass alone, the metrics computed from it, a whole
evaluation, and one with --source (identity, per-frame SSIM) and --text (the
recogniser); then the whole CLI command, start-up included, as a process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEXT_25S = (
    "Good morning, and welcome to the evening news. Today the mayor opened a new bridge across "
    "the river, and hundreds of people came to watch the parade. Meanwhile, the weather will "
    "stay warm and bright for most of the week, with a chance of rain on Sunday. The city "
    "museum is free for families this month, so please bring your children. Back to you in the "
    "studio."
)


def render_clip(folder: Path) -> Path:
    import facespeak

    video = folder / "bench.mp4"
    facespeak.say(facespeak.demo_portrait_path(), TEXT_25S, video, crop="face")
    return video


def timed(label: str, n_frames: int, duration_s: float, fn):
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    print(f"{label:42} {wall:6.2f} s  {n_frames / wall:6.0f} frames/s  "
          f"{duration_s / wall:5.1f}x real time")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, help="clip to evaluate (default: render one)")
    args = parser.parse_args()
    from facespeak import demo_portrait_path
    from facespeak.evaluate.report import evaluate_video, report_from_track
    from facespeak.evaluate.video import track_video

    with tempfile.TemporaryDirectory() as tmp:
        video = args.video or render_clip(Path(tmp))
        track = track_video(video)  # warm-up: imports, model files in the page cache
        n, dur = track.n_frames, track.duration_s
        print(f"clip: {video.name}, {track.width}x{track.height}, {track.fps:g} fps, {n} frames, "
              f"{dur:.1f} s\n")
        timed("decode + Face Mesh (track_video)", n, dur, lambda: track_video(video))
        timed("metrics from the track", n, dur, lambda: report_from_track(track))
        timed("evaluate_video", n, dur, lambda: evaluate_video(video))
        timed("evaluate_video --source", n, dur,
              lambda: evaluate_video(video, source=demo_portrait_path()))
        timed("evaluate_video --text", n, dur, lambda: evaluate_video(video, text=TEXT_25S))
        timed("facespeak eval (new process, start-up incl.)", n, dur, lambda: subprocess.run(
            [sys.executable, "-m", "facespeak", "eval", str(video), "-q"], check=True,
            capture_output=True))


if __name__ == "__main__":
    main()
