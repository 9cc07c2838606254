"""Load a portrait file into an upright 8-bit RGB ``Portrait``.

Every way a file can be unusable (missing, unreadable, not an image, truncated,
too large, an exotic pixel format) ends in one ``PortraitError`` whose message
names the file and the problem on one line.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from facespeak.errors import PortraitError
from facespeak.types import Portrait

MAX_PORTRAIT_PIXELS = 50_000_000
"""Largest accepted width x height, checked from the header before decoding.
50 MP admits 48 MP phone photos (8000 x 6000) and keeps a decoded image, with
its conversions, within a few hundred MB."""

BACKGROUND_RGB = (255, 255, 255)
"""Transparent pixels are composited over white, like an ID-photo backdrop."""

FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "PPM")
"""Pillow decoders we try; limiting them stops odd plugins (TGA has no magic
number) from claiming arbitrary files and shrinks the parser surface."""

T = TypeVar("T")

_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def load_portrait(path: str | Path) -> Portrait:
    """Decode ``path`` into a ``Portrait``: EXIF orientation applied, (H, W, 3) uint8 RGB.

    Alpha is composited over ``BACKGROUND_RGB``; 16-bit samples are rescaled
    (65535 -> 255), not clipped. Animated files give their first frame.
    """
    path = Path(path)
    _check_file(path)
    try:
        with path.open("rb") as f:
            pixels = _decode(f, path)
    except PermissionError:
        raise PortraitError(f"cannot read portrait {path}: permission denied") from None
    except OSError as exc:
        raise PortraitError(f"cannot read portrait {path}: {exc.strerror or exc}") from None
    return Portrait(pixels=pixels, name=path.name)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise PortraitError(f"portrait not found: {path}")
    if path.is_dir():
        raise PortraitError(f"portrait {path} is a directory, not an image file")
    if not path.is_file():
        raise PortraitError(f"portrait {path} is not a regular file")
    if path.stat().st_size == 0:
        raise PortraitError(f"portrait {path} is an empty file")


def _decode(f: BinaryIO, path: Path) -> np.ndarray:
    im = _open(f, path)
    _check_size(im, path)
    # verify() checks PNG chunk CRCs and that the file reaches IEND; load()
    # accepts a PNG that lost its IEND or the tail of its last data chunk.
    _guard(im.verify, path)
    f.seek(0)
    im = _open(f, path)
    _guard(im.load, path)
    im = _guard(lambda: ImageOps.exif_transpose(im), path)
    return _to_rgb8(im, path)


def _open(f: BinaryIO, path: Path) -> Image.Image:
    try:
        # Our own pixel limit is stricter and gives a clearer message than
        # Pillow's bomb warning, which tests turn into errors.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(f, formats=FORMATS)
    except UnidentifiedImageError:
        raise PortraitError(
            f"portrait {path} is not a supported image (use JPEG, PNG, WebP, BMP or TIFF)"
        ) from None
    except Image.DecompressionBombError:
        raise PortraitError(_too_large(path, None)) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PortraitError(f"portrait {path} has a corrupt header: {_one_line(exc)}") from None


def _check_size(im: Image.Image, path: Path) -> None:
    if im.width * im.height > MAX_PORTRAIT_PIXELS:
        raise PortraitError(_too_large(path, im.size))
    if im.width == 0 or im.height == 0:
        raise PortraitError(f"portrait {path} has no pixels ({im.width}x{im.height})")


def _too_large(path: Path, size: tuple[int, int] | None) -> str:
    dims = f"{size[0]}x{size[1]} " if size else ""
    return (
        f"portrait {path} is too large ({dims}over {MAX_PORTRAIT_PIXELS // 1_000_000} "
        "megapixels); downscale it first"
    )


def _guard(step: Callable[[], T], path: Path) -> T:
    """Run a decoding step, turning Pillow's many failure types into one error."""
    try:
        return step()
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        reason = _one_line(exc)
        kind = "truncated" if "truncated" in reason.lower() else "corrupt"
        raise PortraitError(f"portrait {path} is {kind}: {reason}") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _to_rgb8(im: Image.Image, path: Path) -> np.ndarray:
    if im.mode in _SIXTEEN_BIT_MODES:
        gray = _sixteen_to_eight(np.asarray(im))
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in _ALPHA_MODES:
        return _composite(np.asarray(im.convert("RGBA")))
    if im.mode != "RGB":
        try:
            im = im.convert("RGB")
        except ValueError:
            raise PortraitError(
                f"portrait {path} has an unsupported pixel format ({im.mode})"
            ) from None
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))


def _sixteen_to_eight(samples: np.ndarray) -> np.ndarray:
    """Map 0..65535 onto 0..255 with rounding (Pillow's own conversion clips at 255).
    Mode "I" is 32-bit but comes from 16-bit files, so it gets the same scale."""
    wide = np.clip(samples.astype(np.int64), 0, 65535)
    return ((wide * 255 + 32767) // 65535).astype(np.uint8)


def _composite(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[:, :, 3:4].astype(np.uint16)
    rgb = rgba[:, :, :3].astype(np.uint16)
    bg = np.array(BACKGROUND_RGB, dtype=np.uint16)
    out = (rgb * alpha + bg * (255 - alpha) + 127) // 255
    return out.astype(np.uint8)
