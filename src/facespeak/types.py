"""Typed objects passed between pipeline stages.

Every stage takes and returns these frozen dataclasses; no dicts, paths or
globals travel between stages. Units are in the field names (``_s`` seconds,
``_px`` pixels, ``_deg`` degrees) and array shapes in the field docs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


# --------------------------------------------------------------------- text
@dataclass(frozen=True)
class Sentence:
    """One sentence of normalised, speakable text."""

    text: str
    """Words only: numbers, dates, symbols and abbreviations already spelled out."""
    pause_after_s: float
    """Silence to insert after this sentence (from its closing punctuation, or an
    SSML ``<break>``)."""
    rate: float = 1.0
    """Speaking-rate multiplier for this sentence alone (SSML ``<prosody rate>``)."""
    pitch: float = 1.0
    """Pitch multiplier for this sentence alone (SSML ``<prosody pitch>``)."""
    emphasis: tuple[str, ...] = ()
    """SSML emphasis level per word of ``text.split()`` ("", "reduced", "moderate"
    or "strong"); empty when nothing is emphasised."""


# ------------------------------------------------------------------- speech
@dataclass(frozen=True)
class Phone:
    """One phone of the synthesised speech, on the audio's time axis."""

    symbol: str
    """IPA symbol (e.g. ``"p"``, ``"aɪ"``); ``""`` for silence."""
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Word:
    """One spoken word, on the audio's time axis."""

    text: str
    start_s: float
    end_s: float
    stressed: bool = False
    """True for words that carry sentence stress (content words); drives nods."""
    emphasis: str = ""
    """SSML emphasis level: "moderate" and "strong" always nod (deeper than
    stress), "reduced" never does; "" = none."""


@dataclass(frozen=True, eq=False)
class Speech:
    """A waveform with its phone and word timelines."""

    samples: np.ndarray
    """(n,) float32 mono waveform in [-1, 1]."""
    sample_rate: int
    phones: tuple[Phone, ...]
    words: tuple[Word, ...]
    engine: str = ""
    voice: str = ""
    language: str = ""

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


ENERGY_BIN_S = 0.005
"""Width of the loudness bins an ``Utterance`` keeps (the motion stage's input)."""


def energy_bin_samples(sample_rate: int) -> int:
    return max(round(ENERGY_BIN_S * sample_rate), 1)


@dataclass(frozen=True, eq=False)
class Utterance:
    """The speech of a whole text, for the video. Sentences are synthesised one
    at a time and their audio appended to a file, so memory stays flat
    however long the text; only the timelines and loudness stay in memory."""

    audio_path: Path
    """Raw little-endian float32 mono samples, before ``gain``."""
    sample_rate: int
    n_samples: int
    gain: float
    """Applied on reading: brings the whole utterance's peak to -1 dBFS."""
    phones: tuple[Phone, ...]
    words: tuple[Word, ...]
    energy_bins: np.ndarray = field(repr=False)
    """Sum of squared samples (before gain) per bin of ``energy_bin_samples``, float64."""
    engine: str = ""
    voice: str = ""
    language: str = ""

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate

    @property
    def energy_bin_samples(self) -> int:
        return energy_bin_samples(self.sample_rate)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) as float32 with the gain applied; zeros past the end."""
        out = np.zeros(max(stop - start, 0), np.float32)
        end = min(stop, self.n_samples)
        if end > start:
            with open(self.audio_path, "rb") as f:
                f.seek(start * 4)
                out[: end - start] = np.fromfile(f, "<f4", end - start) * self.gain
        return out


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine offers."""

    engine: str
    name: str
    languages: tuple[str, ...]
    gender: str = ""
    """"female", "male" or "" when the engine does not say."""
    description: str = ""


@dataclass(frozen=True)
class VoiceParams:
    """A voice to speak with: an engine voice plus the changes that shape it.

    Chosen by the voice stage (from ``--voice``, the face, or a reference
    recording) and applied by the speech stage. 1.0 everywhere = the engine
    voice unchanged.
    """

    voice: str | None = None
    """Engine-qualified base voice ("flite:rms", "espeak:de"); None = the language's default."""
    pitch_scale: float = 1.0
    """Multiplies the voice's fundamental frequency (F0)."""
    pitch_range: float = 1.0
    """Multiplies F0 excursions around its mean (intonation range)."""
    formant_scale: float = 1.0
    """Stretches the spectral envelope: > 1 a shorter vocal tract (smaller, younger,
    more female-sounding), < 1 a longer one."""
    rate: float = 1.0
    """Speaking-rate multiplier: > 1 faster."""
    reason: str = ""
    """Why these values, for users ("default", "--voice", "face: ...", "reference: ...")."""


# --------------------------------------------------------------------- face
@dataclass(frozen=True, eq=False)
class Portrait:
    """A decoded portrait, upright (EXIF orientation applied), RGB."""

    pixels: np.ndarray
    """(H, W, 3) uint8 RGB."""
    name: str = ""

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


@dataclass(frozen=True)
class HeadPose:
    """Head orientation; yaw + = nose toward image left, pitch + = head down,
    roll + = clockwise in the image (the convention of REAL_FOOTAGE_STATS.md)."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float


@dataclass(frozen=True, eq=False)
class FaceGeometry:
    """The face found in a portrait."""

    landmarks_px: np.ndarray
    """(478, 3) float32 MediaPipe Face Mesh points: x, y in image pixels, z in
    pixels (scaled like x), smaller z = nearer the camera. 468 mesh + 10 iris."""
    bbox_px: tuple[int, int, int, int]
    """(x0, y0, x1, y1) of the landmarks, in pixels."""
    pose: HeadPose
    canonical_px: np.ndarray
    """(478, 3) float32 landmarks with head rotation removed (frontal), same
    scale and centre as ``landmarks_px``."""
    iod_px: float
    """Inter-ocular distance (outer eye corners 33-263, 3-D), the face's unit of size."""
    faces_found: int = 1
    """How many faces the detector saw; the largest one is this one."""

    @property
    def mouth_aperture(self) -> float:
        """Inner-lip gap (13-14) divided by the inter-ocular distance."""
        gap = np.linalg.norm(self.landmarks_px[13] - self.landmarks_px[14])
        return float(gap / self.iod_px)


# ------------------------------------------------------------------- motion
MOTION_CHANNELS: tuple[str, ...] = (
    "jaw_open",      # 0 closed .. 1 wide open (about 0.35 inter-ocular distances)
    "lip_width",     # -1 puckered .. 0 rest .. +1 spread
    "lip_round",     # 0 .. 1 protruded/rounded (o, u, w)
    "lip_press",     # 0 .. 1 lips pressed shut (p, b, m), overrides the opening
    "tongue",        # 0 .. 1 tongue tip visible behind the upper teeth (l, n, t, d, th)
    "blink",         # 0 open .. 1 eyelids fully closed
    "yaw_deg",
    "pitch_deg",
    "roll_deg",
    "shift_x",       # head translation, inter-ocular distances (+ = image right)
    "shift_y",       # (+ = image down)
)


@dataclass(frozen=True, eq=False)
class MotionTrack:
    """A per-frame performance: one value per channel per output frame."""

    fps: float
    channels: dict[str, np.ndarray] = field(repr=False)
    """Channel name (see ``MOTION_CHANNELS``) -> (n_frames,) float32."""
    phones: tuple[Phone, ...] = ()
    words: tuple[Word, ...] = ()

    @property
    def n_frames(self) -> int:
        return int(len(next(iter(self.channels.values())))) if self.channels else 0

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps

    def frame(self, i: int) -> dict[str, float]:
        return {k: float(v[i]) for k, v in self.channels.items()}
