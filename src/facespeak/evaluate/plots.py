"""Pictures of an evaluation: a contact sheet of frames across the clip, and the
signals over time (mouth aperture against the audio envelope, the lag curve,
head pose with the blinks marked). matplotlib is imported only here."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from facespeak.errors import OutputPathError
from facespeak.evaluate.report import EvalReport
from facespeak.media.atomic import atomic_output

SHEET_COLUMNS = 4


def prepare_plot_folder(folder: str | Path) -> Path:
    """Create ``folder`` if needed; OutputPathError (one line) if it cannot be."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create plot folder {folder}: {exc.strerror}") from None
    return folder


def write_plots(report: EvalReport, folder: str | Path) -> list[Path]:
    """``<video>_frames.png`` and ``<video>_signals.png`` in ``folder`` (created if needed)."""
    folder = prepare_plot_folder(folder)
    stem = Path(report.name).stem
    sheet, signals = folder / f"{stem}_frames.png", folder / f"{stem}_signals.png"
    write_contact_sheet(report, sheet)
    write_signal_plot(report, signals)
    return [sheet, signals]


def write_contact_sheet(report: EvalReport, path: Path) -> None:
    """The track's thumbnails in a grid, each labelled with its frame and time."""
    thumbs = report.track.thumbnails
    h, w = thumbs[0][1].shape[:2]
    rows = -(-len(thumbs) // SHEET_COLUMNS)
    sheet = np.full((rows * h, min(len(thumbs), SHEET_COLUMNS) * w, 3), 255, np.uint8)
    for k, (index, image) in enumerate(thumbs):
        r, c = divmod(k, SHEET_COLUMNS)
        tile = cv2.resize(image, (w, h)) if image.shape[:2] != (h, w) else image.copy()
        label = f"#{index}  {index / report.facts.fps:.2f} s"
        cv2.putText(tile, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(tile, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                    cv2.LINE_AA)
        sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = tile
    _, png = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    with atomic_output(path) as tmp:
        tmp.write_bytes(png.tobytes())


def write_signal_plot(report: EvalReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, (ax_mouth, ax_lag, ax_head) = plt.subplots(
        3, 1, figsize=(11, 9), gridspec_kw={"height_ratios": [3, 2, 3]})
    t = np.arange(len(report.aperture)) / report.facts.fps
    _plot_mouth(ax_mouth, report, t)
    _plot_lags(ax_lag, report)
    _plot_head(ax_head, report, t)
    fig.suptitle(report.name)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)


def _plot_mouth(ax, report: EvalReport, t: np.ndarray) -> None:
    ax.plot(t, report.aperture, color="tab:red", lw=1.2, label="mouth aperture ÷ IOD")
    ax.axhline(0.03, color="tab:red", lw=0.6, ls=":", label="closed below 0.03")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("aperture ÷ IOD")
    if report.sync_plain is not None:
        env = report.sync_plain.envelope
        scaled = env / (np.percentile(env, 99) + 1e-12) * np.percentile(report.aperture, 99)
        ax.plot(t, scaled, color="tab:blue", lw=0.9, alpha=0.7, label="audio RMS envelope (scaled)")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("mouth aperture and audio envelope")


def _plot_lags(ax, report: EvalReport) -> None:
    plain, sync = report.sync_plain, report.sync
    if plain is None and sync is None:
        ax.text(0.5, 0.5, "no audio (or silent audio): no sync curve", ha="center",
                transform=ax.transAxes)
        return
    titles = []
    if plain is not None:
        ax.plot(plain.lags, plain.r, "o-", color="tab:blue", ms=3,
                label="plain: aperture ~ RMS envelope (Pearson r)")
        ax.axvline(plain.lag_frames, color="tab:blue", lw=0.8, ls="--")
        titles.append(f"plain {plain.lag_frames:+d} fr (r {plain.peak_r:.2f})")
    if sync is not None:
        ax.plot(sync.lags, sync.scores, "s-", color="tab:green", ms=3,
                label="calibrated detector (held-out r)")
        ax.axvline(sync.offset_frames, color="tab:green", lw=0.8, ls="--")
        verdict = "matches" if sync.matched else "does not match"
        titles.append(f"calibrated {sync.offset_frames:+d} fr, confidence {sync.confidence:.2f} "
                      f"(audio {verdict}, threshold {sync.threshold:.2f})")
    ax.set_xlabel("lag (frames; + = audio later than the mouth)")
    ax.set_ylabel("score")
    ax.set_title("lag curves: " + "; ".join(titles), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)


def _plot_head(ax, report: EvalReport, t: np.ndarray) -> None:
    for k, (name, colour) in enumerate(zip(("yaw", "pitch", "roll"),
                                           ("tab:green", "tab:purple", "tab:orange"))):
        ax.plot(t, report.head_pose_deg[:, k], color=colour, lw=1.0, label=name)
    fps = report.facts.fps
    for event in report.blinks.events:
        ax.axvspan(event.start_frame / fps, (event.end_frame + 1) / fps, color="grey", alpha=0.3)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("degrees")
    ax.set_title(f"head pose; grey = blinks ({report.blinks.count})")
    ax.legend(loc="upper right", fontsize=8)
