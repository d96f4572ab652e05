"""The scripts' flags and the types of their values, checked as argparse reads them: one path type for every
path flag (``~`` expanded once), whole numbers within bounds, a model file's name."""

import argparse
import os
from pathlib import Path

SEED = 1337  # every script's default seed: the same seed repeats a run number for number


def bounded_int(lowest: int, highest: int | None = None):
    """argparse type: a whole number from ``lowest`` up to ``highest`` (no upper bound when None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
        if value < lowest or (highest is not None and value > highest):
            allowed = f"{lowest} or more" if highest is None else f"from {lowest} to {highest}"
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {value}")
        return value

    return parse


positive_int = bounded_int(1)  # argparse type: 1, 2, 3, ...
BIGGEST_BATCH = 2**31 - 1  # TensorFlow counts a batch's images in a 32-bit integer


def batch_size_int(text: str) -> int:
    """argparse type for --batch-size: 1 or more, and no more than a batch can count."""
    value = positive_int(text)
    if value > BIGGEST_BATCH:
        raise argparse.ArgumentTypeError(f"must be at most {BIGGEST_BATCH:,} (more than any training set), got {value}")
    return value


MOST_HIDDEN_UNITS = 4096  # the widest hidden layer a flag or the lesson's constant allows
hidden_units_int = bounded_int(1, MOST_HIDDEN_UNITS)  # argparse type for --hidden-units
seed_int = bounded_int(0, 2**32 - 1)  # argparse type for --seed: what NumPy's seed takes


def home_path(text: str) -> Path:
    """``text`` as a path, ``~`` and ``~user`` standing for a home folder as the shell would expand them (it
    does not after ``=``: ``--out=~/r.npz``); ValueError, in words, for a user there is not."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        user = text.split("/", 1)[0]
        raise ValueError(f"there is no user {user[1:]!r} for {user} to stand for; write the path in full")


def path_arg(text: str) -> Path:
    """argparse type for every path flag: ``home_path``."""
    try:
        return home_path(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error))


def output_file(text: str):
    """argparse type for a file to write: a name ending in / names a folder, not a file."""
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text} names a folder; give a file name, such as {text}digits.png")
    return path_arg(text)


MODEL_SUFFIX = ".keras"  # Keras 3's own format: one zip file holding the architecture and the weights


def keras_file(text: str) -> Path:
    """argparse type for a model path: Keras saves and loads models as files ending in .keras."""
    if Path(text).suffix != MODEL_SUFFIX:  # "models/.keras" is a hidden name without a suffix: Keras refuses it
        raise argparse.ArgumentTypeError(f"the model file must be NAME{MODEL_SUFFIX}, got {text!r}")
    return path_arg(text)


VALIDATIONS = ("test", "split")


def validation_choice(text: str) -> str:
    """VALIDATION's check: "test" or "split" (the flag says so by its choices: argparse would check a
    word's default with its type, before the lesson's own check can name the line)."""
    if text not in VALIDATIONS:
        raise argparse.ArgumentTypeError(f"must be {' or '.join(map(repr, VALIDATIONS))}, got {text!r}")
    return text


def add_training_flags(
    parser: argparse.ArgumentParser, *, epochs: int, batch_size: int, hidden_units: int, seed: int = SEED, data=None
) -> None:
    """--epochs, --batch-size, --hidden-units, --seed and --data: the settings every training script shares."""
    parser.add_argument(
        "--epochs", type=positive_int, default=epochs, help=f"passes over the training set (default {epochs})"
    )
    parser.add_argument(
        "--batch-size", type=batch_size_int, default=batch_size, help=f"images per update (default {batch_size})"
    )
    parser.add_argument(
        "--hidden-units",
        type=hidden_units_int,
        default=hidden_units,
        help=f"hidden neurons (default {hidden_units})",
    )
    add_seed_flag(parser, seed)
    add_data_flag(parser, data)


def add_data_flag(parser: argparse.ArgumentParser, data=None) -> None:
    where = data or "$MNIST_DATA, then Keras' cache"
    parser.add_argument(
        "--data", type=path_arg, metavar="PATH", default=data, help=f"MNIST folder or .npz file (default: {where})"
    )


def add_seed_flag(parser: argparse.ArgumentParser, seed: int = SEED) -> None:
    parser.add_argument("--seed", type=seed_int, default=seed, help=f"random seed (default {seed})")


def add_quiet_flag(parser: argparse.ArgumentParser, what: str = "print only the results") -> None:
    parser.add_argument("--quiet", action="store_true", help=what)


def silent(*lines) -> None:
    """The ``log`` that prints nothing: every ``log=`` in this project takes ``print`` or this."""


def printer(quiet: bool):
    """The ``log`` function for a --quiet flag: ``silent`` when quiet, else ``print``."""
    return silent if quiet else print
