"""Read your own handwriting: classify photos or scans of digits with the model mnist_learn.py saved.

First train and save a model, then point this at one or more pictures of a single digit:

    python mnist_learn.py --save-model mnist_model.keras
    python predict.py photo.jpg            # photo.jpg: 7 (93.1%), 2 (4.0%), 1 (1.2%)
    python predict.py *.png --show         # also draws what the network saw, into seen/
    python predict.py --mnist-index 0      # MNIST test digit 0, to see the model at work first
"""

from mnist_helpers.plumbing import process

process.start(__name__)  # first: Ctrl-C and errors as one sentence from here on (mnist_helpers/plumbing/process.py)


import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_helpers.flags import add_data_flag, bounded_int, path_arg, silent, keras_file
from mnist_helpers.plumbing.process import report
from mnist_helpers.model import (
    network_weights,
    pixel_contributions,
    check_model_file,
    check_probabilities,
    load_digit_model,
)
from mnist_helpers.digit_image import open_image, preview, to_mnist_digit
from mnist_helpers.errors import UserError
from mnist_helpers.plumbing.files import Plan, ensure_writable_folder, said
from mnist_helpers.data import load_data

MODEL = "mnist_model.keras"  # where mnist_learn.py --save-model puts it in the examples
TOP = 3  # how many guesses to print per image, best first
SEEN = "seen"  # --show's own folder: its pictures never share a name with a file of yours
MARK = "mnist-learn predict.py --show"  # in each picture's PNG: the only files a picture may replace


@dataclass
class Reading:
    """One image given on the command line, prepared: its digit to read, or what is wrong with it."""

    name: str  # as the user named it
    stem: str  # what its --show picture is called after
    picture: Image.Image | None = None  # the image as the user sees it, for --show
    digit: np.ndarray | None = None  # 28 × 28, values 0-1, ink high: what the network reads
    error: UserError | None = None


def guesses(probabilities, top: int = TOP) -> str:
    """'7 (93.1%), 2 (4.0%), 1 (1.2%)': the ``top`` most likely digits and the network's confidence."""
    best = np.argsort(probabilities)[::-1][:top]
    return ", ".join(f"{digit} ({probabilities[digit]:.1%})" for digit in best)


def picture_path(reading: Reading, folder: Path, plan: Plan) -> Path:
    """Where --show draws ``reading``: photo.jpg → FOLDER/photo.png, or photo_2.png and so on where that
    name is one of this run's images or pictures, or a file that is not a picture of predict.py's: a
    picture replaces only an earlier picture (``MARK``), never a photo of yours."""
    number = 1
    while True:
        path = folder / f"{reading.stem}{'' if number == 1 else f'_{number}'}.png"
        if plan.free(path) and (not os.path.lexists(path) or drawn_here(path)):
            return path
        number += 1


def drawn_here(path: Path) -> bool:
    """True when ``path`` is a picture predict.py --show drew (its PNG carries ``MARK``)."""
    from mnist_helpers.plotting import drawn_by  # Matplotlib loads only for --show

    return drawn_by(path, MARK)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", metavar="IMAGE", help="PNG, JPEG, BMP or GIF of one handwritten digit")
    parser.add_argument(
        "--mnist-index",
        type=bounded_int(0),
        action="append",
        default=[],
        metavar="N",
        help="also read MNIST test digit N, no file needed (repeat it for more)",
    )
    add_data_flag(parser)
    parser.add_argument(
        "--model",
        type=keras_file,
        default=Path(MODEL),
        metavar="PATH",
        help=f"the model mnist_learn.py saved (default {MODEL})",
    )
    parser.add_argument("--show", action="store_true", help=f"draw what the network saw: {SEEN}/IMAGE.png for each")
    parser.add_argument(
        "--out", type=path_arg, metavar="DIR", help=f"draw those pictures into DIR, not {SEEN}/ (implies --show)"
    )
    args = parser.parse_args(argv)
    if not args.images and not args.mnist_index:
        parser.error("give at least one IMAGE, or --mnist-index N")
    return args


def mnist_readings(indices: list[int], data) -> list[Reading]:
    """MNIST test digits: they are MNIST already, so there is nothing to prepare."""
    if not indices:
        return []
    _, (x_test, y_test) = load_data(data, log=silent)
    for index in indices:
        if index >= len(x_test):
            raise UserError(f"--mnist-index {index} is past the last test digit; use 0 to {len(x_test) - 1}.")
    return [
        Reading(
            f"MNIST test digit {i} (label {y_test[i]})",
            f"mnist_test_{i}",
            Image.fromarray(255 - x_test[i]),
            x_test[i] / np.float32(255),
        )
        for i in indices
    ]


def read_image(name: str, show: bool) -> Reading:
    """An image file prepared as MNIST was: ink as high values, a 20-pixel digit centred in 28 × 28."""
    try:
        image = open_image(name)
        return Reading(name, Path(name).stem, preview(image) if show else None, to_mnist_digit(image, name=name))
    except UserError as error:
        return Reading(name, Path(name).stem, error=error if name in str(error) else UserError(f"{name}: {error}"))


def main(argv=None):
    args = parse_args(argv)
    check_model_file(args.model)  # a missing model is said at once, not after reading the images
    plan = Plan(args.model, *args.images, args.data)  # what this run reads: no picture is drawn over one
    args.show = args.show or args.out is not None
    folder = args.out if args.out is not None else Path(SEEN)
    if args.show:
        ensure_writable_folder(folder, "the pictures")

    # 1. Prepare each image as MNIST was prepared, in the order given.
    readings = mnist_readings(args.mnist_index, args.data) + [read_image(name, args.show) for name in args.images]
    # 2. The network takes each digit as 784 values in [0, 1], like x_test in mnist_learn.py.
    ready = [reading for reading in readings if reading.error is None]
    if ready:
        digits = np.stack([reading.digit for reading in ready]).reshape(len(ready), 28 * 28)
        model = load_digit_model(args.model)
        outputs = model.predict(digits, verbose=0)
        check_probabilities(args.model, outputs)  # a NaN model's "guesses" are not printed
        scores = dict(zip(map(id, ready), outputs))
        weights = network_weights(model) if args.show else None  # for --show's map of why it answered so

    # 3. One line per image, in the order given: best guess first, or what is wrong with the file.
    failed = 0
    for reading in readings:
        if reading.error is not None:
            report(reading.error)
            failed += 1
            continue
        probabilities = scores[id(reading)]
        print(f"{reading.name}: {guesses(probabilities)}", flush=True)
        if args.show:
            why = None
            if weights is not None and len(weights) == 4:  # a model built as mnist_learn.py builds it
                why = pixel_contributions(weights, reading.digit, int(np.argmax(probabilities)))
            failed += not show(reading, probabilities, why, picture_path(reading, folder, plan), plan)
    if failed and len(readings) > 1:
        print(f"{failed} of {len(readings)} images failed; the errors above say why.", file=sys.stderr)
    return 1 if failed else 0


def show(reading: Reading, scores, why, path: Path, plan: Plan) -> bool:
    from mnist_helpers.plotting import prediction_figure, save_figure  # Matplotlib loads only here

    try:
        plan.writes(path, "--show")
        figure = prediction_figure(Path(reading.name).name, reading.picture, reading.digit, scores, why)
        replaced = save_figure(figure, path, mark=MARK)
    except OSError as error:
        report(UserError(f"Cannot write {path} ({error.strerror or error}); use --out DIR with a writable folder."))
        return False
    except UserError as error:
        report(error)
        return False
    print(f"  what the network saw: {said(path, replaced)}")
    return True


if __name__ == "__main__":
    process.run(main)
