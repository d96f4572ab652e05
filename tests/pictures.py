"""Pictures the tests draw: a page with one large digit on it, MNIST digits as scans, and image files that are not right."""

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PAPER, INK = 215, 35  # light grey paper, dark ink: a pen on paper under room light


def page(digit: str = "7", size=(300, 400), at=(150, 200), paper=PAPER, ink=INK, mode="L") -> Image.Image:
    """A page with one large handwritten-looking digit on it."""
    colour = (lambda v: v) if mode == "L" else (lambda v: (v, v, v))
    image = Image.new(mode, size, colour(paper))
    font = ImageFont.load_default(size=160)
    ImageDraw.Draw(image).text(at, digit, fill=colour(ink), font=font, anchor="mm")
    return image


def in_shadow(image: Image.Image, side: str, reach: float, dim: float = 0.5, slant: float = 0.15) -> np.ndarray:
    """The picture's grey levels with a hand's shadow over it: from ``side`` (left, top, right, bottom), reaching
    ``reach`` of the way across, its edge slanted and 3 pixels soft, the paper in it ``dim`` as bright."""
    values = np.asarray(image, dtype=np.float32)
    if side in ("top", "bottom"):
        values = values.T
    height, width = values.shape
    rows, columns = np.indices(values.shape, dtype=np.float32)
    across = columns if side in ("left", "top") else width - 1 - columns
    shade = np.clip((reach * width + slant * (rows - height / 2) - across) / 3 + 0.5, 0, 1)
    values = values * (1 - (1 - dim) * shade)
    return values.T if side in ("top", "bottom") else values


def save(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_bomb(path, side: int = 30000):
    """A valid side×side PNG (1 bit per pixel, all black): 130 KB on disk, 900 MB once decoded."""
    packer = zlib.compressobj(9)
    row = b"\0" * (1 + side // 8)  # filter byte + one bit per pixel
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")
    )
    return path


def write_truncated_jpeg(path):
    whole = io.BytesIO()
    page(mode="RGB").save(whole, format="JPEG", quality=90)
    path.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    return path


def scan(digit, rng) -> Image.Image:
    """An MNIST digit as a phone or scanner would see it written on paper: enlarged ×6-10, dark ink
    on light grey paper, off-centre on a larger page, with sensor noise."""
    scale = int(rng.integers(6, 11))
    side = 28 * scale
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR), np.float32) / 255
    height, width = side + rng.integers(40, 240, size=2)
    paper, pen = rng.uniform(0.72, 0.9), rng.uniform(0.05, 0.3)
    sheet = np.full((height, width), paper, np.float32)
    top, left = rng.integers(0, height - side), rng.integers(0, width - side)
    sheet[top : top + side, left : left + side] = paper * (1 - ink) + pen * ink
    sheet += rng.normal(0, 0.03, sheet.shape)
    return Image.fromarray((np.clip(sheet, 0, 1) * 255).round().astype(np.uint8))
