"""Turning a photo or scan of a handwritten digit into the 28×28 picture an MNIST network expects.

MNIST digits are light ink on black, scaled so their longest side is 20 pixels and placed in a
28×28 frame with their centre of mass in the middle. A phone photo is dark ink on light paper,
at any size, anywhere in the frame. Without the same preparation a network trained on MNIST reads
photos little better than chance; with it, about as well as MNIST's own test digits.

    from mnist_helpers.digit_image import read_digit
    original, digit = read_digit("photo.jpg")   # digit: float32 (28, 28), 0 = paper, 1 = ink
"""

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from .errors import UserError

DIGIT_BOX = 20  # MNIST scales each digit so its longest side fits 20 pixels ...
FRAME = 28  # ... and centres it in a 28×28 frame
WEAKEST_INK = 0.12  # less contrast than this between ink and paper (0-1) is a blank page
NOISE_LEVEL = 0.25  # ink fainter than this share of the darkest stroke is paper texture or noise
WORKING_SIDE = 1024  # large photos are first reduced to this many pixels on their longest side
PAPER_THUMBNAIL = 64  # the paper's level is measured on a thumbnail this many pixels long ...
PAPER_WINDOW = 9  # ... as the faintest value within 9 pixels: wider than a pen stroke, narrower than shading


def read_digit(path) -> tuple[Image.Image, np.ndarray]:
    """Open ``path`` and prepare it: (the picture as opened and upright, the 28×28 MNIST-style digit)."""
    image = open_image(path)
    return image, to_mnist_digit(image, name=str(path))


def open_image(path) -> Image.Image:
    """Open an image file, upright (EXIF orientation applied), first frame only; refuse anything else.

    Pillow's decompression-bomb limit stays on: an image with more than Image.MAX_IMAGE_PIXELS
    pixels is refused before its pixels are decoded.
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise UserError(f"{path} is a folder, not an image; give the path of a PNG or JPEG file.")
        if path.stat().st_size == 0:
            raise UserError(f"{path} is empty (0 bytes); give a PNG or JPEG photo of a digit.")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # refuse, don't just warn
            with Image.open(path) as image:
                image.seek(0)  # a GIF's or TIFF's first frame
                image.load()
                return ImageOps.exif_transpose(image)
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; check the file name.")
    except UnidentifiedImageError:
        raise UserError(f"{path} is not an image Pillow can read; give a PNG, JPEG, BMP or GIF file.")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UserError(
            f"{path} is too large to open safely (more than {Image.MAX_IMAGE_PIXELS:,} pixels); "
            "resize it to a few megapixels first."
        )
    except OSError as error:  # truncated or damaged data, unreadable file
        raise UserError(f"{path} could not be read ({error}); save or copy the image again.")


def preview(image: Image.Image, longest_side: int = 800) -> Image.Image:
    """A small 8-bit copy of ``image`` for drawing: L, RGB or RGBA, at most ``longest_side`` pixels."""
    if image.mode not in ("L", "RGB", "RGBA"):
        image = Image.fromarray((grey_levels(image) * 255).astype(np.uint8))
    image = image.copy()
    image.thumbnail((longest_side, longest_side))  # drawing a 12-megapixel photo shows nothing more
    return image


def to_mnist_digit(image: Image.Image, name: str = "the image") -> np.ndarray:
    """The MNIST recipe: ink as light on black, cropped, longest side 20 px, centred by mass in 28×28."""
    ink = ink_map(image)
    if ink.max() < WEAKEST_INK:
        raise UserError(f"{name} shows no ink (the page looks blank); photograph a digit written in dark ink.")
    stroke = float(np.median(ink[ink > ink.max() / 2]))  # the typical level inside a stroke
    ink = np.clip((ink - NOISE_LEVEL * stroke) / ((1 - NOISE_LEVEL) * stroke), 0, 1)  # strokes 1, paper 0
    rows, columns = np.nonzero(ink)
    ink = ink[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]  # crop to the ink
    return centre_by_mass(scale_longest_side(ink, DIGIT_BOX), FRAME)


def ink_map(image: Image.Image) -> np.ndarray:
    """Float32 array, 0 where there is paper and up to 1 where there is ink, whatever the colours.

    Greyscale first; the paper is whatever most of the picture is, so dark ink on light paper is
    inverted and light chalk on a dark board is not. The paper's own level, including the gradual
    shading of a photo, is measured locally and subtracted.
    """
    grey = grey_levels(image)  # 0 = black, 1 = white
    if grey.size > WORKING_SIDE**2:
        grey = resize(grey, WORKING_SIDE / max(grey.shape))
    if np.median(grey) > 0.5:  # light paper: make the ink the bright part, as in MNIST
        grey = 1 - grey
    # The paper's level: the darkest nearby values, over windows wider than any pen stroke.
    small = Image.fromarray(resize(grey, PAPER_THUMBNAIL / max(grey.shape)))
    paper = small.filter(ImageFilter.MinFilter(PAPER_WINDOW)).resize(grey.shape[::-1], Image.Resampling.BILINEAR)
    ink = np.clip(grey - np.asarray(paper), 0, 1)
    # A 3×3 median drops single-pixel specks (sensor noise, JPEG ringing) but keeps strokes.
    return np.asarray(Image.fromarray(ink).filter(ImageFilter.MedianFilter(3)))


def grey_levels(image: Image.Image) -> np.ndarray:
    """Float32 brightness 0 (black) to 1 (white) for any mode, 16-bit included.

    Transparent pixels count as paper: they are laid on white when the visible marks are dark,
    on black when they are light.
    """
    if image.mode == "F":  # 32-bit floating point: scaled to its own brightest value
        values = np.asarray(image, dtype=np.float32)
        return np.clip(values / max(float(values.max()), 1e-9), 0, 1)
    if image.mode.startswith("I"):  # 16- and 32-bit whole numbers
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        return np.clip(values / top, 0, 1)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        alpha = np.asarray(image.getchannel("A"), dtype=np.float32) / 255
        marks = np.asarray(image.convert("L"), dtype=np.float32) / 255
        visible = alpha > 0.5
        background = 1.0 if not visible.any() or marks[visible].mean() < 0.5 else 0.0
        return (marks * alpha + background * (1 - alpha)).astype(np.float32)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255


def resize(values: np.ndarray, factor: float, method=None) -> np.ndarray:
    """Scale a float32 array by ``factor``, anti-aliased: a box filter to reduce, bilinear to enlarge."""
    height, width = values.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    method = method or (Image.Resampling.BOX if factor < 1 else Image.Resampling.BILINEAR)
    return np.asarray(Image.fromarray(values.astype(np.float32)).resize(size, method))


def scale_longest_side(ink: np.ndarray, side: int) -> np.ndarray:
    """Resize so the longer side is ``side`` pixels, keeping the aspect ratio, with anti-aliasing."""
    scaled = resize(ink, side / max(ink.shape), Image.Resampling.LANCZOS)
    return np.clip(scaled, 0, 1)  # Lanczos overshoots a little beside sharp edges


def centre_by_mass(digit: np.ndarray, frame: int) -> np.ndarray:
    """Paste ``digit`` into a ``frame``×``frame`` black square with its centre of mass in the middle."""
    height, width = digit.shape
    rows, columns = np.indices(digit.shape)
    mass = digit.sum()
    centre_row, centre_column = (rows * digit).sum() / mass, (columns * digit).sum() / mass
    # Integer shifts, as MNIST did; kept inside the frame for very lopsided digits.
    top = min(max(round(frame / 2 - centre_row), 0), frame - height)
    left = min(max(round(frame / 2 - centre_column), 0), frame - width)
    out = np.zeros((frame, frame), dtype=np.float32)
    out[top : top + height, left : left + width] = digit
    return out
