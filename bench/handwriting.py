"""How well predict.py reads handwriting: MNIST test digits rendered as photos of many pens and papers.

    MNIST_DATA=/path/to/mnist python bench/handwriting.py [--out table.md]   # the README's table
    MNIST_DATA=/path/to/mnist python bench/handwriting.py --measure          # MNIST's own stroke width
    MNIST_DATA=/path/to/mnist python bench/handwriting.py --small-photos 500 # the uneven-light 12 MP photos, four ways
    MNIST_DATA=/path/to/mnist python bench/handwriting.py --shadows 500      # the hard-shadow row on 500 digits

The same 500 test digits (a fixed seed) are rendered once per condition (the present scan as JPEG,
as tests/test_real_mnist.py has always drawn it), prepared by mnist_helpers/digit_image.py and read
by the default run's model; each row is compared with the
same model on the raw 28×28 digits. tests/test_real_mnist.py runs the same table and checks its goals.
"""

import argparse
import functools
import io
import os
import sys
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mnist_helpers.digit_image import FINE, DIGIT_BOX, crop_to_ink, scale_longest_side, stroke_width, to_mnist_digit  # noqa: E402

COUNT, SEED = 500, 2026
SCALE = 10  # the digits are drawn 10 times MNIST's size: 280 pixels for 28


_skeletons = {}  # the thin pen and its unprepared counterpart thin the same digits: once each


def skeleton(digit: np.ndarray, side: int) -> np.ndarray:
    """The digit's strokes thinned to 1-pixel lines (Zhang and Suen's thinning), at side × side."""
    key = (digit.tobytes(), side)
    if key not in _skeletons:
        _skeletons[key] = _thinned(
            np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR)) > 127
        )
    return _skeletons[key]


def _removable(step: int) -> np.ndarray:
    """Zhang and Suen's test for one sub-iteration, for all 256 neighbourhoods: bit i of the index is
    neighbour P(i+2) (P2 above the pixel, then clockwise to P9)."""
    p = (np.arange(256)[:, None] >> np.arange(8)) & 1  # P2 ... P9 of each neighbourhood
    neighbours = p.sum(axis=1)
    transitions = sum((1 - p[:, i]) & p[:, (i + 1) % 8] for i in range(8))  # 0 -> 1 going round
    if step == 0:
        edge = (1 - (p[:, 0] & p[:, 2] & p[:, 4])) & (1 - (p[:, 2] & p[:, 4] & p[:, 6]))
    else:
        edge = (1 - (p[:, 0] & p[:, 2] & p[:, 6])) & (1 - (p[:, 0] & p[:, 4] & p[:, 6]))
    return (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & (edge == 1)


REMOVABLE = (_removable(0), _removable(1))


def _thinned(mask: np.ndarray) -> np.ndarray:
    """Each sub-iteration tests every remaining ink pixel's 8 neighbours at once and removes those that pass."""
    image = np.pad(mask, 1).astype(np.uint8)  # a margin: every pixel has 8 neighbours
    width = image.shape[1]
    flat = image.ravel()
    neighbours = [-width, -width + 1, 1, width + 1, width, width - 1, -1, -width - 1]  # P2 ... P9, clockwise
    ink = np.flatnonzero(flat)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            code = np.zeros(len(ink), np.uint8)
            for bit, offset in enumerate(neighbours):
                code |= flat[ink + offset] << bit
            remove = REMOVABLE[step][code]
            if remove.any():
                flat[ink[remove]] = 0
                ink = ink[~remove]
                changed = True
    return image[1:-1, 1:-1].astype(bool)


THINNED_AT = 28 * SCALE  # the strokes are thinned at 10× enlargement, as drawn


def pen_strokes(digit: np.ndarray, width: float) -> np.ndarray:
    """The digit thinned to its skeleton and redrawn along it with a pen ``width`` pixels wide, at SCALE ×
    its size: a thin pen."""
    lines = skeleton(digit, THINNED_AT)
    side, step = 28 * SCALE, 28 * SCALE / THINNED_AT
    picture = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(picture)
    for y, x in zip(*np.nonzero(lines)):
        cy, cx = (y + 0.5) * step, (x + 0.5) * step
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
            if 0 <= y + dy < THINNED_AT and 0 <= x + dx < THINNED_AT and lines[y + dy, x + dx]:
                draw.line((cx, cy, cx + dx * step, cy + dy * step), fill=255, width=max(1, round(width)))
    return np.asarray(picture, np.float32) / 255


def marker_strokes(digit: np.ndarray, width: float) -> np.ndarray:
    """The digit at SCALE × its size with its strokes dilated to about ``width`` pixels: a broad marker.
    Dilation by blurring the strokes and keeping all the blur reaches."""
    ink = enlarged(digit) > 0.5
    grow = max(0.0, float(width - stroke_width(ink)) / 2)
    blurred = Image.fromarray((ink * 255).astype(np.uint8)).filter(ImageFilter.BoxBlur(grow))
    return (np.asarray(blurred, np.float32) > 255 * 0.02).astype(np.float32)


def enlarged(digit: np.ndarray, size: int = 28 * SCALE, blur: float = 0) -> np.ndarray:
    picture = Image.fromarray(digit).resize((size, size), Image.Resampling.BILINEAR)
    if blur:
        picture = picture.filter(ImageFilter.GaussianBlur(blur))
    return np.asarray(picture, np.float32) / 255


def on_paper(ink: np.ndarray, rng, margin=(20, 120), shadow: bool = False) -> Image.Image:
    """Ink (0-1) as dark ink on light grey paper, off-centre on a larger page, with sensor noise."""
    side_y, side_x = ink.shape
    height, width = side_y + int(rng.integers(*margin)), side_x + int(rng.integers(*margin))
    paper, pen = rng.uniform(0.72, 0.9), rng.uniform(0.05, 0.3)
    sheet = np.full((height, width), paper, np.float32)
    top, left = int(rng.integers(0, height - side_y + 1)), int(rng.integers(0, width - side_x + 1))
    sheet[top : top + side_y, left : left + side_x] = paper * (1 - ink) + pen * ink
    if shadow:  # the light falls off across the page: a third as bright at the far edge
        sheet *= np.linspace(1.0, 0.35, width, dtype=np.float32)[None, :]
    sheet += rng.standard_normal(sheet.shape, dtype=np.float32) * 0.03
    return Image.fromarray((np.clip(sheet, 0, 1) * 255).round().astype(np.uint8))


def as_jpeg(picture: Image.Image) -> Image.Image:
    """The picture saved as a JPEG (quality 85, a phone's) and opened again."""
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return Image.open(io.BytesIO(buffer.getvalue()))


def tight(ink: np.ndarray) -> np.ndarray:
    """The page cut so the digit fills 90% of it."""
    rows, columns = np.nonzero(ink > 0.1)
    side = max(rows.max() - rows.min(), columns.max() - columns.min()) + 1
    pad = int(side / 0.9 - side) // 2
    cy, cx = (rows.min() + rows.max()) // 2, (columns.min() + columns.max()) // 2
    half = side // 2 + pad
    padded = np.pad(ink, half)
    return padded[cy : cy + 2 * half, cx : cx + 2 * half]


def in_big_photo(
    digit: np.ndarray, rng, tall=None, papers=(0.8, 0.92), light: float = 0, pen_width: float = 0
) -> Image.Image:
    """The digit about 340 pixels tall (or drawn from the range ``tall``), dark pen on light paper (grey drawn
    from ``papers``), somewhere in a 3024 × 4032 photo (12 megapixels, a phone's) with sensor noise: one field
    of it for every photo (``photo_noise``), each photo its own paper, pen and place. Drawing 12 million fresh
    normal numbers a photo was most of the row's time. ``light``: the light falls off by that fraction from
    one edge of the photo to the other, in a direction of its own. ``pen_width``: the digit's strokes thinned
    and drawn again with a pen that many pixels wide in the photo, in place of MNIST's own strokes."""
    side = round(rng.uniform(*tall) * 28 / 20) if tall else 476  # MNIST's digits fill 20 of their 28 pixels
    if pen_width:
        strokes = Image.fromarray(pen_strokes(digit, pen_width * 28 * SCALE / side))
        ink = np.asarray(strokes.resize((side, side), Image.Resampling.BILINEAR), np.float32)
    else:
        ink = enlarged(digit, size=side)
    paper, pen = rng.uniform(*papers), rng.uniform(0.05, 0.25)
    sheet = photo_noise() + np.float32(paper)  # one pass: the paper and its noise
    height, width = sheet.shape
    top, left = int(rng.integers(0, height - ink.shape[0])), int(rng.integers(0, width - ink.shape[1]))
    sheet[top : top + ink.shape[0], left : left + ink.shape[1]] += (pen - paper) * ink  # paper·(1 - ink) + pen·ink
    if light:  # 1 at the brightest corner, 1 - light at the darkest: a plane, made of a column and a row
        angle = rng.uniform(0, 2 * np.pi)
        down = np.cos(angle) * np.arange(height, dtype=np.float32)
        across = np.sin(angle) * np.arange(width, dtype=np.float32)
        down -= down.min()
        across -= across.min()
        scale = np.float32(light) / (down.max() + across.max())
        sheet *= np.subtract.outer(1 - scale * down, scale * across)
    np.clip(sheet, 0, 1, out=sheet)
    sheet *= 255
    return Image.fromarray(np.rint(sheet, out=sheet).astype(np.uint8))


@functools.cache
def photo_noise(height: int = 4032, width: int = 3024) -> np.ndarray:
    """A phone sensor's noise over a 12-megapixel photo (σ = 0.03 of white), drawn once (seed 12)."""
    noise = np.random.default_rng(12).standard_normal((height, width), dtype=np.float32)
    noise *= 0.03
    noise.flags.writeable = False
    return noise


def in_shadow(digit: np.ndarray, rng, tall=(350, 700), page=(2000, 1500)) -> Image.Image:
    """A hand's or a phone's shadow with a hard edge over part of the page: the digit 350-700 pixels tall on a
    2000 × 1500 page (dark pen, light paper, sensor noise), the shadow from one side (any of the four) reaching
    a quarter to half way across, its edge slanted up to 15° and soft over 2-12 pixels, the shadowed paper 40%
    to 60% as bright; the digit inside the shadow, across its edge or beside it (a third of the digits each)."""
    side = round(rng.uniform(*tall) * 28 / 20)  # MNIST's digits fill 20 of their 28 pixels
    ink = enlarged(digit, size=side)
    width, height = page
    paper, pen = rng.uniform(0.75, 0.92), rng.uniform(0.05, 0.25)
    reach, slant, soft = rng.uniform(0.25, 0.5), np.tan(np.radians(rng.uniform(-15, 15))), rng.uniform(2, 12)
    dim, where, source = rng.uniform(0.4, 0.6), int(rng.integers(3)), int(rng.integers(4))
    # u: how far from the shadow's side, v: along it (both in pixels); the shadow is where u < its edge at v.
    across, along = (width, height) if source % 2 == 0 else (height, width)
    v = rng.uniform(side / 2, along - side / 2)  # the digit's centre
    edge = reach * across + slant * (v - along / 2)
    u = {
        0: rng.uniform(side / 2, max(side / 2, edge - side / 2)),  # inside
        1: edge + rng.uniform(-0.2, 0.2) * side,  # across the edge
        2: rng.uniform(min(edge + side / 2, across - side / 2), across - side / 2),  # beside it
    }[where]
    u = float(np.clip(u, side / 2, across - side / 2))
    rows, columns = np.indices((height, width), dtype=np.float32)
    us, vs, centre = {  # from the left, the top, the right, the bottom
        0: (columns, rows, (v, u)),
        1: (rows, columns, (u, v)),
        2: (width - 1 - columns, rows, (v, width - 1 - u)),
        3: (height - 1 - rows, columns, (height - 1 - u, v)),
    }[source]
    top, left = (int(np.clip(c - side / 2, 0, limit - side)) for c, limit in zip(centre, (height, width)))
    sheet = photo_noise()[:height, :width] + np.float32(paper)
    sheet[top : top + side, left : left + side] += (pen - paper) * ink
    shade = np.clip((reach * across + slant * (vs - along / 2) - us) / soft + 0.5, 0, 1)  # 1 in the shadow
    sheet *= 1 - (1 - dim) * shade
    return Image.fromarray(np.rint(np.clip(sheet, 0, 1) * 255).astype(np.uint8))


BIG_PHOTO_COUNT = 50  # a 12-megapixel photo takes about 0.15 s to draw and prepare: 50 of the 500
UNEVEN_PHOTO_COUNT = 40  # as many as the set of 12-megapixel photos issue 32 measured


def small(digit: np.ndarray, size: int) -> np.ndarray:
    """The digit reduced to size × size: a soft, low-resolution scan of it."""
    return np.asarray(Image.fromarray(digit).resize((size, size), Image.Resampling.BOX))


UNEVEN = {"papers": (205 / 255, 245 / 255), "light": 0.15}  # the uneven-light row's paper and light


CONDITIONS = {  # name: what it is, how to draw one digit
    "scan": ("the present scan: enlarged 6-10×, off-centre on a larger page, noise", None),
    "broad marker": (
        "strokes dilated to about a fifth of the digit's height",
        lambda digit, rng: on_paper(marker_strokes(digit, 0.2 * 20 * SCALE), rng),
    ),
    "thin pen": (
        "strokes thinned to 1-2 pixels at 10× enlargement",
        lambda digit, rng: on_paper(pen_strokes(digit, rng.uniform(1, 2)), rng),
    ),
    "tight crop": (
        "the digit fills 90% of the picture",
        lambda digit, rng: on_paper(tight(enlarged(digit)), rng, margin=(0, 1)),
    ),
    "soft 16 × 16": (
        "reduced to 16 × 16, enlarged with blur",
        lambda digit, rng: on_paper(enlarged(small(digit, 16), blur=SCALE * 28 / 16 / 2), rng),
    ),
    "soft 8 × 8": (
        "reduced to 8 × 8, enlarged with blur",
        lambda digit, rng: on_paper(enlarged(small(digit, 8), blur=SCALE * 28 / 8 / 2), rng),
    ),
    "uneven light": (
        "a shadow across the page: a third as bright at the far edge",
        lambda digit, rng: on_paper(enlarged(digit), rng, shadow=True),
    ),
    "bold close-up": (
        "a broad marker (strokes a quarter of the digit's height) filling 90% of the picture: ink on a third of it",
        lambda digit, rng: on_paper(tight(marker_strokes(digit, 0.25 * 20 * SCALE)), rng, margin=(0, 1)),
    ),
    "small in a 12 MP photo": (
        f"a digit about 340 pixels tall in a 3024 × 4032 photo (the first {BIG_PHOTO_COUNT} digits)",
        in_big_photo,
    ),
    "small, uneven light, 12 MP": (
        f"a digit 250-400 pixels tall on paper of grey 205-245 in a 3024 × 4032 photo, the light 15% weaker at "
        f"one edge than at the other (the first {UNEVEN_PHOTO_COUNT} digits)",
        lambda digit, rng: in_big_photo(digit, rng, tall=(250, 400), **UNEVEN),
    ),
}
SHADOW_COUNT = 40  # as many as the set of shadowed photos issue 41 measured
CONDITIONS["hard shadow"] = (
    "a shadow with a hard edge from one side, a quarter to half way across a 2000 × 1500 page, the paper in it "
    f"40-60% as bright; the digit (350-700 pixels tall) inside it, across its edge or beside it (the first {SHADOW_COUNT} digits)",
    in_shadow,
)
FIRST = {
    "small in a 12 MP photo": BIG_PHOTO_COUNT,
    "small, uneven light, 12 MP": UNEVEN_PHOTO_COUNT,
    "hard shadow": SHADOW_COUNT,
}
SMALL_PHOTOS = {  # --small-photos: that row's photos on more digits, and drawn in other ways
    "the row's photos": ("digits 250-400 pixels tall", {"tall": (250, 400)}),
    "smaller digits": (
        "the 28-pixel frame 250-400 pixels tall: the digits 180-290",
        {"tall": (250 * 20 / 28, 400 * 20 / 28)},
    ),
    "3-pixel pen": (
        "digits 250-400 pixels tall, thinned and drawn with a 3-pixel pen",
        {"tall": (250, 400), "pen_width": 3},
    ),
    "6-pixel pen": (
        "digits 250-400 pixels tall, thinned and drawn with a 6-pixel pen",
        {"tall": (250, 400), "pen_width": 6},
    ),
}


def unprepared_small(digit: np.ndarray, size: int) -> np.ndarray:
    """The raw digit reduced and enlarged the same way, given to the network with no preparation."""
    return enlarged(small(digit, size), size=28, blur=28 / size / 2)


def unprepared_thinned(digit: np.ndarray) -> np.ndarray:
    """The digit thinned as the thin pen's is, redrawn at MNIST's own stroke width (2.5 pixels at 28) and
    given to the network at 28 × 28 with no preparation: what the thinning alone leaves of the digit."""
    return np.asarray(Image.fromarray(pen_strokes(digit, 2.5 * SCALE)).resize((28, 28), Image.Resampling.BOX))


def chosen_digits(x_test, y_test, count: int = COUNT, seed: int = SEED):
    """The same ``count`` test digits every time: (digits, labels)."""
    chosen = np.random.default_rng(seed).choice(len(x_test), count, replace=False)
    return x_test[chosen], y_test[chosen]


def accuracy(model, digits: list, labels) -> float:
    scores = model.predict(np.stack(digits).reshape(len(digits), 784).astype(np.float32), verbose=0)
    return float(np.mean(scores.argmax(axis=1) == labels))


def quality_row(model, name: str, digits, labels, seed: int = SEED, conditions=CONDITIONS) -> dict:
    """One condition: the digits drawn that way and prepared by digit_image.py, read by ``model``, against
    the same digits raw (and, for the soft and thin rows, given to it the same way with no preparation)."""
    from pictures import scan  # the present scan, as tests/test_real_mnist.py has always drawn it

    what, draw = conditions[name]
    if name in FIRST:  # the 12-megapixel rows: the first of the digits
        digits, labels = digits[: FIRST[name]], labels[: FIRST[name]]
    rng = np.random.default_rng(seed)  # the same pages whatever the preparation does
    started = time.perf_counter()
    pictures = (as_jpeg(scan(digit, rng)) if draw is None else draw(digit, rng) for digit in digits)
    prepared = [to_mnist_digit(picture) for picture in pictures]  # each drawn, then prepared: one in memory at a time
    row = {"condition": name, "what": what, "count": len(digits), "prepared": accuracy(model, prepared, labels)}
    row["raw"] = accuracy(model, [digit / np.float32(255) for digit in digits], labels)
    if name.startswith("soft "):
        size = int(name.split()[1])
        row["unprepared"] = accuracy(model, [unprepared_small(digit, size) for digit in digits], labels)
    if name == "thin pen":
        row["unprepared"] = accuracy(model, [unprepared_thinned(digit) for digit in digits], labels)
    row["seconds"] = time.perf_counter() - started
    return row


def quality_table(model, x_test, y_test, count: int = COUNT, seed: int = SEED) -> list[dict]:
    """One row per condition, on the same ``count`` test digits."""
    digits, labels = chosen_digits(x_test, y_test, count, seed)
    return [quality_row(model, name, digits, labels, seed) for name in CONDITIONS]


def small_photos(model, x_test, y_test, count: int) -> list[dict]:
    """The uneven-light 12 MP row's photos on ``count`` digits, drawn in each of the ways of SMALL_PHOTOS."""
    digits, labels = chosen_digits(x_test, y_test, count)
    conditions = {
        name: (
            f"{what}, on paper of grey 205-245, the light 15% weaker at one edge",
            functools.partial(in_big_photo, **how, **UNEVEN),
        )
        for name, (what, how) in SMALL_PHOTOS.items()
    }
    return [quality_row(model, name, digits, labels, conditions=conditions) for name in conditions]


def markdown(rows: list[dict]) -> str:
    lines = [
        "| condition | what it is | prepared by predict.py | raw 28 × 28 | the same digits, unprepared |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        unprepared = f"{row['unprepared']:.1%}" if "unprepared" in row else "–"
        lines.append(
            f"| {row['condition']} | {row['what']} | {row['prepared']:.1%} | {row['raw']:.1%} | {unprepared} |"
        )
    return "\n".join(lines) + "\n"


def measure_mnist(x_train, count: int = 3000) -> list[float]:
    """MNIST's stroke widths at 4 × 20 pixels (10th, 50th, 90th percentile), measured as digit_image.py
    measures a photo's."""
    widths = []
    for digit in x_train[:count]:
        fine = scale_longest_side(crop_to_ink(digit.astype(np.float32) / 255), FINE * DIGIT_BOX)
        widths.append(stroke_width(fine))
    return list(np.percentile(widths, [10, 50, 90]))


def photo_seconds(runs: int = 5) -> float:
    """Median seconds to prepare one 12-megapixel photo (4000 × 3000, a digit on paper with noise)."""
    page = Image.new("L", (4000, 3000), 200)
    ImageDraw.Draw(page).ellipse((1500, 700, 2500, 2300), outline=35, width=90)
    noisy = np.asarray(page, np.float32) + np.random.default_rng(0).normal(0, 6, (3000, 4000))
    photo = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).convert("RGB")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        to_mnist_digit(photo)
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the table to this file")
    parser.add_argument("--measure", action="store_true", help="print MNIST's stroke width and stop")
    parser.add_argument(
        "--shadows", type=int, metavar="N", help="only the hard-shadow row, on N digits (about 0.06 s a photo)"
    )
    parser.add_argument(
        "--small-photos",
        type=int,
        metavar="N",
        help="only the uneven-light 12 MP photos, on N digits, drawn four ways (about 0.17 s a photo)",
    )
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
    from mnist_helpers.flags import silent
    from mnist_helpers.data import load_data

    (x_train, _), (x_test, y_test) = load_data(log=silent)
    if args.measure:
        low, middle, high = measure_mnist(x_train)
        print(
            f"MNIST's stroke widths at {FINE * DIGIT_BOX} pixels: 10th percentile {low:.1f}, median {middle:.1f}, 90th {high:.1f}"
        )
        return
    from mnist_helpers.lesson import run_lesson, settings
    from mnist_helpers.model import result

    model = result(run_lesson(settings("--quiet", "--no-plots"), data=((x_train, _), (x_test, y_test)))).model
    if args.small_photos:
        rows = small_photos(model, x_test, y_test, args.small_photos)
    elif args.shadows:
        FIRST["hard shadow"] = args.shadows
        rows = [quality_row(model, "hard shadow", *chosen_digits(x_test, y_test, max(COUNT, args.shadows)))]
        rows[0]["what"] = rows[0]["what"].replace(f"the first {SHADOW_COUNT} ", f"the first {args.shadows} ")
    else:
        rows = quality_table(model, x_test, y_test)
    table = markdown(rows)
    print(table)
    print(
        f"{sum(row['seconds'] for row in rows):.1f} s to draw and prepare {sum(row['count'] for row in rows)} pictures"
    )
    print(f"preparing one 12-megapixel photo: {photo_seconds():.3f} s (median of 5)")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            file.write(table)


if __name__ == "__main__":
    main()
