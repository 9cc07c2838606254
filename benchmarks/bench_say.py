"""Speed and memory of `facespeak say`, printed as figures (not a test).

    python benchmarks/bench_say.py [--portrait PATH]

Prints: start-up time, render and encode frames/s, the whole command's
wall-clock real-time factor for a ~30 s utterance at 512x512 (--crop face) and
at full frame, and peak memory for a short and a 4x longer text.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEXT_30S = (
    "Good evening, and welcome to the news at six. Tonight, the city council approved a plan "
    "to build three new parks along the river, at a cost of about twelve million dollars. "
    "Work will begin in the spring, and the first park should open before the end of next year. "
    "In other news, the local football team won its fourth game in a row on Saturday, "
    "and the weather will stay mild and sunny through the weekend. Thank you for watching."
)
REAL_PORTRAIT = Path(__file__).resolve().parents[2] / "shared/fixtures/real/man_photo.png"


# VmHWM is this process's own peak (ru_maxrss would include the parent's, copied by fork).
_MEASURED = ("import re, sys; from facespeak.cli import main; code = main(sys.argv[1:]); "
             "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]); "
             "sys.exit(code)")


def run_command(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of one facespeak process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURED, *args, "--quiet"], check=True,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    return wall, int(done.stdout.split()[-1]) / 1024


def startup_s() -> float:
    start = time.perf_counter()
    code = "import facespeak.pipeline, facespeak.face.detect; facespeak.face.detect._face_mesh()"
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def stage_rates(portrait: str, crop: str) -> tuple[float, float, int]:
    """(render frames/s, encode frames/s, frames) measured in-process, separately."""
    import numpy as np

    import facespeak
    from facespeak.face.detect import detect_face
    from facespeak.face.portrait import load_portrait
    from facespeak.media.encode import VideoWriter
    from facespeak.render.layout import make_canvas
    from facespeak.render.renderer import FaceRenderer

    image = load_portrait(portrait)
    speech = facespeak.speak_text(TEXT_30S)
    from facespeak.motion.track import build_motion_track
    track = build_motion_track(speech)
    renderer = FaceRenderer(make_canvas(image, detect_face(image), crop))
    start = time.perf_counter()
    frames = [renderer.render_frame(track.frame(i)) for i in range(min(track.n_frames, 250))]
    render_fps = len(frames) / (time.perf_counter() - start)
    w, h = renderer.size
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with VideoWriter(Path(tmp) / "e.mp4", w, h, 25, None, 16000) as writer:
            for f in frames:
                writer.write(f)
        encode_fps = len(frames) / (time.perf_counter() - start)
    del np
    return render_fps, encode_fps, track.n_frames


def video_seconds(path: Path) -> float:
    import av

    with av.open(str(path)) as box:
        stream = box.streams.video[0]
        return float(stream.duration * stream.time_base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portrait", default=str(REAL_PORTRAIT) if REAL_PORTRAIT.exists() else "demo")
    args = parser.parse_args()
    from facespeak import demo_portrait_path
    full_portrait = args.portrait if args.portrait != "demo" else str(demo_portrait_path())
    print(f"start-up (import + face model): {startup_s():.2f} s")
    print(f"portrait: {Path(full_portrait).name}")
    for label, crop in (("512x512 face crop", "face"), ("full frame", "full")):
        render_fps, encode_fps, _ = stage_rates(full_portrait, crop)
        with tempfile.TemporaryDirectory() as tmp:
            wall, peak = run_command(["say", full_portrait, TEXT_30S, "-o", f"{tmp}/o.mp4",
                                      "--crop", crop])
            video_s = video_seconds(Path(tmp) / "o.mp4")  # the voice the face chose decides it
        print(f"{label:18}: render {render_fps:6.1f} fps, encode {encode_fps:6.1f} fps | "
              f"whole command {wall:5.2f} s for {video_s:.1f} s of video = "
              f"{video_s / wall:4.1f}x real time | peak {peak:.0f} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        _, short_peak = run_command(["say", "demo", TEXT_30S, "-o", f"{tmp}/a.mp4", "--crop", "face"])
    with tempfile.TemporaryDirectory() as tmp:
        _, long_peak = run_command(["say", "demo", " ".join([TEXT_30S] * 4), "-o", f"{tmp}/b.mp4",
                                    "--crop", "face"])
    print(f"peak memory: ~30 s text {short_peak:.0f} MiB, ~120 s text {long_peak:.0f} MiB")


if __name__ == "__main__":
    main()
