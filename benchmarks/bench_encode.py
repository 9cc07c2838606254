"""Encoding speed: what VideoWriter costs on its own and beside a renderer.

    python benchmarks/bench_encode.py [--frames 250] [--repeats 3]

Prints, per frame size and x264 preset/thread setting, milliseconds per frame
for (1) encoding pre-made frames, (2) a renderer-like CPU-bound producer alone,
(3) producer then encoder in one thread, (4) producer with VideoWriter (its
background thread). Each figure is the best of ``--repeats`` interleaved runs,
so other load on the machine inflates the figures less.
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

SIZES = ((512, 512), (1280, 720))
SETTINGS = (("ultrafast", 1), ("ultrafast", 2), ("superfast", 1), ("superfast", 2),
            ("veryfast", 1), ("veryfast", 2))


class Producer:
    """Stands in for the renderer: a dense remap plus float blending per frame,
    NumPy and OpenCV work like the real one, on a smooth portrait-like image."""

    def __init__(self, width: int, height: int):
        rng = np.random.default_rng(0)
        noise = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
        self.base = cv2.GaussianBlur(noise, (0, 0), 6)
        gx, gy = np.meshgrid(np.arange(width, dtype=np.float32),
                             np.arange(height, dtype=np.float32))
        self.gx, self.gy = gx, gy
        self.alpha = (0.5 + 0.5 * np.sin(gx / 40))[..., None].astype(np.float32)

    def frame(self, i: int) -> np.ndarray:
        shift = np.float32(3 * np.sin(i / 7))
        warped = cv2.remap(self.base, self.gx + shift, self.gy - shift, cv2.INTER_LINEAR)
        mixed = warped.astype(np.float32) * self.alpha + self.base * (1 - self.alpha)
        return mixed.astype(np.uint8)


def encode_only(frames: list[np.ndarray], preset: str, threads: int) -> float:
    h, w = frames[0].shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with VideoWriter(Path(tmp) / "e.mp4", w, h, 25, preset=preset, threads=threads) as out:
            for frame in frames:
                out.write(frame)
        return time.perf_counter() - start


def produce_only(producer: Producer, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        producer.frame(i)
    return time.perf_counter() - start


def one_thread(producer: Producer, n: int, preset: str, threads: int) -> float:
    """Render then encode each frame in the calling thread (same codec settings)."""
    h, w = producer.base.shape[:2]
    with tempfile.TemporaryDirectory() as tmp, av.open(f"{tmp}/s.mp4", "w") as box:
        stream = box.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.thread_count = threads
        stream.codec_context.options = {"preset": preset, "crf": "20"}
        start = time.perf_counter()
        for i in range(n):
            yuv = cv2.cvtColor(producer.frame(i), cv2.COLOR_RGB2YUV_I420)
            box.mux(stream.encode(av.VideoFrame.from_ndarray(yuv, format="yuv420p")))
        box.mux(stream.encode(None))
        return time.perf_counter() - start


def background(producer: Producer, n: int, preset: str, threads: int) -> float:
    h, w = producer.base.shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with VideoWriter(Path(tmp) / "b.mp4", w, h, 25, preset=preset, threads=threads) as out:
            for i in range(n):
                out.write(producer.frame(i))
        return time.perf_counter() - start


def best_ms(runs: dict[str, Callable[[], float]], n: int, repeats: int) -> dict[str, float]:
    best = {name: float("inf") for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            best[name] = min(best[name], run() / n * 1000)
    return best


def bench_size(width: int, height: int, n: int, repeats: int) -> None:
    producer = Producer(width, height)
    frames = [producer.frame(i) for i in range(n)]
    runs: dict[str, Callable[[], float]] = {"producer alone": lambda: produce_only(producer, n)}
    for preset, threads in SETTINGS:
        key = f"{preset:9s} threads={threads}"
        runs[f"{key} encode only"] = lambda p=preset, t=threads: encode_only(frames, p, t)
        runs[f"{key} one thread"] = lambda p=preset, t=threads: one_thread(producer, n, p, t)
        runs[f"{key} VideoWriter"] = lambda p=preset, t=threads: background(producer, n, p, t)
    print(f"\n{width}x{height}, {n} frames, ms per frame (best of {repeats})")
    for name, ms in best_ms(runs, n, repeats).items():
        print(f"  {name:42s} {ms:6.2f}  ({1000 / ms:5.0f} frames/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for width, height in SIZES:
        bench_size(width, height, args.frames, args.repeats)


if __name__ == "__main__":
    main()
