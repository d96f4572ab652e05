"""mnist_learn.py's flags: each replaces one of its constants, as nanoGPT's configurator does.

The lesson reads its constants directly (``epochs=EPOCHS``); one line after them,
``outputs = override(globals())``, lets ``--epochs 2`` replace ``EPOCHS`` and so on, with each
flag's default and help taken from the constant it replaces. The flags that are not lesson
constants say what to do after the lesson (save the model, draw the pictures, print less); they
come back as the result. Output paths are checked here, before any training starts, and the run's
first line names the backend.
"""

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

from .backend import describe
from .cli import add_quiet_flag, add_training_flags
from .files import check_output, ensure_writable_folder
from .lesson_output import PICTURES, go_quiet
from .model_file import keras_file

PLOTS = "plots"  # where the pictures of a run go
CONSTANTS = {  # flag destination: the lesson's constant it replaces
    "epochs": "EPOCHS",
    "batch_size": "BATCH_SIZE",
    "hidden_units": "HIDDEN_UNITS",
    "validation": "VALIDATION",
    "seed": "SEED",
    "data": "DATA",
}


def parser_for(lesson: dict) -> argparse.ArgumentParser:
    """The flags, their defaults read off the lesson's constants (so --help follows an edited constant)."""
    title, _, rest = (lesson.get("__doc__") or "").partition("\n")
    network = f"784 pixels → Dense({lesson['HIDDEN_UNITS']}, relu) → Dense(10, softmax) by default."
    parser = argparse.ArgumentParser(
        description=f"{title}\n{network}\n{rest}", formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_training_flags(
        parser,
        epochs=lesson["EPOCHS"],
        batch_size=lesson["BATCH_SIZE"],
        hidden_units=lesson["HIDDEN_UNITS"],
        seed=lesson["SEED"],
        data=lesson["DATA"],
    )
    validation = lesson["VALIDATION"]
    parser.add_argument(
        "--validation", choices=("test", "split"), default=validation, help=f"validation data (default {validation})"
    )
    parser.add_argument(
        "--raw-pixels", action="store_true", help="SCALE_PIXELS = False: train on raw 0-255 pixels, to see what it buys"
    )
    parser.add_argument("--save-model", type=keras_file, metavar="PATH", help="save the trained model (a .keras file)")
    parser.add_argument(
        "--plots", type=Path, default=Path(PLOTS), metavar="DIR", help=f"folder for the pictures (default {PLOTS}/)"
    )
    parser.add_argument("--no-plots", action="store_true", help="draw no pictures (Matplotlib is then never loaded)")
    add_quiet_flag(parser)
    return parser


def override(lesson: dict, argv=None) -> SimpleNamespace:
    """Replace the lesson's constants with the flags given (``sys.argv`` by default); return the rest."""
    flags = parser_for(lesson).parse_args(sys.argv[1:] if argv is None else argv)
    for flag, constant in CONSTANTS.items():
        lesson[constant] = getattr(flags, flag)
    if flags.raw_pixels:
        lesson["SCALE_PIXELS"] = False
    check_outputs(flags)
    if flags.quiet:
        go_quiet()  # only the results from here on
    print(describe())  # "Keras 3.15.1 on TensorFlow 2.21.0."
    return SimpleNamespace(save_model=flags.save_model, plots=flags.plots, no_plots=flags.no_plots, data=flags.data)


def check_outputs(flags) -> None:
    """Refuse output paths that cannot be written, before any training starts."""
    if flags.save_model:
        check_output(flags.save_model, "--save-model", "the model")
    if not flags.no_plots:
        ensure_writable_folder(flags.plots, "the pictures")
        for name in PICTURES:
            check_output(flags.plots / name, "--plots", "the pictures")
