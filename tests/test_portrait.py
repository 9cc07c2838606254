"""load_portrait: every file kind it must decode, pixel by pixel, and every bad
file it must refuse with a one-line PortraitError naming the file."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from facespeak.errors import PortraitError
from facespeak.face import portrait as portrait_module
from facespeak.face.portrait import BACKGROUND_RGB, MAX_PORTRAIT_PIXELS, load_portrait

RED, GREEN, BLUE = (220, 30, 30), (30, 200, 40), (20, 40, 230)


def quadrants(width: int = 64, height: int = 48) -> np.ndarray:
    """Red, green / blue, white quadrants: any flip or rotation moves a colour."""
    img = np.empty((height, width, 3), np.uint8)
    h2, w2 = height // 2, width // 2
    img[:h2, :w2], img[:h2, w2:] = RED, GREEN
    img[h2:, :w2], img[h2:, w2:] = BLUE, (255, 255, 255)
    return img


def block_means(img: np.ndarray) -> np.ndarray:
    """Mean colour of each quadrant's inner half (away from JPEG edge ringing)."""
    h, w = img.shape[:2]
    cells = []
    for y0 in (0, h // 2):
        for x0 in (0, w // 2):
            cell = img[y0 + h // 8: y0 + 3 * h // 8, x0 + w // 8: x0 + 3 * w // 8]
            cells.append(cell.reshape(-1, 3).mean(axis=0))
    return np.array(cells)


def save(tmp_path: Path, name: str, im: Image.Image, **params) -> Path:
    path = tmp_path / name
    im.save(path, **params)
    return path


def assert_rgb8(pixels: np.ndarray, height: int, width: int) -> None:
    assert pixels.shape == (height, width, 3)
    assert pixels.dtype == np.uint8
    assert pixels.flags.c_contiguous


# ------------------------------------------------------------------ decoding
@pytest.mark.parametrize("fmt, suffix, tol", [("JPEG", ".jpg", 6), ("PNG", ".png", 0),
                                              ("WEBP", ".webp", 6), ("BMP", ".bmp", 0),
                                              ("TIFF", ".tif", 0)])
def test_rgb_formats_decode_to_the_written_pixels(tmp_path, fmt, suffix, tol):
    src = quadrants()
    extra = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    path = save(tmp_path, "face" + suffix, Image.fromarray(src), format=fmt, **extra)
    portrait = load_portrait(path)
    assert_rgb8(portrait.pixels, 48, 64)
    assert portrait.name == "face" + suffix
    np.testing.assert_allclose(block_means(portrait.pixels), block_means(src), atol=tol)


def with_orientation(img: np.ndarray, orientation: int, tmp_path: Path) -> Path:
    im = Image.fromarray(img)
    exif = im.getexif()
    exif[0x0112] = orientation
    return save(tmp_path, f"o{orientation}.jpg", im, quality=95, exif=exif)


@pytest.mark.parametrize("orientation, upright", [
    (1, lambda a: a),
    (3, lambda a: np.rot90(a, 2)),
    (6, lambda a: np.rot90(a, -1)),  # stored rotated: display turns it 90 degrees clockwise
    (8, lambda a: np.rot90(a, 1)),
    (2, lambda a: a[:, ::-1]),
])
def test_exif_orientation_is_applied(tmp_path, orientation, upright):
    src = quadrants(64, 48)
    pixels = load_portrait(with_orientation(src, orientation, tmp_path)).pixels
    expected = upright(src)
    assert pixels.shape == expected.shape
    np.testing.assert_allclose(block_means(pixels), block_means(expected), atol=6)


def test_orientation_6_puts_the_stored_left_edge_on_top(tmp_path):
    src = np.zeros((40, 80, 3), np.uint8)
    src[:, :40] = RED  # left half as stored
    pixels = load_portrait(with_orientation(src, 6, tmp_path)).pixels
    assert pixels.shape == (80, 40, 3)
    assert pixels[5:35, 5:35].mean(axis=(0, 1)) == pytest.approx(RED, abs=6)
    assert pixels[45:75, 5:35].max() < 10


def expected_8bit(v16: np.ndarray) -> np.ndarray:
    return np.round(v16.astype(np.float64) * 255 / 65535).astype(np.uint8)


def test_16_bit_gray_png_is_rescaled_not_clipped(tmp_path):
    ramp = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    path = save(tmp_path, "gray16.png", Image.fromarray(ramp))
    with Image.open(path) as im:
        assert im.mode == "I;16"
    pixels = load_portrait(path).pixels
    assert_rgb8(pixels, 256, 256)
    assert np.array_equal(pixels[..., 0], pixels[..., 1])
    assert np.array_equal(pixels[..., 0], pixels[..., 2])
    assert np.array_equal(pixels[..., 0], expected_8bit(ramp))
    assert pixels[128, 0, 0] == 128  # 32768: clipping would give 255


def test_16_bit_rgb_png_keeps_channel_order_and_scale(tmp_path):
    rgb16 = np.empty((8, 8, 3), np.uint16)
    rgb16[:] = (65535, 32896, 1000)
    path = tmp_path / "rgb16.png"
    cv2.imwrite(str(path), rgb16[:, :, ::-1])  # cv2 writes BGR
    pixels = load_portrait(path).pixels
    assert_rgb8(pixels, 8, 8)
    assert np.abs(pixels[0, 0].astype(int) - expected_8bit(rgb16[0, 0])).max() <= 1
    assert tuple(pixels[0, 0])[:2] == (255, 128)


def test_16_bit_rgba_png_is_composited(tmp_path):
    rgba16 = np.zeros((8, 8, 4), np.uint16)
    rgba16[:, :4] = (0, 0, 0, 65535)  # opaque black
    rgba16[:, 4:] = (0, 0, 0, 0)  # transparent
    path = tmp_path / "rgba16.png"
    cv2.imwrite(str(path), rgba16[:, :, [2, 1, 0, 3]])
    pixels = load_portrait(path).pixels
    assert (pixels[:, :4] == 0).all()
    assert (pixels[:, 4:] == BACKGROUND_RGB).all()


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_grayscale_becomes_three_equal_channels(tmp_path, suffix):
    gray = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (16, 1))
    pixels = load_portrait(save(tmp_path, "g" + suffix, Image.fromarray(gray, "L"))).pixels
    assert_rgb8(pixels, 16, 64)
    assert np.array_equal(pixels[..., 0], pixels[..., 2])
    tol = 0 if suffix == ".png" else 4
    assert np.abs(pixels[..., 1].astype(int) - gray).max() <= tol


def alpha_ramp_rgba() -> np.ndarray:
    rgba = np.zeros((4, 3, 4), np.uint8)
    rgba[..., :3] = (200, 100, 0)
    rgba[:, 0, 3], rgba[:, 1, 3], rgba[:, 2, 3] = 255, 128, 0
    return rgba


def composite(rgb, alpha) -> np.ndarray:
    rgb, bg = np.array(rgb, float), np.array(BACKGROUND_RGB, float)
    return np.round((rgb * alpha + bg * (255 - alpha)) / 255)


@pytest.mark.parametrize("suffix", [".png", ".webp", ".tif"])
def test_rgba_is_composited_over_the_background(tmp_path, suffix):
    extra = {"lossless": True} if suffix == ".webp" else {}
    path = save(tmp_path, "a" + suffix, Image.fromarray(alpha_ramp_rgba(), "RGBA"), **extra)
    pixels = load_portrait(path).pixels.astype(int)
    assert_rgb8(pixels.astype(np.uint8), 4, 3)
    assert tuple(pixels[0, 0]) == (200, 100, 0)
    assert np.abs(pixels[0, 1] - composite((200, 100, 0), 128)).max() <= 1
    assert tuple(pixels[0, 2]) == BACKGROUND_RGB


def test_gray_with_alpha_is_composited(tmp_path):
    la = np.zeros((2, 2, 2), np.uint8)
    la[0, :] = (50, 255)
    la[1, :] = (50, 0)
    pixels = load_portrait(save(tmp_path, "la.png", Image.fromarray(la, "LA"))).pixels
    assert (pixels[0] == 50).all()
    assert (pixels[1] == BACKGROUND_RGB).all()


@pytest.mark.parametrize("suffix", [".png", ".gif"])
def test_palette_with_transparency(tmp_path, suffix):
    im = Image.new("P", (4, 2))
    im.putpalette([0, 0, 0, 10, 20, 200, 250, 60, 10] + [0] * 759)
    im.putdata([0, 1, 2, 1, 0, 0, 2, 2])
    path = save(tmp_path, "p" + suffix, im, transparency=0)
    pixels = load_portrait(path).pixels
    assert tuple(pixels[0, 0]) == BACKGROUND_RGB  # index 0 is transparent, not black
    assert tuple(pixels[0, 1]) == (10, 20, 200)
    assert tuple(pixels[0, 2]) == (250, 60, 10)


def test_palette_without_transparency(tmp_path):
    im = Image.new("P", (2, 1))
    im.putpalette([0, 0, 0, 10, 20, 200] + [0] * 762)
    im.putdata([0, 1])
    pixels = load_portrait(save(tmp_path, "p.png", im)).pixels
    assert tuple(pixels[0, 0]) == (0, 0, 0)
    assert tuple(pixels[0, 1]) == (10, 20, 200)


@pytest.mark.parametrize("suffix, tol", [(".tif", 0), (".jpg", 6)])
def test_cmyk_becomes_rgb(tmp_path, suffix, tol):
    cmyk = np.zeros((16, 32, 4), np.uint8)
    cmyk[:, 16:] = (255, 0, 0, 0)  # pure cyan ink
    path = save(tmp_path, "c" + suffix, Image.fromarray(cmyk, "CMYK"))
    pixels = load_portrait(path).pixels.astype(int)
    assert np.abs(pixels[4:12, 2:12] - 255).max() <= tol  # no ink: white
    assert np.abs(pixels[4:12, 20:30] - (0, 255, 255)).max() <= tol


def test_animated_gif_gives_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    assert tuple(load_portrait(path).pixels[4, 4]) == (255, 0, 0)


def test_content_not_extension_decides_the_format(tmp_path):
    path = save(tmp_path, "really_a_png.jpg", Image.fromarray(quadrants()), format="PNG")
    assert np.array_equal(load_portrait(path).pixels, quadrants())


def test_real_portraits_load(real_dir):
    names = sorted(p for p in real_dir.iterdir() if p.suffix in (".jpg", ".png"))
    assert names
    for path in names:
        portrait = load_portrait(path)
        assert portrait.pixels.dtype == np.uint8 and portrait.pixels.ndim == 3
        assert min(portrait.width, portrait.height) >= 200, path.name


# -------------------------------------------------------------- refusals
def refused(path: Path, match: str) -> str:
    with pytest.raises(PortraitError, match=match) as info:
        load_portrait(path)
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    return message


def test_missing_file(tmp_path):
    refused(tmp_path / "nobody.jpg", "not found")


def test_directory(tmp_path):
    (tmp_path / "dir.png").mkdir()
    refused(tmp_path / "dir.png", "is a directory")


def test_empty_file(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    refused(tmp_path / "empty.jpg", "empty")


def test_text_file(tmp_path):
    (tmp_path / "notes.jpg").write_text("Hello, this is not a picture.\n" * 20)
    refused(tmp_path / "notes.jpg", "not a supported image")


def test_video_file(tmp_path):
    import av

    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as box:
        stream = box.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            box.mux(stream.encode(frame))
        box.mux(stream.encode(None))
    refused(path, "not a supported image")


def encoded(fmt: str) -> bytes:
    rng = np.random.default_rng(1)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt, keep", [("JPEG", 0.5), ("JPEG", 0.97), ("JPEG", -2),
                                       ("PNG", 0.5), ("WEBP", 0.5),
                                       # Pillow's load() accepts these two PNGs silently:
                                       ("PNG", -12), ("PNG", -20)])
def test_truncated_images_are_refused(tmp_path, fmt, keep):
    data = encoded(fmt)
    cut = int(len(data) * keep) if keep > 0 else len(data) + keep
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[:cut])
    refused(path, "truncated|corrupt")


def test_corrupt_png_data_is_refused(tmp_path):
    data = bytearray(encoded("PNG"))
    data[len(data) // 2] ^= 0xFF  # breaks the IDAT checksum
    path = tmp_path / "flipped.png"
    path.write_bytes(bytes(data))
    refused(path, "corrupt")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, followed by junk pixel data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"junk" * 8)
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(9000, 6000), (40000, 40000)])
def test_decompression_bomb_is_refused_from_the_header(tmp_path, width, height):
    assert width * height > MAX_PORTRAIT_PIXELS
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(width, height))
    # The junk data would fail as "corrupt" if the size were checked after decoding.
    refused(path, "too large")


def test_pixel_limit_is_the_documented_constant(tmp_path, monkeypatch):
    path = save(tmp_path, "ok.png", Image.fromarray(quadrants(64, 48)))
    monkeypatch.setattr(portrait_module, "MAX_PORTRAIT_PIXELS", 64 * 48 - 1)
    message = refused(path, "too large")
    assert "64x48" in message
    monkeypatch.setattr(portrait_module, "MAX_PORTRAIT_PIXELS", 64 * 48)
    assert load_portrait(path).width == 64


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path):
    path = save(tmp_path, "locked.png", Image.fromarray(quadrants()))
    path.chmod(0)
    refused(path, "permission denied")


def test_permission_error_is_reported(tmp_path, monkeypatch):
    path = save(tmp_path, "locked.png", Image.fromarray(quadrants()))

    def deny(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    refused(path, "permission denied")
