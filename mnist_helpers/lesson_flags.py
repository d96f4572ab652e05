"""mnist_learn.py's flags: each replaces one of its constants, as nanoGPT's configurator does.

The lesson reads its constants directly (``epochs=EPOCHS``); one line after them,
``outputs = override(globals())``, lets ``--epochs 2`` replace ``EPOCHS`` and so on, with each
flag's default and help taken from the constant it replaces. Every constant then goes through one
check (``check_constant``), the flag's own type, whether a flag set it or the reader edited the
file. The flags that are not lesson constants say where the data is and what to do after the
lesson (raw pixels, save the model, draw the pictures, print less); they come back as the result.
Output paths are checked here, before any training starts, and the run's first line names the
backend.
"""

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from .backend import describe
from . import runs
from .cli import add_quiet_flag, add_training_flags, batch_size_int, hidden_units_int
from .cli import path_arg, positive_int, seed_int
from .errors import UserError
from .files import Plan, ensure_writable_folder
from .lesson_output import PICTURES, RUNS_PICTURE, go_quiet, plain_lines
from .model_file import keras_file
from .runs import RUNS

PLOTS = "plots"  # where the pictures of a run go
VALIDATIONS = ("test", "split")


def validation_choice(text: str) -> str:
    """VALIDATION's check: "test" or "split" (the flag says so by its choices: argparse would check a
    word's default with its type, before the lesson's own check can name the line)."""
    if text not in VALIDATIONS:
        raise argparse.ArgumentTypeError(f"must be {' or '.join(map(repr, VALIDATIONS))}, got {text!r}")
    return text


CONSTANTS = {  # the lesson's constant: (its flag's destination, the flag's type, which checks a value)
    "EPOCHS": ("epochs", positive_int),
    "BATCH_SIZE": ("batch_size", batch_size_int),
    "HIDDEN_UNITS": ("hidden_units", hidden_units_int),
    "VALIDATION": ("validation", validation_choice),
    "SEED": ("seed", seed_int),
}


def check_constant(name: str, value, where: str = "mnist_learn.py", line: int | None = None):
    """``value`` if the lesson's constant ``name`` may hold it (the check its flag makes), else a UserError
    naming the line to edit. A whole number must be an int (not 5.0, not True, not "5"), a word a str."""
    kind = str if name == "VALIDATION" else int
    try:
        if type(value) is not kind and not (kind is int and isinstance(value, np.integer)):
            raise argparse.ArgumentTypeError(f"must be {'a word' if kind is str else 'a whole number'}")
        return CONSTANTS[name][1](str(value))
    except argparse.ArgumentTypeError as error:
        message = str(error).split(", got ")[0]
        at = f"Line {line}: " if line else ""
        raise UserError(f"{at}{name} = {value!r} in {where}: {name} {message}; edit that line.")


def line_of(text: str, name: str) -> int | None:
    """The number of the line of ``text`` (the lesson) that sets the constant ``name``."""
    found = re.search(rf"^{name}\s*=", text, re.M)
    return text.count("\n", 0, found.start()) + 1 if found else None


def check_constants(lesson: dict) -> None:
    """Each constant as the lesson file sets it, checked before the flags take them as defaults (argparse
    would check a default with the flag's type and blame the flag the reader never gave)."""
    path = Path(lesson.get("__file__") or "mnist_learn.py")
    try:
        text = path.read_text(encoding="utf-8") if lesson.get("__file__") else ""
    except OSError:
        text = ""
    for name in CONSTANTS:
        check_constant(name, lesson[name], path.name, line_of(text, name))


def parser_for(lesson: dict) -> argparse.ArgumentParser:
    """The flags, their defaults read off the lesson's constants (so --help follows an edited constant)."""
    check_constants(lesson)
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
    )
    validation = lesson["VALIDATION"]
    parser.add_argument(
        "--validation", choices=VALIDATIONS, default=validation, help=f"validation data (default {validation})"
    )
    parser.add_argument(
        "--raw-pixels",
        action="store_true",
        help="train on raw 0-255 pixels, as deleting the two normalize lines does, to see what scaling buys",
    )
    parser.add_argument("--save-model", type=keras_file, metavar="PATH", help="save the trained model (a .keras file)")
    parser.add_argument(
        "--plots", type=path_arg, default=Path(PLOTS), metavar="DIR", help=f"folder for the pictures (default {PLOTS}/)"
    )
    parser.add_argument("--no-plots", action="store_true", help="draw no pictures (Matplotlib is then never loaded)")
    runs = Path(RUNS) if lesson.get("__name__") == "__main__" else None  # a run inside a program adds no row
    parser.add_argument(
        "--runs",
        type=path_arg,
        default=runs,
        metavar="FILE",
        help=f"the table of your runs this run's row is added to (default {runs or 'none: a run inside another program'})",
    )
    parser.add_argument("--no-runs", action="store_const", const=None, dest="runs", help="add no row for this run")
    add_quiet_flag(parser)
    return parser


class Outputs(argparse.Namespace):
    """The flags that are not lesson constants: where the data is and what to do after the lesson."""

    def pixels(self, x_train, x_test):
        """The lesson's arrays after step 4; with --raw-pixels, the 0-255 uint8 pixels it scaled, exactly as
        loaded (k / 255 * 255 rounds back to k in float32), as if its two lines had been deleted."""
        if not self.raw_pixels or x_train.dtype == np.uint8:
            return x_train, x_test
        return tuple(np.rint(x * 255).astype(np.uint8) for x in (x_train, x_test))


def override(lesson: dict, argv=None) -> Outputs:
    """Replace the lesson's constants with the flags given (``sys.argv`` by default), check each; return the rest."""
    flags = parser_for(lesson).parse_args(sys.argv[1:] if argv is None else argv, namespace=Outputs())
    where = Path(lesson.get("__file__", "mnist_learn.py")).name
    for constant, (flag, _) in CONSTANTS.items():
        lesson[constant] = check_constant(constant, getattr(flags, flag), where)
        delattr(flags, flag)
    check_outputs(flags)
    if flags.quiet:
        go_quiet()  # only the results from here on
    else:
        plain_lines()  # in a file or a pipe, each line as it ended up: no progress-bar redraws
    print(describe())  # "Keras 3.15.1 on TensorFlow 2.21.0."
    return flags


def check_outputs(flags) -> Plan:
    """Refuse output paths that cannot be written, or that are the data or another output, before any
    training starts; the run's plan (record.py adds its own outputs to it)."""
    plan = Plan(flags.data)
    if flags.save_model:
        plan.writes(flags.save_model, "--save-model", "the model")
    if flags.runs:
        plan.writes(flags.runs, "--runs", "your runs")
        runs.check_appendable(flags.runs)  # a log that can be read but not added to is said now, not after training
    if not flags.no_plots:
        ensure_writable_folder(flags.plots, "the pictures")
        for name in (*PICTURES, RUNS_PICTURE) if flags.runs else PICTURES:
            plan.writes(flags.plots / name, "--plots", "the pictures")
    return plan
