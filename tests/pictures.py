"""Pictures the tests draw: a page with one large digit on it, and image files that are not right."""

import io
import struct
import zlib

from PIL import Image, ImageDraw, ImageFont

PAPER, INK = 215, 35  # light grey paper, dark ink: a pen on paper under room light


def page(digit: str = "7", size=(300, 400), at=(150, 200), paper=PAPER, ink=INK, mode="L") -> Image.Image:
    """A page with one large handwritten-looking digit on it."""
    colour = (lambda v: v) if mode == "L" else (lambda v: (v, v, v))
    image = Image.new(mode, size, colour(paper))
    font = ImageFont.load_default(size=160)
    ImageDraw.Draw(image).text(at, digit, fill=colour(ink), font=font, anchor="mm")
    return image


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
