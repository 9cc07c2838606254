"""The face-conditioned voice on the real inputs: fit, consistency and cost.

    python benchmarks/bench_face_voice.py [--every 1] [--regions regions.png]

Prints, for every real portrait (../shared/fixtures/real), who it is, the
decided gender with its confidence, score M and cues, and the voice
parameters; how often the gender is right on the labelled portraits; for each
news clip (one woman, every ``--every``-th frame) the spread of each parameter
within the person against the spread across the portraits (standard
deviations; the aim is a ratio under 0.25) and how many frames get the
majority base voice; and the cost of ``voice_for_face`` for a detected face
(median of repeated calls; Face Mesh itself is not counted, ``say`` runs it
anyway). ``--regions`` writes the aligned crops with the measured regions
outlined, to look at.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from facespeak.errors import FacespeakInputError
from facespeak.face.detect import detect_face
from facespeak.face.portrait import load_portrait
from facespeak.speech import list_voices
from facespeak.voice import describe_face, estimate_gender, face_regions, voice_for_face
from facespeak.voice.face_consistency import (
    REAL_CLIPS,
    REAL_PORTRAIT_GENDERS,
    VOICE_PARAMETERS,
    WITHIN_ACROSS_LIMIT,
    majority_voice_share,
    parameter_spread,
    voices_of_video,
)

REAL_DIR = Path(__file__).resolve().parents[2] / "shared/fixtures/real"
OTHER_IMAGES = ("dog.jpg", "cartoon_llama_no_face.jpg")
REGION_COLOURS = {"cheeks": (0, 255, 0), "upper_lip_skin": (255, 0, 0), "lips": (255, 255, 0),
                  "nose": (0, 255, 255), "hair_sample": (255, 0, 255), "face_sides": (255, 128, 0)}


def voice_gender(voice: str | None) -> str:
    engine, _, name = (voice or "").partition(":")
    return next((v.gender for v in list_voices() if (v.engine, v.name) == (engine, name)), "?")


def portraits_table(regions_png: Path | None) -> list:
    print(f"{'portrait':26s} {'who':7s} {'decided':7s} {'conf':>5s} {'M':>6s} {'size':>6s} "
          f"{'pitch':>6s} {'range':>6s} {'formant':>7s} {'rate':>5s}  voice / cues")
    voices, tiles, right = [], [], 0
    for name in (*REAL_PORTRAIT_GENDERS, *OTHER_IMAGES):
        portrait = load_portrait(REAL_DIR / name)
        try:
            face = detect_face(portrait)
        except FacespeakInputError as exc:
            print(f"{name:26s} {'-':7s} {exc}")
            continue
        descriptor = describe_face(face, portrait.pixels)
        gender = estimate_gender(descriptor)
        params = voice_for_face(face, portrait.pixels)
        who = REAL_PORTRAIT_GENDERS.get(name, "-")
        if name in REAL_PORTRAIT_GENDERS:
            voices.append(params)
            right += voice_gender(params.voice) == who
        cues = ", ".join(f"{k} {v:+.2f}" for k, v in gender.cues)
        print(f"{name:26s} {who:7s} {gender.gender:7s} {gender.confidence:5.2f} "
              f"{gender.masculinity:+6.2f} {descriptor.size:+6.2f} {params.pitch_scale:6.3f} "
              f"{params.pitch_range:6.3f} {params.formant_scale:7.3f} {params.rate:5.3f}  "
              f"{params.voice} / {cues}")
        if regions_png:
            tiles.append(_outlined_regions(face, portrait.pixels, name))
    print(f"\nbase voice of the labelled gender: {right} of {len(REAL_PORTRAIT_GENDERS)}")
    if regions_png:
        rows = [np.hstack(tiles[i:i + 5] + [np.zeros_like(tiles[0])] * (5 - len(tiles[i:i + 5])))
                for i in range(0, len(tiles), 5)]
        cv2.imwrite(str(regions_png), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))
        print(f"regions written to {regions_png}")
    return voices


def _outlined_regions(face, pixels: np.ndarray, name: str) -> np.ndarray:
    crop = face_regions(face, pixels)
    rgb = (cv2.cvtColor(crop.lab, cv2.COLOR_LAB2RGB) * 255).clip(0, 255).astype(np.uint8)
    rgb = cv2.resize(rgb, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    for region, colour in REGION_COLOURS.items():
        mask = cv2.resize(crop.masks[region].astype(np.uint8), rgb.shape[1::-1],
                          interpolation=cv2.INTER_NEAREST)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(rgb, contours, -1, colour, 1)
    cv2.putText(rgb, name[:18], (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
    return rgb


def consistency_table(portrait_voices: list, every: int) -> None:
    across = parameter_spread(portrait_voices)
    print(f"\nspread = standard deviation; across = over the {len(portrait_voices)} labelled "
          f"portraits; within = over the frames of one clip (aim: ratio < {WITHIN_ACROSS_LIMIT})")
    print(f"{'clip':26s} {'frames':>6s} " + " ".join(f"{p:>22s}" for p in VOICE_PARAMETERS)
          + "  majority voice")
    print(f"{'across people':26s} {'':6s} "
          + " ".join(f"{across[p]:22.4f}" for p in VOICE_PARAMETERS))
    for clip in REAL_CLIPS:
        frames = voices_of_video(REAL_DIR / clip, every)
        within = parameter_spread(frames)
        voice, share = majority_voice_share(frames)
        cells = " ".join(f"{within[p]:9.4f} ratio {within[p] / across[p]:5.3f}"
                         for p in VOICE_PARAMETERS)
        means = ", ".join(f"{p} {np.mean([getattr(v, p) for v in frames]):.3f}"
                          for p in VOICE_PARAMETERS)
        print(f"{clip:26s} {len(frames):6d} {cells}  {voice} "
              f"({voice_gender(voice)}) in {share:.1%} of frames")
        print(f"{'':26s} means: {means}")


def cost(repeats: int = 200) -> None:
    portrait = load_portrait(REAL_DIR / "man_photo.png")
    face = detect_face(portrait)
    voice_for_face(face, portrait.pixels)  # warm: voice list, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        voice_for_face(face, portrait.pixels)
        times.append(time.perf_counter() - start)
    print(f"\nvoice_for_face on a detected face ({portrait.width}x{portrait.height}): "
          f"median {np.median(times) * 1e3:.2f} ms, 90th percentile "
          f"{np.percentile(times, 90) * 1e3:.2f} ms over {repeats} calls")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=int, default=1, help="use every N-th clip frame")
    parser.add_argument("--regions", type=Path, help="write the measured regions to this PNG")
    args = parser.parse_args()
    if not REAL_DIR.is_dir():
        raise SystemExit(f"real fixtures not found at {REAL_DIR}")
    voices = portraits_table(args.regions)
    consistency_table(voices, args.every)
    cost()


if __name__ == "__main__":
    main()
