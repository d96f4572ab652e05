"""Look at MNIST before a network learns it: the arrays' shapes, and a picture of sample digits.

The companion to the post's mnist.py. It loads the data the same way mnist_learn.py does, but
without TensorFlow when the data is on this machine, so it starts in a second or two. Where there
is a screen, the picture also opens in a window.

    python mnist.py                   # shapes, then mnist_digits.png
    python mnist.py --count 36 --index 7 --save digits.png
"""

from mnist_helpers.plumbing import process

process.start(__name__)  # first: Ctrl-C and errors as one sentence from here on (mnist_helpers/plumbing/process.py)


import argparse
from pathlib import Path

from mnist_helpers.flags import add_data_flag, bounded_int, output_file
from mnist_helpers.errors import UserError
from mnist_helpers.plumbing.files import Plan, said
from mnist_helpers.data import load_data, shape_table

COUNT = 25  # digits in the grid
INDEX = 0  # the digit drawn large, pixel by pixel
SAVE = "mnist_digits.png"  # where the picture goes


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--count", type=bounded_int(1, 100), default=COUNT, help=f"digits in the grid, 1-100 (default {COUNT})"
    )
    parser.add_argument(
        "--index", type=bounded_int(0), default=INDEX, help=f"training digit to draw large (default {INDEX})"
    )
    parser.add_argument(
        "--save",
        type=output_file,
        default=Path(SAVE),
        metavar="PATH",
        help=f"picture to write: .png, .jpg, .pdf, .svg ... (default {SAVE})",
    )
    add_data_flag(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mnist_helpers.plotting import digits_figure, figure_format, image_formats, save_figure, show_window

    if figure_format(args.save) not in image_formats():
        raise UserError(
            f"--save {args.save}: Matplotlib cannot write .{figure_format(args.save)} files; "
            "end the name in .png, .jpg, .pdf or .svg."
        )
    Plan(args.data).writes(args.save, "--save", "the picture")

    # The post's names for the four arrays: images are (samples, 28, 28) uint8, labels 0-9.
    (train_images, train_labels), (test_images, test_labels) = load_data(args.data)
    print(
        shape_table(
            {
                "train_images": train_images,
                "train_labels": train_labels,
                "test_images": test_images,
                "test_labels": test_labels,
            }
        )
    )
    if args.index >= len(train_images):
        raise UserError(f"--index {args.index} is past the last training digit; use 0 to {len(train_images) - 1}.")
    figure = digits_figure(train_images, train_labels, args.count, args.index)
    replaced = save_figure(figure, args.save, keep_open=True)
    print(
        f"Saved {said(args.save, replaced)}: the first {min(args.count, len(train_images))} training digits and digit {args.index} large."
    )
    show_window(figure)  # as the post's mnist.py does, where there is a screen; close the window to finish


if __name__ == "__main__":
    process.run(main)
