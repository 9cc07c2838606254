"""Metric 3, head motion: yaw, pitch and roll per frame from the rigid fit of
the canonical face (``signals.head_poses``), summarised as in
REAL_FOOTAGE_STATS.md so the numbers compare with its table A."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, filtfilt
from scipy.spatial.transform import Rotation

from facespeak.evaluate.signals import PoseSeries

LOW_PASS_HZ = 5.0
"""Tracker noise raises raw velocities; the low-passed figure is the one to
compare (a nearly still real head reads 7-11 °/s low-passed, 11-20 °/s raw)."""
INV_E = float(np.exp(-1.0))


@dataclass(frozen=True)
class HeadMotion:
    std_deg: tuple[float, float, float]
    """Population standard deviation of yaw, pitch, roll (degrees)."""
    velocity_rms_deg_s: tuple[float, float, float]
    """Per-axis RMS of the frame-to-frame change × fps (degrees/s), raw."""
    angular_velocity_rms_deg_s: float
    """RMS of the geodesic rotation angle between consecutive frames × fps (°/s), raw."""
    angular_velocity_rms_lp_deg_s: float
    """The same from Euler angles low-passed at 5 Hz (zero-phase 2nd-order
    Butterworth): √mean(Σ_axes (Δθ·fps)²) (°/s). NaN at 10 fps or less."""
    autocorrelation_time_s: tuple[float, float]
    """Yaw and pitch: first lag where the autocorrelation of the mean-removed
    angle falls below 1/e, linearly interpolated (s); NaN if it never does."""


def head_motion(poses: PoseSeries, fps: float) -> HeadMotion:
    euler = poses.euler_deg
    velocity = np.diff(euler, axis=0) * fps
    relative = np.einsum("nji,njk->nik", poses.rotations[:-1], poses.rotations[1:])
    geodesic = np.degrees(Rotation.from_matrix(relative).magnitude()) * fps
    return HeadMotion(
        std_deg=_triple(euler.std(axis=0)),
        velocity_rms_deg_s=_triple(np.sqrt((velocity ** 2).mean(axis=0))),
        angular_velocity_rms_deg_s=float(np.sqrt((geodesic ** 2).mean())),
        angular_velocity_rms_lp_deg_s=_low_passed_velocity_rms(euler, fps),
        autocorrelation_time_s=(autocorrelation_time(euler[:, 0], fps),
                                autocorrelation_time(euler[:, 1], fps)))


def _low_passed_velocity_rms(euler: np.ndarray, fps: float) -> float:
    if fps <= 2 * LOW_PASS_HZ or len(euler) <= 9:  # filtfilt needs > 3 × (order + 1) samples
        return float("nan")
    b, a = butter(2, LOW_PASS_HZ / (fps / 2))
    smooth = filtfilt(b, a, euler, axis=0)
    speed_sq = ((np.diff(smooth, axis=0) * fps) ** 2).sum(axis=1)
    return float(np.sqrt(speed_sq.mean()))


def autocorrelation_time(angle: np.ndarray, fps: float) -> float:
    """Seconds until the biased autocorrelation of ``angle`` (mean removed,
    divided by its lag-0 value) first drops below 1/e."""
    x = angle - angle.mean()
    power = float((x * x).sum())
    if power == 0:
        return float("nan")
    acf = np.correlate(x, x, mode="full")[len(x) - 1:] / power
    below = np.flatnonzero(acf < INV_E)
    if len(below) == 0:
        return float("nan")
    k = int(below[0])
    frac = (acf[k - 1] - INV_E) / (acf[k - 1] - acf[k])
    return float((k - 1 + frac) / fps)


def _triple(values: np.ndarray) -> tuple[float, float, float]:
    return float(values[0]), float(values[1]), float(values[2])
