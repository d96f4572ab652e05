"""Turning a photo or scan of a handwritten digit into the 28×28 picture an MNIST network expects.

MNIST's digits were scanned in black and white, scaled so their longest side is 20 pixels (which
anti-aliased their edges) and placed in a 28×28 frame with their centre of mass in the middle; in
the arrays the ink is the high values (strokes up to 1.0) on a background of 0. A phone photo is
dark ink on light paper, with uneven light, at any size, anywhere in the frame, drawn with any pen.
``to_mnist_digit`` prepares it as MNIST's digits were prepared, one step for each difference:

1. **Ink, whatever the colours** (``ink_map``): greyscale; inverted when the marks are darker than
   the paper. What is paper is judged from where paper must be, the picture's border (a digit may
   touch it but never covers most of it): so a bold digit filling a close-up, or a small digit in a
   12-megapixel photo, is not taken for paper. The ink is then the high values.
2. **The paper's own level, whatever the light**: a plane (a + bx + cy) fitted to the pixels that
   are paper, and subtracted. It follows light falling off across the page, and, unlike a local
   minimum, it does not depend on how wide the strokes are: a broad marker stays solid, not an
   outline. A shadow with a hard edge (a hand's, a phone's: the paper at two levels on the picture's
   border, nothing between) gets a plane of its own, the paper along its edge is the picture itself
   (``shadowed_paper``), and the ink is measured against the paper's own light there, so that a
   digit across the edge is one digit.
3. **Strokes at full strength, whatever the pen**: ink is scaled so the level inside a stroke (the
   90th percentile of the stronger half of the ink) is 1; what is fainter than a quarter of it is
   paper texture or noise and becomes 0.
4. **Cropped to the ink**, found on a coarse copy where single specks of noise vanish.
5. **MNIST's stroke weight**: the digit is scaled to 4 × 20 = 80 pixels on its longest side, its
   stroke width measured there (twice the ink's area over its outline's length). Strokes thinner or
   broader than MNIST's own (its 10th to 90th percentile at that scale, ``MNIST_STROKES``, measured on
   its training digits by ``bench/handwriting.py --measure``) are thickened or thinned a pixel at a
   time into that range. A thin pen and a broad marker both reach the network as MNIST-like strokes.
6. **Longest side 20 pixels**, by averaging each 4 × 4 block (the anti-aliasing MNIST's scaling
   gave its digits), then **centred by mass** in 28 × 28 with whole-pixel shifts, as MNIST (a shift
   within 0.005 of a half pixel blends the two nearest places: ``centre_by_mass``).

``web/prepare.js`` takes every step in the same order with the same constants, function for function,
from the pad's grey levels on; ``tests/test_web.py`` feeds both the same 36 drawings and checks
that they agree within 0.01.

    from mnist_helpers.digit_image import read_digit
    original, digit = read_digit("photo.jpg")   # digit: float32 (28, 28), 0 = paper, 1 = ink
"""

import math
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import UserError
from .plumbing.files import NotAFile, cannot_read, open_regular

DIGIT_BOX = 20  # MNIST scales each digit so its longest side fits 20 pixels ...
FRAME = 28  # ... and centres it in a 28×28 frame
FINE = 4  # stroke widths are measured and matched at 4 × 20 = 80 pixels
MNIST_STROKES = (7.3, 14.1)  # MNIST's stroke widths there, 10th to 90th percentile (bench/handwriting.py --measure)
WEAKEST_INK = 0.12  # less contrast than this between ink and paper (0-1) is a blank page
NOISE_LEVEL = 0.25  # ink fainter than this share of a stroke's own level is paper texture or noise
WORKING_SIDE = 1024  # large photos are first reduced to this many pixels on their longest side
HALF_BLEND = 0.005  # a move this near a half pixel blends the two nearest whole-pixel places
COARSE_SIDE = 64  # the paper's level and the digit's extent are found on a copy this many pixels long
MID_SIDE = 256  # a shadow's hard edge is looked for on a copy this many pixels long
SHADOW_SHARE = (0.15, 0.85)  # of the picture's border a shadow from one side or a corner falls across
SHADOW_DEPTH = 0.1  # the shadowed paper is at least this much darker than the lit paper (0-1) ...
SHADOW_GAP = 0.02  # ... with at most this share of the border's paper between the two levels: a step


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
        file = open_regular(path)  # a FIFO could wait forever, a device never ends
    except NotAFile as kind:
        raise UserError(f"{path} is {kind}, not an image; give the path of a PNG or JPEG file.")
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; check the file name.")
    except OSError as error:
        raise cannot_read(path, error)
    try:
        with file, warnings.catch_warnings():
            if os.fstat(file.fileno()).st_size == 0:
                raise UserError(f"{path} is empty (0 bytes); give a PNG or JPEG photo of a digit.")
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # refuse, don't just warn
            with Image.open(file) as image:
                image.seek(0)  # a GIF's or TIFF's first frame
                image.load()
                return ImageOps.exif_transpose(image)
    except UnidentifiedImageError:
        raise UserError(f"{path} is not an image Pillow can read; give a PNG, JPEG, BMP or GIF file.")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UserError(
            f"{path} is too large to open safely (more than {Image.MAX_IMAGE_PIXELS:,} pixels); "
            "resize it to a few megapixels first."
        )
    except (OSError, ValueError, SyntaxError) as error:  # truncated or damaged data, a text chunk too large
        raise UserError(f"{path} could not be read ({error}); save or copy the image again.")


def preview(image: Image.Image, longest_side: int = 800) -> Image.Image:
    """A small 8-bit copy of ``image`` for drawing: L, RGB or RGBA, at most ``longest_side`` pixels."""
    if image.mode not in ("L", "RGB", "RGBA"):
        image = Image.fromarray((grey_levels(image) * 255).astype(np.uint8))
    image = image.copy()
    image.thumbnail((longest_side, longest_side))  # drawing a 12-megapixel photo shows nothing more
    return image


def to_mnist_digit(image: Image.Image, name: str = "the image") -> np.ndarray:
    """The MNIST recipe (the module's docstring says why each step): float32 28×28, 0 = paper, 1 = ink."""
    ink = ink_map(image)
    halved = resize(ink, 0.5) if min(ink.shape) > 8 else ink  # 2×2 averages: single noisy pixels do not count
    if halved.max() < WEAKEST_INK:
        raise UserError(f"{name} shows no ink (the page looks blank); photograph a digit written in dark ink.")
    stroke = float(np.percentile(halved[halved > halved.max() / 2], 90))  # the level inside a stroke
    ink = np.clip((ink - NOISE_LEVEL * stroke) / ((1 - NOISE_LEVEL) * stroke), 0, 1)  # strokes 1, paper 0
    top, bottom, left, right = ink_extent(ink)
    strokes = with_stroke_width(fine_strokes(ink[top:bottom, left:right], FINE * DIGIT_BOX), *MNIST_STROKES)
    return centre_by_mass(scale_longest_side(crop_to_ink(strokes), DIGIT_BOX), FRAME)


def ink_map(image: Image.Image) -> np.ndarray:
    """Float32 array, 0 where there is paper and up to 1 where there is ink, whatever the colours and the light."""
    grey = grey_levels(image)  # 0 = black, 1 = white
    if grey.size > WORKING_SIDE**2:
        grey = resize(grey, WORKING_SIDE / max(grey.shape))
    coarse = resize(grey, min(1.0, COARSE_SIDE / max(grey.shape)))
    if marks_are_dark(grey, coarse):
        grey, coarse = 1 - grey, 1 - coarse
    level = shadowed_paper(grey)
    if level is None:
        return np.clip(grey - paper_level(coarse, grey.shape), 0, 1)
    return np.clip((grey - level) / np.maximum(1 - level, 0.05), 0, 1)  # against the paper's own light there


def border_of(shape: tuple[int, int], ring: int = 0) -> np.ndarray:
    """The outer sixteenth of a picture of ``shape`` on each side (or ``ring`` pixels): where paper must be."""
    border = np.ones(shape, bool)
    ring = max(1, min(ring or min(shape) // 16, (min(shape) - 1) // 2))
    border[ring:-ring, ring:-ring] = False
    return border


def marks_are_dark(grey: np.ndarray, coarse: np.ndarray) -> bool:
    """Whether the marks are darker than the paper, judged from where paper must be: the picture's border.
    A digit may touch the border, but never covers most of it, however bold or close up; a plane fitted to
    the border (light falling off across the page) is the paper's level, and the marks are what lies
    farthest from it, on a copy smoothed just enough (4 × 4) that sensor noise does not count."""
    border = border_of(coarse.shape)
    smooth = resize(grey, 0.25) if min(grey.shape) >= 32 else grey
    residual = smooth - _fit_surface(coarse, border, smooth.shape)
    return -float(residual.min()) > float(residual.max())


def paper_level(coarse: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The paper's brightness at every pixel of a picture of ``shape``: a plane fitted to the paper's
    pixels of its ``coarse`` copy. First guess: the darker 60% is paper; then the fit's own
    residuals decide which pixels are paper (Otsu's split), and it is fitted again."""
    paper = coarse <= np.percentile(coarse, 60)
    for _ in range(2):
        residual = coarse - _fit_surface(coarse, paper)
        split = residual < _otsu(residual)
        paper = split if split.sum() >= 3 else paper  # a blank, even page: every pixel stays paper
    return _fit_surface(coarse, paper, shape)


def shadowed_paper(grey: np.ndarray) -> np.ndarray | None:
    """The paper's level at every pixel where a shadow with a hard edge (a hand's, a phone's) lies over part of
    the page; None where none does. The paper is found on a copy MID_SIDE pixels long with the strokes taken
    out (``opening``, over a square wider than any stroke). A shadow shows on the picture's border as paper at
    two levels with next to nothing between them (light falling off is a slope, with every level between).
    Then the lit paper and the shadowed paper each get a plane; along the shadow's edge, what is not darker
    than the shadowed paper by half the shadow's depth is paper at its own level (kept between the two
    planes): the edge, sharp or soft, is paper, and the strokes there are measured against their side's."""
    factor = min(1.0, MID_SIDE / max(grey.shape))
    reach = math.ceil((min(grey.shape) * factor // 16 + 2) / factor)  # what the copy's border is averaged from
    if float(grey[border_of(grey.shape, reach)].max()) - float(grey.min()) < SHADOW_DEPTH:
        return None  # the copy's border can hold no two levels that far apart, and the opening only narrows them
    mid = resize(grey, factor)
    ring = border_of(mid.shape)
    radius = max(1, round(max(mid.shape) / 16))
    paper = opening(mid, radius)
    border = paper[ring]
    split = _otsu(border)
    shadowed = border > split
    if not SHADOW_SHARE[0] <= shadowed.mean() <= SHADOW_SHARE[1]:
        return None
    lit_level, shadow_level = float(border[~shadowed].mean()), float(border[shadowed].mean())
    between = np.abs(border - (lit_level + shadow_level) / 2) < (shadow_level - lit_level) / 4
    if shadow_level - lit_level < SHADOW_DEPTH or between.mean() > SHADOW_GAP:
        return None
    shade = paper > split
    lit, dark = (_fit_surface(paper, where, grey.shape) for where in (~shade, shade))
    edge = spread(shade, radius // 2, np.maximum) & ~spread(shade, radius // 2, np.minimum)
    rows = np.arange(grey.shape[0]) * mid.shape[0] // grey.shape[0]  # each pixel's pixel of the copy
    columns = np.arange(grey.shape[1]) * mid.shape[1] // grey.shape[1]
    shade, edge = shade[np.ix_(rows, columns)], edge[np.ix_(rows, columns)]
    low, high = np.minimum(lit, dark), np.maximum(lit, dark)
    paper_there = edge & (grey <= high + (high - low) / 2)  # darker by half the shadow's depth: a stroke
    return np.where(paper_there, np.clip(grey, low, high), np.where(shade, dark, lit))


def opening(values: np.ndarray, radius: int) -> np.ndarray:
    """Each pixel the largest of the smallest values around it (squares of 2·radius + 1): what is higher than
    its surroundings and narrower than the square (ink, in the ink map) goes, broad levels stay."""
    return spread(spread(values, radius, np.minimum), radius, np.maximum)


def spread(values: np.ndarray, radius: int, reduce) -> np.ndarray:
    """``reduce`` (np.minimum or np.maximum) over the square of 2·radius + 1 around each pixel, the picture's
    edge repeated beyond it: along rows, then columns, each in blocks of the window's width (van Herk and
    Gil-Werman: three comparisons a pixel, whatever the radius)."""
    width = 2 * radius + 1
    for axis in (0, 1):
        lines = np.moveaxis(values, axis, -1)
        length = lines.shape[-1]
        padded = np.pad(lines, [(0, 0), (radius, radius - (length + 2 * radius) % -width)], mode="edge")
        blocks = padded.reshape(len(lines), -1, width)
        forward = reduce.accumulate(blocks, axis=-1).reshape(len(lines), -1)  # from each block's start
        backward = reduce.accumulate(blocks[..., ::-1], axis=-1)[..., ::-1].reshape(len(lines), -1)  # to its end
        values = np.moveaxis(reduce(backward[:, :length], forward[:, width - 1 : width - 1 + length]), -1, axis)
    return values


def _fit_surface(values: np.ndarray, where: np.ndarray, shape=None) -> np.ndarray:
    """The plane a + bx + cy closest to ``values`` at ``where``, evaluated on a grid of ``shape``
    (default: the values' own) spanning the same picture. A plane, not a curved surface: light falling
    off across a page is a slope, and a curved surface could bend to fit a ring of ink (a tight "0")."""
    y, x = (np.linspace(-1, 1, n, dtype=np.float32) for n in values.shape)
    yy, xx = np.meshgrid(y, x, indexing="ij")
    terms = np.stack([np.ones_like(xx), xx, yy], axis=-1)[where]
    a, b, c = np.linalg.lstsq(terms, values[where], rcond=None)[0]
    y, x = (np.linspace(-1, 1, n, dtype=np.float32) for n in (shape or values.shape))
    return (a + b * x[None, :] + c * y[:, None]).astype(np.float32)


def _otsu(values: np.ndarray) -> float:
    """The level that best splits ``values`` into two groups (Otsu's method, on a 64-bin histogram)."""
    if np.ptp(values) < 1e-6:  # all alike: nothing to split
        return float(values.max()) + 1
    counts, edges = np.histogram(values, bins=64)
    centres = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(counts)
    mass = np.cumsum(counts * centres)
    above = below[-1] - below
    with np.errstate(divide="ignore", invalid="ignore"):
        between = below * above * (mass / below - (mass[-1] - mass) / above) ** 2
    return float(centres[int(np.nanargmax(between))])


def ink_extent(ink: np.ndarray) -> tuple[int, int, int, int]:
    """Top, bottom, left, right of the digit: the ink's box, found on a coarse copy where a stray speck
    of noise averages away, then made exact within it."""
    factor = min(1.0, COARSE_SIDE / max(ink.shape))
    coarse = resize(ink, factor)
    level = float(np.median(coarse[coarse > coarse.max() / 2]))
    rows, columns = np.nonzero(coarse > level / 4)
    scale = 1 / factor
    top, bottom = int((rows.min() - 1) * scale), int(np.ceil((rows.max() + 2) * scale))
    left, right = int((columns.min() - 1) * scale), int(np.ceil((columns.max() + 2) * scale))
    top, left = max(top, 0), max(left, 0)
    rows, columns = np.nonzero(ink[top:bottom, left:right] > 0.5)  # a soft edge ends where it is half ink
    return top + rows.min(), top + rows.max() + 1, left + columns.min(), left + columns.max() + 1


def fine_strokes(ink: np.ndarray, side: int) -> np.ndarray:
    """The cropped digit at ``side`` pixels on its longest side. Reducing averages the pixels each new
    pixel covers; strokes thinner than that are first reduced by taking each block's strongest pixel,
    so that a fine pen stays a line at full strength rather than fading to grey."""
    step = int(max(ink.shape) / side)
    if step >= 2 and stroke_width(ink) < 2 * step:
        ink = ink * _has_inky_neighbour(ink > 0)  # a lone pixel is noise, and the block's maximum would keep it
        height, width = -(-ink.shape[0] // step) * step, -(-ink.shape[1] // step) * step
        padded = np.zeros((height, width), np.float32)
        padded[: ink.shape[0], : ink.shape[1]] = ink
        ink = padded.reshape(height // step, step, width // step, step).max(axis=(1, 3))
    return scale_longest_side(ink, side)


def _shifted(values: np.ndarray, margin: int, centre: bool = True) -> list[np.ndarray]:
    """``values`` padded by ``margin`` and moved one pixel each way (and not at all, with ``centre``):
    the nine (or eight) arrays a 3×3 neighbourhood takes its maximum or minimum over, each keeping
    ``margin - 1`` pixels of room around the original."""
    around = np.pad(values, margin)
    height, width = around.shape[0] - 2, around.shape[1] - 2
    return [
        around[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
        if centre or dy or dx
    ]


def _has_inky_neighbour(mask: np.ndarray) -> np.ndarray:
    return np.logical_or.reduce(_shifted(mask, 1, centre=False))


def stroke_width(ink: np.ndarray) -> float:
    """The strokes' typical width in pixels: twice their area over the length of their outline (for a
    stroke of length L and width w: area L·w, outline about 2·L). The outline is counted along rows and
    columns, which overcounts a slanted edge by 4/π on average; that is taken out."""
    mask = ink > 0.5
    edges = np.count_nonzero(mask[1:] != mask[:-1]) + np.count_nonzero(mask[:, 1:] != mask[:, :-1])
    edges += np.count_nonzero(mask[[0, -1]]) + np.count_nonzero(mask[:, [0, -1]])  # the frame's own sides
    return 2 * np.count_nonzero(mask) / max(edges * np.pi / 4, 1)


def with_stroke_width(ink: np.ndarray, thinnest: float, broadest: float) -> np.ndarray:
    """Thicken (dilate) strokes thinner than ``thinnest``, or thin (erode) strokes broader than ``broadest``,
    a pixel on each side at a time, measuring again after each step, until they are within that range;
    strokes within MNIST's own range are left as they are, and a digit is never eroded away."""
    width = stroke_width(ink)
    grow, shrink = width < thinnest, width > broadest
    for _ in range(max(ink.shape) // 2):
        if (grow and width >= thinnest) or (shrink and width <= broadest) or not (grow or shrink):
            break
        # growing keeps a pixel of room on each side for the strokes to grow into
        changed = np.maximum.reduce(_shifted(ink, 2)) if grow else np.minimum.reduce(_shifted(ink, 1))
        if changed.max() <= 0.5:
            break
        ink = changed
        width = stroke_width(ink)
    return ink


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    rows, columns = np.nonzero(ink > 0.02)
    return ink[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]


def grey_levels(image: Image.Image) -> np.ndarray:
    """Float32 brightness 0 (black) to 1 (white) for any mode, 16-bit included.

    Transparent pixels count as paper: they are laid on white when the visible marks are dark,
    on black when they are light.
    """
    if image.mode == "F":  # 32-bit floating point: scaled to its own brightest value
        values = np.asarray(image, dtype=np.float32)
        if not np.isfinite(values).all():
            raise UserError(
                "The image holds pixel values that are not numbers (NaN or infinite); save it as a PNG or JPEG."
            )
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
    if image.mode == "LAB":  # Pillow converts LAB to nothing else; its L channel is the lightness
        return np.asarray(image.getchannel("L"), dtype=np.float32) / 255
    try:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255
    except ValueError:  # a mode Pillow cannot convert
        raise UserError(f"The image's colour mode ({image.mode}) cannot be read as grey; save it as a PNG or JPEG.")


def resize(values: np.ndarray, factor: float, method=None) -> np.ndarray:
    """Scale a float32 array by ``factor``, anti-aliased: a box filter to reduce, bilinear to enlarge."""
    height, width = values.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    method = method or (Image.Resampling.BOX if factor < 1 else Image.Resampling.BILINEAR)
    return np.asarray(Image.fromarray(values.astype(np.float32)).resize(size, method))


def scale_longest_side(ink: np.ndarray, side: int) -> np.ndarray:
    """Resize so the longer side is ``side`` pixels, keeping the aspect ratio: averaging the pixels each
    new pixel covers when reducing (anti-aliasing), bilinear when enlarging."""
    return np.clip(resize(ink, side / max(ink.shape)), 0, 1)


def centre_by_mass(digit: np.ndarray, frame: int) -> np.ndarray:
    """Paste ``digit`` into a ``frame``×``frame`` black square with its centre of mass in the middle: moved by
    whole pixels, as MNIST did, and kept inside the frame for very lopsided digits. Where the move falls
    within HALF_BLEND of a half pixel, the two nearest whole-pixel places are blended by how near each is, so
    that the last bits of the centre (sums taken in another order: the drawing page's) cannot move the
    digit by a whole pixel."""
    height, width = digit.shape
    mass = float(digit.sum(dtype=np.float64))
    centre_row = float(np.arange(height) @ digit.sum(axis=1, dtype=np.float64)) / mass
    centre_column = float(np.arange(width) @ digit.sum(axis=0, dtype=np.float64)) / mass
    out = np.zeros((frame, frame), dtype=np.float32)
    for top, down in _places(frame / 2 - centre_row, frame - height):
        for left, across in _places(frame / 2 - centre_column, frame - width):
            out[top : top + height, left : left + width] += np.float32(down * across) * digit
    return out


def _places(move: float, most: int) -> list[tuple[int, float]]:
    """The whole-pixel places (0 to ``most``) for a move of ``move`` pixels, with their weights: the nearest
    one alone, or within HALF_BLEND of a half the two nearest, weighted linearly across that span."""
    low = math.floor(move)
    up = min(max((move - low - (0.5 - HALF_BLEND)) / (2 * HALF_BLEND), 0.0), 1.0)  # 0: round down, 1: up
    return [(min(max(place, 0), most), weight) for place, weight in ((low, 1 - up), (low + 1, up)) if weight > 0]
