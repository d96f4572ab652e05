"""Read your own handwriting: classify photos or scans of digits with the model mnist_learn.py saved.

First train and save a model, then point this at one or more pictures of a single digit:

    python mnist_learn.py --save-model mnist_model.keras
    python predict.py photo.jpg            # photo.jpg: 7 (93.1%), 2 (4.0%), 1 (1.2%)
    python predict.py *.png --show         # also draws what the network saw, next to each picture
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from mnist_helpers.cli import report, run
from mnist_helpers.digit_image import preview, read_digit
from mnist_helpers.errors import UserError
from mnist_helpers.files import ensure_writable_folder
from mnist_helpers.model_file import check_model_file, keras_file, load_digit_model

MODEL = "mnist_model.keras"  # where mnist_learn.py --save-model puts it in the examples
TOP = 3  # how many guesses to print per image, best first


def guesses(probabilities, top: int = TOP) -> str:
    """'7 (93.1%), 2 (4.0%), 1 (1.2%)': the ``top`` most likely digits and the network's confidence."""
    best = np.argsort(probabilities)[::-1][:top]
    return ", ".join(f"{digit} ({probabilities[digit]:.1%})" for digit in best)


def picture_path(image: Path, out: Path | None, taken: set) -> Path:
    """Where --show writes the picture for ``image``: photo.jpg → photo_seen.png, beside it or in ``out``."""
    folder = out if out is not None else image.parent
    path = folder / f"{image.stem}_seen.png"
    if path in taken:  # photo.jpg and photo.png in one run: keep both pictures
        path = folder / f"{image.stem}_{image.suffix.lstrip('.')}_seen.png"
    taken.add(path)
    return path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="PNG, JPEG, BMP or GIF of one handwritten digit")
    parser.add_argument(
        "--model",
        type=keras_file,
        default=Path(MODEL),
        metavar="PATH",
        help=f"the model mnist_learn.py saved (default {MODEL})",
    )
    parser.add_argument("--show", action="store_true", help="draw what the network saw: IMAGE_seen.png beside each")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write those pictures into DIR (implies --show)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    check_model_file(args.model)  # a missing model is said at once, not after reading the images
    if args.out is not None:
        args.show = True
        ensure_writable_folder(args.out, "the pictures")

    # 1. Prepare each image as MNIST was prepared: light ink on black, 20 px digit centred in 28×28.
    failed = 0
    prepared = []  # (path as given, a small copy of the image for --show, its 28×28 digit)
    for name in args.images:
        try:
            image, digit = read_digit(name)
            prepared.append((name, preview(image) if args.show else None, digit))
        except UserError as error:
            report(error)
            failed += 1
    if not prepared:
        return 1

    # 2. The network takes each digit as 784 values in [0, 1], like x_test in mnist_learn.py.
    model = load_digit_model(args.model)
    digits = np.stack([digit for _, _, digit in prepared]).reshape(len(prepared), 28 * 28)
    probabilities = model.predict(digits, verbose=0)

    # 3. One line per image, best guess first; with --show, a picture of what the network saw.
    taken = set()
    for (name, image, digit), scores in zip(prepared, probabilities):
        print(f"{name}: {guesses(scores)}", flush=True)
        if args.show:
            failed += not show(name, image, digit, scores, picture_path(Path(name), args.out, taken))
    if failed and len(args.images) > 1:
        print(f"{failed} of {len(args.images)} images failed; the errors above say why.", file=sys.stderr)
    return 1 if failed else 0


def show(name: str, image, digit, scores, path: Path) -> bool:
    from mnist_helpers.plotting import prediction_figure, save_figure  # Matplotlib loads only here

    try:
        save_figure(prediction_figure(name, image, digit, scores), path)
    except OSError as error:
        report(UserError(f"Cannot write {path} ({error.strerror or error}); use --out DIR with a writable folder."))
        return False
    print(f"  what the network saw: {path}")
    return True


if __name__ == "__main__":
    run(main)
