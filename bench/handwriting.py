"""How well predict.py reads handwriting: MNIST test digits rendered as photos of many pens and papers.

    MNIST_DATA=/path/to/mnist python bench/handwriting.py [--out table.md]   # the README's table
    MNIST_DATA=/path/to/mnist python bench/handwriting.py --measure          # MNIST's own stroke width
    MNIST_DATA=/path/to/mnist python bench/handwriting.py --small-photos 500 # the uneven-light 12 MP photos, four ways
    MNIST_DATA=/path/to/mnist python bench/handwriting.py --shadows 500      # the hard-shadow row on 500 digits

The same 500 test digits (a fixed seed) are rendered once per condition (the present scan as JPEG,
as tests/test_real_mnist.py has always drawn it; the conditions are tests/support.py's), prepared by mnist_helpers/digit_image.py and read
by the default run's model; each row is compared with the
same model on the raw 28×28 digits. tests/test_real_mnist.py runs the same table and checks its goals.
"""

import argparse
import functools
import os
import sys
import time

import numpy as np
from PIL import Image, ImageDraw

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]  # the project, and the conditions (tests/support.py)
from mnist_helpers.digit_image import DIGIT_BOX, FINE, crop_to_ink, scale_longest_side, stroke_width, to_mnist_digit  # noqa: E402
from support import COUNT, FIRST, SHADOW_COUNT, UNEVEN, chosen_digits, in_big_photo, markdown, quality_row  # noqa: E402
from support import quality_table  # noqa: E402

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
