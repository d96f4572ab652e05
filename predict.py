"""Read your own handwriting: classify photos or scans of digits with the model mnist_learn.py saved.

First train and save a model, then point this at one or more pictures of a single digit:

    python mnist_learn.py --save-model mnist_model.keras
    python predict.py photo.jpg            # photo.jpg: 7 (93.1%), 2 (4.0%), 1 (1.2%)
    python predict.py *.png --show         # also draws what the network saw, next to each picture
    python predict.py --mnist-index 0      # MNIST test digit 0, to see the model at work first
"""

from mnist_helpers.cli import add_data_flag, bounded_int, report, run, silent  # first: sets up Ctrl-C

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_helpers.digit_image import open_image, preview, to_mnist_digit
from mnist_helpers.errors import UserError
from mnist_helpers.files import ensure_writable_folder
from mnist_helpers.mnist_data import load_data
from mnist_helpers.model_file import check_model_file, keras_file, load_digit_model

MODEL = "mnist_model.keras"  # where mnist_learn.py --save-model puts it in the examples
TOP = 3  # how many guesses to print per image, best first
MARK = "mnist-learn predict.py --show"  # stored in every picture --show writes, so it is never read as a digit


def guesses(probabilities, top: int = TOP) -> str:
    """'7 (93.1%), 2 (4.0%), 1 (1.2%)': the ``top`` most likely digits and the network's confidence."""
    best = np.argsort(probabilities)[::-1][:top]
    return ", ".join(f"{digit} ({probabilities[digit]:.1%})" for digit in best)


def drawn_by_us(image: Image.Image) -> bool:
    """True for a picture that --show wrote: it carries MARK in its PNG text."""
    return image.info.get("Software") == MARK


def file_drawn_by_us(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            return drawn_by_us(image)
    except OSError:
        return False


def picture_path(image: Path, out: Path | None, taken: set) -> Path:
    """Where --show writes the picture for ``image``: photo.jpg → photo_seen.png, beside it or in ``out``.

    Never a name another image of this run already got, and never a file that --show did not write
    (an image of the user's, an input of this run): then photo_seen_2.png, photo_seen_3.png ... instead."""
    folder = out if out is not None else image.parent
    number = 1
    while True:
        path = folder / f"{image.stem}_seen{'' if number == 1 else f'_{number}'}.png"
        mine = not path.exists() or (path.is_file() and file_drawn_by_us(path))
        if path not in taken and mine:
            taken.add(path)
            return path
        number += 1


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
    parser.add_argument("--show", action="store_true", help="draw what the network saw: IMAGE_seen.png beside each")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write those pictures into DIR (implies --show)")
    args = parser.parse_args(argv)
    if not args.images and not args.mnist_index:
        parser.error("give at least one IMAGE, or --mnist-index N")
    return args


def mnist_digits(indices: list[int], data) -> list:
    """(name, where its picture is named after, picture, 28×28 digit) for MNIST test digits: they are
    MNIST already, so there is nothing to prepare."""
    _, (x_test, y_test) = load_data(data, log=silent)
    for index in indices:
        if index >= len(x_test):
            raise UserError(f"--mnist-index {index} is past the last test digit; use 0 to {len(x_test) - 1}.")
    return [
        (
            f"MNIST test digit {i} (label {y_test[i]})",
            Path(f"mnist_test_{i}"),
            Image.fromarray(255 - x_test[i]),
            x_test[i] / np.float32(255),
        )
        for i in indices
    ]


def main(argv=None):
    args = parse_args(argv)
    check_model_file(args.model)  # a missing model is said at once, not after reading the images
    if args.out is not None:
        args.show = True
        ensure_writable_folder(args.out, "the pictures")

    # 1. Prepare each image as MNIST was prepared: ink as high values, 20 px digit centred in 28×28.
    outcomes = mnist_digits(args.mnist_index, args.data) if args.mnist_index else []
    # per image, in the order given: (name, image for --show, its 28×28 digit), a note, or a UserError
    for name in args.images:
        try:
            image = open_image(name)
            if drawn_by_us(image):
                outcomes.append(f"{name}: skipped, a picture that predict.py --show drew, not a digit to read")
                continue
            outcomes.append((name, Path(name), preview(image) if args.show else None, to_mnist_digit(image, name=name)))
        except UserError as error:
            outcomes.append(error)
    prepared = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    scores = iter(())
    if prepared:
        # 2. The network takes each digit as 784 values in [0, 1], like x_test in mnist_learn.py.
        model = load_digit_model(args.model)
        digits = np.stack([digit for *_, digit in prepared]).reshape(len(prepared), 28 * 28)
        scores = iter(model.predict(digits, verbose=0))

    # 3. One line per image, in the order given: best guess first, or what is wrong with the file.
    taken = set()
    failed = 0
    for outcome in outcomes:
        if isinstance(outcome, UserError):
            report(outcome)
            failed += 1
        elif isinstance(outcome, str):
            print(outcome, flush=True)
        else:
            name, named_after, image, digit = outcome
            probabilities = next(scores)
            print(f"{name}: {guesses(probabilities)}", flush=True)
            if args.show:
                path = picture_path(named_after, args.out, taken)
                failed += not show(name, image, digit, probabilities, path)
    if failed and len(outcomes) > 1:
        print(f"{failed} of {len(outcomes)} images failed; the errors above say why.", file=sys.stderr)
    return 1 if failed else 0


def show(name: str, image, digit, scores, path: Path) -> bool:
    from mnist_helpers.plotting import prediction_figure, save_figure  # Matplotlib loads only here

    try:
        save_figure(prediction_figure(Path(name).name, image, digit, scores), path, metadata={"Software": MARK})
    except OSError as error:
        report(UserError(f"Cannot write {path} ({error.strerror or error}); use --out DIR with a writable folder."))
        return False
    print(f"  what the network saw: {path}")
    return True


if __name__ == "__main__":
    run(main)
