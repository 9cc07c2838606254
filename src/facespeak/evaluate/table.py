"""EvalReports as a readable table (one column per video), CSV rows and JSON."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from facespeak.evaluate.report import EvalReport


@dataclasses.dataclass(frozen=True)
class Row:
    key: str
    """Column name in CSV and flat JSON."""
    label: str
    """What the table shows, unit included."""
    value: Callable[[EvalReport], Any]
    """The value, or None when the metric was not measured."""
    fmt: str = "{:.3f}"


def _get(section: str, attr: str, index: int | None = None) -> Callable[[EvalReport], Any]:
    def value(report: EvalReport) -> Any:
        part = getattr(report, section)
        if part is None:
            return None
        v = getattr(part, attr)
        return v if index is None else v[index]
    return value


_AXES = ("yaw", "pitch", "roll")
ROWS: tuple[Row, ...] = (
    Row("duration_s", "video: duration s", _get("facts", "duration_s"), "{:.2f}"),
    Row("fps", "video: fps", _get("facts", "fps"), "{:.3g}"),
    Row("width", "video: width px", _get("facts", "width"), "{:d}"),
    Row("height", "video: height px", _get("facts", "height"), "{:d}"),
    Row("n_frames", "video: frames", _get("facts", "n_frames"), "{:d}"),
    Row("audio_duration_s", "video: audio duration s", _get("facts", "audio_duration_s"), "{:.3f}"),
    Row("av_difference_s", "video: audio − video s", _get("facts", "av_difference_s"), "{:+.3f}"),
    Row("face_share", "video: frames with a face", _get("facts", "face_share"), "{:.3f}"),
    Row("duplicate_frames", "video: repeated frames", _get("facts", "duplicate_frames"), "{:d}"),
    Row("sync_plain_lag_frames", "sync (aperture~RMS): lag fr (+ audio later)",
        _get("sync_plain", "lag_frames"), "{:+d}"),
    Row("sync_plain_peak_r", "sync (aperture~RMS): peak r", _get("sync_plain", "peak_r")),
    Row("sync_plain_confidence", "sync (aperture~RMS): peak − median r",
        _get("sync_plain", "confidence")),
    Row("sync_offset_frames", "sync (calibrated): offset fr (+ audio later)",
        _get("sync", "offset_frames"), "{:+d}"),
    Row("sync_confidence", "sync (calibrated): confidence", _get("sync", "confidence")),
    Row("sync_threshold", "sync (calibrated): threshold", _get("sync", "threshold"), "{:.2f}"),
    Row("sync_matched", "sync (calibrated): audio belongs to video",
        _get("sync", "matched"), "{}"),
    Row("mouth_closed_share", "mouth: closed share (ap < 0.03)", _get("mouth", "closed_share")),
    Row("mouth_p50", "mouth: aperture p50 ÷IOD", _get("mouth", "p50")),
    Row("mouth_p95", "mouth: aperture p95 ÷IOD", _get("mouth", "p95")),
    Row("mouth_voiced_closed_share", "mouth: closed share, voiced",
        _get("mouth", "voiced_closed_share")),
    Row("mouth_voiced_p50", "mouth: aperture p50, voiced", _get("mouth", "voiced_p50")),
    Row("mouth_voiced_p95", "mouth: aperture p95, voiced", _get("mouth", "voiced_p95")),
    Row("bilabials", "articulation: p/b/m phones", _get("articulation", "bilabials"), "{:d}"),
    Row("bilabial_closed_share", "articulation: p/b/m closed at middle",
        _get("articulation", "bilabial_closed_share")),
    Row("bilabial_closed_share_near", "articulation: p/b/m closed ±1 frame",
        _get("articulation", "bilabial_closed_share_near")),
    Row("open_vowels", "articulation: open vowels", _get("articulation", "open_vowels"), "{:d}"),
    Row("open_vowel_aperture", "articulation: open-vowel aperture ÷IOD",
        _get("articulation", "open_vowel_aperture")),
    *(Row(f"head_std_{a}_deg", f"head: {a} std °", _get("head", "std_deg", i), "{:.2f}")
      for i, a in enumerate(_AXES)),
    *(Row(f"head_velocity_rms_{a}_deg_s", f"head: {a} velocity RMS °/s",
          _get("head", "velocity_rms_deg_s", i), "{:.1f}") for i, a in enumerate(_AXES)),
    Row("head_angular_velocity_rms_deg_s", "head: angular velocity RMS °/s",
        _get("head", "angular_velocity_rms_deg_s"), "{:.1f}"),
    Row("head_angular_velocity_rms_lp_deg_s", "head: same, low-passed 5 Hz °/s",
        _get("head", "angular_velocity_rms_lp_deg_s"), "{:.1f}"),
    Row("head_tau_yaw_s", "head: yaw autocorrelation time s",
        _get("head", "autocorrelation_time_s", 0), "{:.2f}"),
    Row("head_tau_pitch_s", "head: pitch autocorrelation time s",
        _get("head", "autocorrelation_time_s", 1), "{:.2f}"),
    Row("blinks", "blinks: count", _get("blinks", "count"), "{:d}"),
    Row("blinks_per_min", "blinks: per minute", _get("blinks", "per_minute"), "{:.1f}"),
    Row("blink_duration_ms", "blinks: mean duration ms (<0.75)",
        _get("blinks", "mean_duration_ms"), "{:.0f}"),
    Row("blink_closed_ms", "blinks: mean closed ms (<0.5)", _get("blinks", "mean_closed_ms"),
        "{:.0f}"),
    Row("long_eye_closures", "blinks: closures > 1 s", _get("blinks", "long_closures"), "{:d}"),
    Row("jitter_face", "stability: face jitter ÷IOD", _get("stability", "face_jitter"), "{:.4f}"),
    Row("jitter_lips", "stability: lip jitter ÷IOD", _get("stability", "lip_jitter"), "{:.4f}"),
    Row("jitter_face_stabilised", "stability: face jitter, head-stabilised",
        _get("stability", "face_jitter_stabilised"), "{:.4f}"),
    Row("jitter_lips_stabilised", "stability: lip jitter, head-stabilised",
        _get("stability", "lip_jitter_stabilised"), "{:.4f}"),
    Row("background_flicker", "stability: background flicker grey/frame",
        _get("stability", "background_flicker")),
    Row("background_share", "stability: background share of frame",
        _get("stability", "background_share")),
    Row("identity_ssim", "identity: upper-face SSIM", _get("identity", "ssim")),
    Row("identity_ssim_rigid", "identity: SSIM, similarity-aligned only",
        _get("identity", "ssim_rigid")),
    Row("identity_ssim_drift", "identity: SSIM last third - first third",
        _get("identity", "ssim_drift"), "{:+.3f}"),
    Row("identity_psnr_db", "identity: upper-face PSNR dB", _get("identity", "psnr_db"), "{:.2f}"),
    Row("identity_shape_distance", "identity: shape distance ÷IOD",
        _get("identity", "shape_distance"), "{:.4f}"),
    Row("wer", "intelligibility: word error rate", _get("intelligibility", "word_error_rate")),
)


def flat_values(report: EvalReport) -> dict[str, Any]:
    """{row key: value} with None for what was not measured or is undefined (NaN)."""
    values = {"video": report.name}
    for row in ROWS:
        v = row.value(report)
        if isinstance(v, (float, np.floating)) and not math.isfinite(v):
            v = None
        values[row.key] = v
    return values


def format_table(reports: Sequence[EvalReport]) -> str:
    """One line per metric, one column per video; "–" where not measured."""
    names = [r.name for r in reports]
    cells = [[_cell(row, row.value(r)) for r in reports] for row in ROWS]
    shown = [(row, line) for row, line in zip(ROWS, cells) if any(c != "–" for c in line)]
    label_w = max(len(row.label) for row, _ in shown)
    col_w = [max(len(n), *(len(line[i]) for _, line in shown)) for i, n in enumerate(names)]
    out = [" " * label_w + "  " + "  ".join(n.rjust(w) for n, w in zip(names, col_w))]
    for row, line in shown:
        out.append(row.label.ljust(label_w) + "  " + "  ".join(c.rjust(w) for c, w in zip(line, col_w)))
    out += [f"note: {r.name}: {note}" for r in reports for note in r.notes]
    return "\n".join(out)


def _cell(row: Row, value: Any) -> str:
    if value is None or (isinstance(value, (float, np.floating)) and not math.isfinite(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return row.fmt.format(value)


def to_csv(reports: Sequence[EvalReport]) -> str:
    rows = [flat_values(r) for r in reports]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def to_json(reports: Sequence[EvalReport]) -> str:
    """Every section's fields (per-frame series left out), the lag curve and
    the blink events; NaN becomes null."""
    return json.dumps([report_dict(r) for r in reports], indent=1, ensure_ascii=False)


def report_dict(report: EvalReport) -> dict[str, Any]:
    doc: dict[str, Any] = {"video": report.name}
    for section in ("facts", "mouth", "sync_plain", "sync", "articulation", "head", "blinks",
                    "stability", "identity", "intelligibility"):
        part = getattr(report, section)
        doc[section] = None if part is None else {
            f.name: _plain(getattr(part, f.name)) for f in dataclasses.fields(part)
            if f.name not in ("envelope", "openness")}
    if report.sync is not None:
        doc["sync"]["matched"] = report.sync.matched
    doc["notes"] = list(report.notes)
    return doc


def _plain(value: Any) -> Any:
    """JSON-ready: arrays and tuples to lists, dataclasses to dicts, NaN to None."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (np.ndarray, tuple, list)):
        return [_plain(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
