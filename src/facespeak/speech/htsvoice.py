"""Copies of an HTS voice (``.htsvoice``, hts_engine 1.x) with their log-F0 model moved.

Festival's HTS module takes no pitch option, but the F0 it generates comes
from the voice's log-F0 Gaussians (one multi-space distribution per
context cluster and HMM state: means and variances of log F0 and its two
deltas, then the voiced weight), plus the global-variance (GV) Gaussians of
log F0 over the sentence. Shifting the static means by log(pitch_scale) and
scaling every deviation from the voice's mean log F0 by pitch_range (deltas
by pitch_range, variances by its square, GV variances by its fourth power)
transforms the generated log-F0 trajectory exactly that way: pitch changes
natively, at no synthesis cost, and nothing else about the voice changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from facespeak.errors import EngineFailed

_DATA = b"[DATA]\n"


def write_pitched_voice(source: Path, target: Path, pitch_scale: float,
                        pitch_range: float) -> None:
    """Write ``source`` to ``target`` with F0 multiplied by ``pitch_scale`` and
    its excursions around the mean (in log F0) by ``pitch_range``."""
    raw = bytearray(source.read_bytes())
    header, start = _header(raw, source)
    try:
        n_states = int(header["NUM_STATES"])
        n_windows = int(header["NUM_WINDOWS[LF0]"])
        msd, one_dim = header["IS_MSD[LF0]"] == "1", header["VECTOR_LENGTH[LF0]"] == "1"
        first, last = _span(header["STREAM_PDF[LF0]"])
    except (KeyError, ValueError) as e:
        raise EngineFailed(f"{source.name}: not an HTS voice with a log-F0 stream ({e})") from e
    if not (msd and one_dim):
        raise EngineFailed(f"{source.name}: its log-F0 stream is not a 1-D MSD stream")
    table = start + first + 4 * n_states  # after the per-state pdf counts
    pdfs = np.frombuffer(raw, "<f4", (start + last + 1 - table) // 4, table)
    pdfs = pdfs.reshape(-1, 2 * n_windows + 1).copy()  # means, variances, voiced weight
    voiced = pdfs[:, -1] > 0.5
    centre = float(pdfs[voiced, 0].mean()) if voiced.any() else float(pdfs[:, 0].mean())
    pdfs[:, 0] = centre + pitch_range * (pdfs[:, 0] - centre) + np.log(pitch_scale)
    pdfs[:, 1:n_windows] *= pitch_range
    pdfs[:, n_windows:2 * n_windows] *= pitch_range ** 2
    raw[table:table + pdfs.nbytes] = pdfs.astype("<f4").tobytes()
    if header.get("USE_GV[LF0]") == "1" and "GV_PDF[LF0]" in header:
        gv_first, gv_last = _span(header["GV_PDF[LF0]"])
        gv_table = start + gv_first + 4  # after the pdf count
        gv = np.frombuffer(raw, "<f4", (start + gv_last + 1 - gv_table) // 4, gv_table)
        gv = gv.reshape(-1, 2) * np.array([pitch_range ** 2, pitch_range ** 4], np.float32)
        raw[gv_table:gv_table + gv.nbytes] = gv.astype("<f4").tobytes()
    target.write_bytes(bytes(raw))


def _header(raw: bytearray, source: Path) -> tuple[dict[str, str], int]:
    """The ``KEY:value`` lines before ``[DATA]`` and where the data starts."""
    end = raw.find(_DATA)
    if not raw.startswith(b"[GLOBAL]") or end < 0:
        raise EngineFailed(f"{source.name} is not an HTS voice file (hts_engine 1.x)")
    text = raw[:end].decode("ascii", "replace")
    return dict(re.findall(r"^([^:\n]+):(.*)$", text, re.MULTILINE)), end + len(_DATA)


def _span(position: str) -> tuple[int, int]:
    """"1020189-1123332" -> (1020189, 1123332), byte offsets into the data."""
    first, _, last = position.partition("-")
    return int(first), int(last)
