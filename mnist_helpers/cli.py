"""Command-line plumbing shared by the scripts: the shared flags, flag value types, and the top-level
handling of errors and Ctrl-C.

Importing this module sets up Ctrl-C, so each script imports it first: from the first moment on,
Ctrl-C ends a script with ``Interrupted.`` and exit code 130, never a traceback.
"""

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from . import files
from .errors import UserError

SEED = 1337  # every script's default seed: the same seed repeats a run number for number
INTERRUPTED_EXIT_CODE = 130  # the shell's code for "ended by Ctrl-C"
stderr_fd = 2  # where "Interrupted." goes; keras_setup points it elsewhere while it captures fd 2


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


def output_file(text: str):
    """argparse type for a file to write: a name ending in / names a folder, not a file."""
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text} names a folder; give a file name, such as {text}digits.png")
    return Path(text)


def add_training_flags(parser: argparse.ArgumentParser, *, epochs: int, batch_size: int, hidden_units: int) -> None:
    """--epochs, --batch-size, --hidden-units, --seed and --data: the settings every training script shares."""
    parser.add_argument(
        "--epochs", type=positive_int, default=epochs, help=f"passes over the training set (default {epochs})"
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=batch_size, help=f"images per update (default {batch_size})"
    )
    parser.add_argument(
        "--hidden-units",
        type=bounded_int(1, 4096),
        default=hidden_units,
        help=f"hidden neurons (default {hidden_units})",
    )
    add_seed_flag(parser)
    add_data_flag(parser)


def add_data_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", metavar="PATH", help="MNIST folder or .npz file (default: $MNIST_DATA, then Keras' cache)"
    )


def add_seed_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=SEED, help=f"random seed (default {SEED})")


def add_quiet_flag(parser: argparse.ArgumentParser, what: str = "print only the results") -> None:
    parser.add_argument("--quiet", action="store_true", help=what)


def silent(*lines) -> None:
    """The ``log`` that prints nothing: every ``log=`` in this project takes ``print`` or this."""


def printer(quiet: bool):
    """The ``log`` function for a --quiet flag: ``silent`` when quiet, else ``print``."""
    return silent if quiet else print


def report(error: UserError) -> None:
    """Print a user error as the one line every script uses: ``error: <what is wrong and the fix>``."""
    sys.stdout.flush()  # what was printed before the error stays above it
    print(f"error: {error}", file=sys.stderr, flush=True)


def run(main, argv=None) -> None:
    """Call ``main(argv)`` and exit; a UserError or Ctrl-C ends with one line instead of a traceback."""
    try:
        code = main(argv)
    except UserError as error:
        report(error)
        code = error.exit_code
    except KeyboardInterrupt:  # raised by _on_ctrl_c while a file was being written, now removed
        code = INTERRUPTED_EXIT_CODE
    _exit(code or 0)


def _on_ctrl_c(signum, frame) -> None:
    """Ctrl-C stops at once. Unwinding the stack mid-training can crash TensorFlow (its threads still
    use what the unwinding frees), so there is none, except while an output file is being written:
    then the usual KeyboardInterrupt lets atomic_output remove the half-written file."""
    if files.writing():
        raise KeyboardInterrupt
    _exit(INTERRUPTED_EXIT_CODE)


def _exit(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    if code == INTERRUPTED_EXIT_CODE:
        os.write(stderr_fd, b"\nInterrupted.\n")
    # Every output file is closed. Skip the interpreter's clean-up, which with TensorFlow loaded
    # takes about half a second and changes nothing the user sees.
    os._exit(code)


# SIGINT is the one signal handled, and the one every system has: Windows delivers Ctrl-C (and
# Ctrl-Break's console event aside) as SIGINT to Python too.
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGINT, _on_ctrl_c)
