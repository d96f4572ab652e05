"""The trained model: its .keras file, saved whole and loaded safely, its weights, and why it gave a digit its
score, pixel by pixel.

Loading uses Keras' safe mode, so a model file that carries Python code (a Lambda layer) or classes Keras does
not know is refused instead of run; the file is read through by the bounded reader first. Keras itself is
imported only when a model is really saved or loaded.

For mnist_learn.py's network, once a drawing has switched some hidden units on (relu > 0) and left the others
off, everything between the pixels and a digit's score (before the softmax) is linear:

    score[d] = sum over pixels i of  x[i] * sum over units j that are on of  w1[i, j] * w2[j, d]
             + sum over units j that are on of  b1[j] * w2[j, d]  +  b2[d]

so each pixel's contribution is x[i] times its weight through the units that are on, and the contributions
plus the biases' constant are the score (``pixel_contributions``). predict.py --show draws these for a photo;
the page (web/network.js, pixelContributions) computes the same for a drawing, and the tests hold the two
together.
"""

import errno
import math
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UserError
from .flags import MODEL_SUFFIX
from .plumbing.files import NotAFile, cannot_read, check_sizes, open_archive, open_regular, read_through, write_output
from .plumbing.signals import stops_raise

INPUTS, OUTPUTS = 28 * 28, 10  # what every model of this project takes and gives
MOST_BYTES = 256 * 2**20  # a .keras unpacked: ten times the widest lesson model's (4,096 hidden units, 26 MB trained)
MOST_JSON = 2**20  # its config.json and metadata.json: a few kilobytes for the lesson's model


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
        open_regular(path).close()  # a link is followed: to /dev/zero, a device
    except NotAFile as kind:
        raise UserError(f"{path} is {kind}, not a model file; {_train_hint(path)}.")
    except OSError as error:
        if error.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):  # there, but not to be read
            raise cannot_read(path, error)
        where = path if path.is_absolute() else f"{path} (in {Path.cwd()})"  # nothing there, or a link to nowhere
        raise UserError(f"There is no model at {where}; {_train_hint(path)}.")
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
        if {"config.json", "model.weights.h5"} <= set(archive.namelist()):
            _check_weights(archive, path, fix)


def _check_weights(archive, path, fix: str) -> None:
    """The weights' shapes as the HDF5 file declares them (h5py reads its headers, no data), against the
    layers config.json names and, all together, against ``MOST_BYTES``: a few kilobytes of HDF5 may
    declare gigabytes that Keras would allocate before it finds them wrong."""
    import json

    import h5py

    declared = {}
    try:
        expected = _dense_shapes(json.loads(archive.read("config.json")))
        with archive.open("model.weights.h5") as member, h5py.File(member, "r") as weights:
            weights.visititems(
                lambda name, item: declared.update({name: item}) if isinstance(item, h5py.Dataset) else None
            )
            declared = {name: (tuple(item.shape), item.dtype.itemsize) for name, item in declared.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise UserError(f"{path} is damaged (its weights cannot be read: {error}); {fix}.")
    total = sum(math.prod(shape) * size for shape, size in declared.values())
    wrong = [name for name, shape in expected.items() if name in declared and declared[name][0] != shape]
    if wrong:
        said = f"{wrong[0]} is declared {declared[wrong[0]][0]}, where its layer needs {expected[wrong[0]]}"
        raise UserError(f"{path} is damaged or not what it claims ({said}); {fix}.")
    if total > MOST_BYTES:
        said = f"its weights declare {total:,} bytes, more than such a model holds"
        raise UserError(f"{path} is damaged or not what it claims ({said}); {fix}.")


def _dense_shapes(config: dict) -> dict:
    """{"layers/dense/vars/0": (784, 32), ...}: the shape each Dense layer's kernel and bias must have, read
    off a Sequential model's config (its layers' units, from the input's width on). The weights file names
    the layers as Keras saves them: by kind and order (dense, dense_1, ...), whatever their own names."""
    shapes, width, dense = {}, None, 0
    for layer in config.get("config", {}).get("layers", []):
        settings = layer.get("config", {})
        if layer.get("class_name") == "InputLayer":
            width = (settings.get("batch_shape") or [None])[-1]
        elif layer.get("class_name") == "Dense" and isinstance(settings.get("units"), int) and width:
            units, name = settings["units"], "dense" if dense == 0 else f"dense_{dense}"
            shapes[f"layers/{name}/vars/0"] = (width, units)
            if settings.get("use_bias", True):
                shapes[f"layers/{name}/vars/1"] = (units,)
            width, dense = units, dense + 1
    return shapes


def load_digit_model(path):
    """Load a model saved by ``mnist_learn.py --save-model``: 784 pixel values in, 10 digit scores out."""
    path = check_model_file(path)
    check_model_archive(path)
    from .backend import import_keras_quietly

    import_keras_quietly()
    import keras

    try:
        with stops_raise():  # a stop lets Keras remove the folder it unpacks the file into
            model = keras.saving.load_model(path, safe_mode=True)  # never run code stored in a file
    except OSError as error:
        if error.errno is not None:  # the disk's or the system's: the error boundary says it
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
    if not (np.isfinite(outputs).all() and (outputs >= 0).all() and np.allclose(outputs.sum(axis=1), 1, atol=1e-3)):
        raise UserError(
            f"{path} gives outputs that are not probabilities (NaN, negative, or not summing to 1: a diverged "
            f"training, or no softmax at the end); {_train_hint(path)}."
        )


def _train_hint(path) -> str:
    path = Path(path)
    if not path.exists():
        return f"train one with `python mnist_learn.py --save-model {path}`"
    new = path.with_name(f"{path.stem}_new{MODEL_SUFFIX}")  # never suggest saving over the user's file
    return f"train one under a new name with `python mnist_learn.py --save-model {new}` and pass `--model {new}`"


def _shape(model, attribute: str):
    try:
        return tuple(getattr(model, attribute))
    except (AttributeError, TypeError, ValueError):  # several inputs or outputs, or never built
        return None


# The fit: the arrays it takes, what it is about to do, what it leaves.

RAW_PIXELS_LOWEST, RAW_PIXELS_HIGHEST = 70, 92  # test accuracy, %: 1 epoch to 5 × 128, on the machines measured
RAW_PIXELS_NOTE = (
    "  Raw 0-255 pixels, not scaled to 0-1 (the normalize lines are off), as in the post's first runs.\n"
    "  Keras 3 takes the cross-entropy from the logits under the softmax, so saturated outputs still learn:\n"
    f"  expect {RAW_PIXELS_LOWEST}% to {RAW_PIXELS_HIGHEST}% (more with more updates; the saturated softmax carries "
    "the last bits\n  of the first updates far, so each machine lands elsewhere in that range), where the post's "
    "Keras 2.1\n  (probabilities clipped to 1e-7) gave 57% and 62%."
)


def check_fit_inputs(model, x, y, x_name: str, y_name: str) -> None:
    """One sentence when ``x``/``y`` do not fit ``model``: which array is wrong, its shape, what the model
    needs, and the lesson's line that makes it right (Keras would fail deep inside ``fit``)."""
    n, features, classes = len(x), model.input_shape[-1], model.output_shape[-1]
    if np.ndim(x) != 2 or x.shape[1] != features:
        side = int(round(features**0.5))
        fix = f"{x_name} = {x_name}.reshape(({n}, {side} * {side}))" if side * side == features else "reshape it"
        raise UserError(
            f"{x_name} has shape {x.shape}, but the model needs (samples, {features}): "
            f"flatten each image with `{fix}` before fit."
        )
    if np.ndim(y) == 2 and 0 < y.shape[1] < classes:  # to_categorical ran on labels that lack the top digits
        raise UserError(
            f"{y_name} has {y.shape[1]} columns, one per digit up to its highest label ({y.shape[1] - 1}), but "
            f"the model has {classes} outputs: encode with `{y_name} = to_categorical({y_name}, num_classes={classes})` "
            "when your labels lack some digits."
        )
    if np.ndim(y) != 2 or y.shape[1] != classes:
        raise UserError(
            f"{y_name} has shape {np.shape(y)}, but the model needs one-hot labels of shape (samples, {classes}): "
            f"encode them with `{y_name} = to_categorical({y_name})` before fit."
        )
    if len(y) != n:
        raise UserError(f"{x_name} has {n:,} samples but {y_name} has {len(y):,}; they must match one to one.")


def plan(epochs: int, batch_size: int, x_train, validation_count: int, validation: str, log=print) -> None:
    """Say what fit is about to do, in the post's terms."""
    train_count = len(x_train)
    if batch_size >= train_count:
        log(f"A batch of {batch_size:,} holds every training image: one update per epoch.")
    batches = math.ceil(train_count / batch_size)
    log(
        f"Training on {train_count:,} images, validating on {validation_count:,} ({validation} set): "
        f"{plural(epochs, 'epoch')} × {plural(batches, 'batch', 'batches')} of {batch_size:,} "
        f"= {plural(updates(epochs, batch_size, train_count), 'gradient update')}."
    )
    if x_train.size and x_train.max() > 1:
        log(RAW_PIXELS_NOTE)


def updates(epochs: int, batch_size: int, train_count: int) -> int:
    """Gradient updates a fit makes: one per batch, ceil(train_count / batch_size) batches an epoch."""
    return epochs * math.ceil(train_count / batch_size)


def plural(count: int, noun: str, nouns: str = "") -> str:
    """'1 epoch', '5 epochs', '1 batch', '469 batches' (``nouns``: the plural, when not ``noun`` + s)."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


@dataclass
class Result:
    """What a run of the lesson leaves (never the test set itself)."""

    model: object
    history: dict  # per epoch: loss, accuracy, val_loss, val_accuracy
    test_loss: float
    test_accuracy: float
    updates: int  # gradient updates made: epochs × batches per epoch
    epochs: int | None = None
    batch_size: int | None = None
    seconds: float | None = None  # the run's, where its caller timed it (experiments.py)


def result(lesson: dict, seconds: float | None = None) -> Result:
    """The figures a run of the lesson left, as its caller wants them."""
    epochs, batch_size, history = lesson["EPOCHS"], lesson["BATCH_SIZE"], lesson["history"].history
    steps = updates(epochs, batch_size, len(lesson["x_train"]))
    return Result(lesson["model"], history, lesson["test_loss"], lesson["test_acc"], steps, epochs, batch_size, seconds)


def network_line(inputs: int, layers: list, weights: int) -> str:
    """The network in one line: its inputs, each dense layer as (units, activation), and its weight count."""
    dense = " → ".join(f"Dense({units}, {activation})" for units, activation in layers)
    return f"Network: {inputs} inputs → {dense}, {weights:,} weights."


def layer_kinds(model) -> list[str]:
    """The model's layers as "Dense(relu)", "Dense(softmax)", ... (a layer without an activation by its kind)."""
    kinds = []
    for layer in model.layers:
        activation = getattr(getattr(layer, "activation", None), "__name__", None)
        kinds.append(f"{type(layer).__name__}({activation})" if activation else type(layer).__name__)
    return kinds


def network_weights(model) -> list[np.ndarray] | None:
    """The weights of a model built as mnist_learn.py builds it, Dense(n, relu) then Dense(10, softmax):
    w1 (784, n), b1 (n,), w2 (n, 10), b2 (10,) as float32 (fewer arrays where a layer has no bias);
    None for a model built otherwise."""
    if layer_kinds(model) != ["Dense(relu)", "Dense(softmax)"]:
        return None
    return weights_of(model)


def weights_of(model) -> list[np.ndarray]:
    """The model's weights as float32 NumPy copies, layer by layer: get_weights(), without the
    DeprecationWarning that it (and np.array of a variable) gives with NumPy 2 on JAX and TensorFlow."""
    return [np.array(np.asarray(variable.value), dtype="<f4") for variable in model.weights]


def pixel_contributions(weights, x, digit: int) -> tuple[np.ndarray, float]:
    """Each of the 784 pixels' contribution to ``digit``'s score for the pixels ``x`` (0 to 1), and the
    constant the biases add: ``contributions.sum() + constant`` is the score before the softmax."""
    w1, b1, w2, b2 = (np.asarray(array, np.float64) for array in weights)
    x = np.asarray(x, np.float64).reshape(28 * 28)
    on = np.dot(x, w1) + b1 > 0  # the hidden units this drawing switches on
    through = np.dot(w1[:, on], w2[on, digit])  # each pixel's weight to the score, through those units
    return x * through, float(np.dot(b1[on], w2[on, digit]) + b2[digit])
