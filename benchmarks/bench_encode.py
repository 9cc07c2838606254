"""Encoding speed: what VideoWriter costs on its own and beside the renderer.

    python benchmarks/bench_encode.py [--frames 150] [--repeats 5] [--full-portrait PATH]

For each x264 preset and thread count, milliseconds per frame of
  encode only   - VideoWriter fed ready-made frames;
  one thread    - render a frame, then encode it, in the calling thread;
  VideoWriter   - render in the calling thread, encode in VideoWriter's thread;
first at 512x512 (face crop of the demo portrait) and 1280x720 (the same
frames scaled, encode only), then full frame on a larger real portrait.
Wall time is the best of ``--repeats`` interleaved runs, so other load on the
machine inflates it less; CPU is process time over all threads.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np

from facespeak.media.encode import VideoWriter

SETTINGS = (("ultrafast", 1), ("ultrafast", 2), ("superfast", 1), ("superfast", 2),
            ("veryfast", 1), ("veryfast", 2))
REAL_PORTRAIT = Path(__file__).resolve().parents[2] / "shared/fixtures/real/woman_photo.jpg"

Run = Callable[[], float]


class Renderer:
    """The product's FaceRenderer on a portrait, driven by a made-up motion track."""

    def __init__(self, portrait: str, crop: str):
        from facespeak.face.detect import detect_face
        from facespeak.face.portrait import load_portrait
        from facespeak.motion.track import build_motion_track
        from facespeak.render.layout import make_canvas
        from facespeak.render.renderer import FaceRenderer
        from facespeak.types import Phone, Speech

        image = load_portrait(portrait)
        self.renderer = FaceRenderer(make_canvas(image, detect_face(image), crop))
        self.size = self.renderer.size
        phones = tuple(Phone(("p", "a", "m", "o")[k % 4], k * 0.1, k * 0.1 + 0.1)
                       for k in range(400))
        waveform = (0.3 * np.sin(np.arange(16000 * 40) * 0.06)).astype(np.float32)
        self.track = build_motion_track(Speech(waveform, 16000, phones, ()))

    def frame(self, i: int) -> np.ndarray:
        return self.renderer.render_frame(self.track.frame(i % self.track.n_frames))


def encode_only(frames: list[np.ndarray], preset: str, threads: int) -> float:
    h, w = frames[0].shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with VideoWriter(Path(tmp) / "e.mp4", w, h, 25, preset=preset, threads=threads) as out:
            for frame in frames:
                out.write(frame)
        return time.perf_counter() - start


def render_only(renderer: Renderer, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        renderer.frame(i)
    return time.perf_counter() - start


def one_thread(renderer: Renderer, n: int, preset: str, threads: int) -> float:
    """Render then encode each frame in the calling thread (same codec settings)."""
    w, h = renderer.size
    with tempfile.TemporaryDirectory() as tmp, av.open(f"{tmp}/s.mp4", "w") as box:
        stream = box.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.thread_count = threads
        stream.codec_context.options = {"preset": preset, "crf": "20"}
        start = time.perf_counter()
        for i in range(n):
            yuv = cv2.cvtColor(renderer.frame(i), cv2.COLOR_RGB2YUV_I420)
            box.mux(stream.encode(av.VideoFrame.from_ndarray(yuv, format="yuv420p")))
        box.mux(stream.encode(None))
        return time.perf_counter() - start


def background(renderer: Renderer, n: int, preset: str, threads: int) -> float:
    w, h = renderer.size
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with VideoWriter(Path(tmp) / "b.mp4", w, h, 25, preset=preset, threads=threads) as out:
            for i in range(n):
                out.write(renderer.frame(i))
        return time.perf_counter() - start


def report(title: str, runs: dict[str, Run], n: int, repeats: int) -> None:
    """Print the best wall-clock and CPU (all threads) milliseconds per frame."""
    wall = dict.fromkeys(runs, float("inf"))
    cpu = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, run in runs.items():
            cpu_start = time.process_time()
            wall[name] = min(wall[name], run() / n * 1000)
            cpu[name] = min(cpu[name], (time.process_time() - cpu_start) / n * 1000)
    print(f"\n{title}, {n} frames, ms per frame (best of {repeats})")
    print(f"  {'':36s} {'wall':>6s} {'frames/s':>9s} {'CPU':>6s}")
    for name in runs:
        print(f"  {name:36s} {wall[name]:6.2f} {1000 / wall[name]:9.0f} {cpu[name]:6.2f}")


def with_renderer(renderer: Renderer, n: int) -> dict[str, Run]:
    frames = [renderer.frame(i) for i in range(n)]
    runs: dict[str, Run] = {"render only": lambda: render_only(renderer, n)}
    for preset, threads in SETTINGS:
        key = f"{preset:9s} threads={threads}"
        runs[f"{key} encode only"] = lambda p=preset, t=threads: encode_only(frames, p, t)
        runs[f"{key} one thread"] = lambda p=preset, t=threads: one_thread(renderer, n, p, t)
        runs[f"{key} VideoWriter"] = lambda p=preset, t=threads: background(renderer, n, p, t)
    return runs


def encode_720p(renderer: Renderer, n: int) -> dict[str, Run]:
    frames = [cv2.resize(renderer.frame(i), (1280, 720)) for i in range(n)]
    return {f"{p:9s} threads={t} encode only": lambda p=p, t=t: encode_only(frames, p, t)
            for p, t in SETTINGS}


def main() -> None:
    from facespeak import demo_portrait_path

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--full-portrait", default=str(REAL_PORTRAIT) if REAL_PORTRAIT.exists()
                        else str(demo_portrait_path()))
    args = parser.parse_args()
    face = Renderer(str(demo_portrait_path()), "face")
    report("512x512 face crop", with_renderer(face, args.frames), args.frames, args.repeats)
    report("1280x720", encode_720p(face, args.frames), args.frames, args.repeats)
    full = Renderer(args.full_portrait, "full")
    w, h = full.size
    report(f"{w}x{h} full frame of {Path(args.full_portrait).name}",
           with_renderer(full, args.frames), args.frames, args.repeats)


if __name__ == "__main__":
    main()
