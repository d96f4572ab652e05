"""The trained model on disk: a Keras ``.keras`` file, saved atomically and loaded safely.

Loading uses Keras' safe mode, so a model file that carries Python code (a Lambda layer) or
classes Keras does not know is refused instead of run. Keras itself is imported only when a model
is really saved or loaded.
"""

import argparse
import tempfile
import zipfile
from pathlib import Path

from .archive import check_sizes, open_archive, read_through
from .cli import path_arg
from .errors import UserError
from .files import not_a_file, write_output
from .lifecycle import stops_raise

SUFFIX = ".keras"  # Keras 3's own format: one zip file holding the architecture and the weights
INPUTS, OUTPUTS = 28 * 28, 10  # what every model of this project takes and gives
MOST_BYTES = 256 * 2**20  # a .keras unpacked: ten times the widest lesson model's (4,096 hidden units, 26 MB trained)
MOST_JSON = 2**20  # its config.json and metadata.json: a few kilobytes for the lesson's model


def keras_file(text: str) -> Path:
    """argparse type for a model path: Keras saves and loads models as files ending in .keras."""
    if Path(text).suffix != SUFFIX:  # "models/.keras" is a hidden name without a suffix: Keras refuses it
        raise argparse.ArgumentTypeError(f"the model file must be NAME{SUFFIX}, got {text!r}")
    return path_arg(text)


def save_model(model, path) -> bool:
    """Save ``model`` to ``path``; an interrupted or failed save leaves no file behind, and nothing of
    Keras' own: the folders Keras makes while it saves (``tempfile.mkdtemp``) go into one of ours,
    removed afterwards, since a failed save (a full disk) leaves them. True when it replaced a file."""

    def save(temporary):
        with tempfile.TemporaryDirectory(prefix="mnist-learn-save-") as scratch:
            kept, tempfile.tempdir = tempfile.tempdir, scratch  # Python's documented default for dir=
            try:
                model.save(temporary)
            finally:
                tempfile.tempdir = kept

    return write_output(path, save)


def check_model_file(path) -> Path:
    """Fail fast, before TensorFlow loads, when ``path`` is missing or is not a Keras file at all."""
    path = Path(path)
    try:
        kind = not_a_file(path.stat().st_mode)  # a link is followed: to /dev/zero, a device
    except OSError:  # nothing there, or a link that leads nowhere
        where = path if path.is_absolute() else f"{path} (in {Path.cwd()})"  # the folder it looked in
        raise UserError(f"There is no model at {where}; {_train_hint(path)}.")
    if kind:
        raise UserError(f"{path} is {kind}, not a model file; {_train_hint(path)}.")
    try:
        open(path, "rb").close()
    except OSError as error:
        raise UserError(f"Cannot read {path}: {error.strerror}; check its permissions.")
    if not zipfile.is_zipfile(path):
        raise UserError(f"{path} is not a Keras model file (a .keras file is a zip archive); {_train_hint(path)}.")
    return path


def check_model_archive(path) -> None:
    """The .keras file read through by the one bounded reader before Keras opens it: no member may unpack
    to more than such a file holds (``MOST_BYTES``; its JSON, ``MOST_JSON``), and a damaged or truncated
    member is one sentence here, not a traceback from h5py."""
    fix = _train_hint(path)
    with open_archive(path, "a Keras model file (a zip archive)", fix) as archive:
        check_sizes(archive.infolist(), path, fix, most=MOST_BYTES, most_each={".json": MOST_JSON})
        read_through(archive, path, fix)


def load_digit_model(path):
    """Load a model saved by ``mnist_learn.py --save-model``: 784 pixel values in, 10 digit scores out."""
    path = check_model_file(path)
    check_model_archive(path)
    from . import keras_setup

    keras_setup.import_keras_quietly()
    import keras

    try:
        with stops_raise():  # a stop lets Keras remove the folder it unpacks the file into
            model = keras.saving.load_model(path, safe_mode=True)  # never run code stored in a file
    except OSError as error:
        if error.errno is not None:  # the disk's or the system's: lifecycle says it in one sentence
            raise
        raise UserError(
            f"{path} is not a model this project can use: its weights cannot be read ({error}); {_train_hint(path)}."
        )
    except Exception as error:  # Keras raises ValueError, TypeError, KeyError ... for files it cannot rebuild
        if "lambda" in str(error).lower():
            reason = "it contains Python code (a Lambda layer), which Keras' safe mode refuses to run"
        else:
            reason = f"Keras could not rebuild it ({type(error).__name__})"
        raise UserError(f"{path} is not a model this project can use: {reason}; {_train_hint(path)}.")
    inputs, outputs = _shape(model, "input_shape"), _shape(model, "output_shape")
    if inputs != (None, INPUTS) or outputs != (None, OUTPUTS):
        raise UserError(
            f"{path} takes inputs of shape {inputs} and gives {outputs}, but digits need "
            f"{(None, INPUTS)} in and {(None, OUTPUTS)} out; {_train_hint(path)}."
        )
    return model


def check_probabilities(path, outputs) -> None:
    """Refuse a model whose outputs are not ten probabilities (NaN weights, or no softmax at the end): its
    guesses would be printed as if they meant something."""
    import numpy as np

    if not (np.isfinite(outputs).all() and (outputs >= 0).all() and np.allclose(outputs.sum(axis=1), 1, atol=1e-3)):
        raise UserError(
            f"{path} gives outputs that are not probabilities (NaN, negative, or not summing to 1: a diverged "
            f"training, or no softmax at the end); {_train_hint(path)}."
        )


def _train_hint(path) -> str:
    path = Path(path)
    if not path.exists():
        return f"train one with `python mnist_learn.py --save-model {path}`"
    new = path.with_name(f"{path.stem}_new{SUFFIX}")  # never suggest saving over the user's file
    return f"train one under a new name with `python mnist_learn.py --save-model {new}` and pass `--model {new}`"


def _shape(model, attribute: str):
    try:
        return tuple(getattr(model, attribute))
    except (AttributeError, TypeError, ValueError):  # several inputs or outputs, or never built
        return None
