"""Everything around mnist_learn.py's lesson: its flags, the checks before training, what it prints
besides Keras' own output, saving the model and drawing the pictures.

The lesson itself (``mnist_learn.train``) stays the post's lines; it calls in here only to print.
"""

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

from .cli import add_quiet_flag, add_training_flags, printer, run, silent  # noqa: F401  (run: the lesson's entry point)
from .files import ensure_writable_folder, refuse_folder
from .mnist_data import load_data
from .model_file import keras_file, save_model
from .shapes import shape_table

PLOTS = "plots"  # where the pictures of a run go
PICTURES = ("learning_curves.png", "confusion_matrix.png", "mistakes.png", "hidden_units.png")  # what goes there


@dataclass
class Result:
    """What a run of the lesson gives its caller (never the test set itself)."""

    model: object
    history: dict  # per epoch: loss, accuracy, val_loss, val_accuracy
    test_loss: float
    test_accuracy: float
    updates: int  # gradient updates made: epochs × batches per epoch


def parse_args(argv, doc: str, *, epochs: int, batch_size: int, hidden_units: int, validation: str):
    """The lesson's flags, each defaulting to the constant at the top of mnist_learn.py."""
    title, _, rest = doc.partition("\n")
    network = f"784 pixels → Dense({hidden_units}, relu) → Dense(10, softmax) by default."
    parser = argparse.ArgumentParser(
        description=f"{title}\n{network}\n{rest}", formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_training_flags(parser, epochs=epochs, batch_size=batch_size, hidden_units=hidden_units)
    parser.add_argument(
        "--validation", choices=("test", "split"), default=validation, help=f"validation data (default {validation})"
    )
    parser.add_argument("--raw-pixels", action="store_true", help="skip scaling pixels to [0, 1], to see what it buys")
    parser.add_argument("--save-model", type=keras_file, metavar="PATH", help="save the trained model (a .keras file)")
    parser.add_argument(
        "--plots", type=Path, default=Path(PLOTS), metavar="DIR", help=f"folder for the pictures (default {PLOTS}/)"
    )
    parser.add_argument("--no-plots", action="store_true", help="draw no pictures (Matplotlib is then never loaded)")
    add_quiet_flag(parser)
    settings = parser.parse_args(argv)
    settings.verbose = 0 if settings.quiet else "auto"  # Keras' word for the progress bars
    return settings


def check_outputs(settings) -> None:
    """Refuse output paths that cannot be written, before any training starts."""
    if settings.save_model:
        refuse_folder(settings.save_model, "--save-model")
        ensure_writable_folder(settings.save_model.parent, "the model")
    if not settings.no_plots:
        ensure_writable_folder(settings.plots, "the pictures")
        for name in PICTURES:
            refuse_folder(settings.plots / name, "--plots")


def show_shapes(title: str, x_train, y_test, log) -> None:
    """The post's print(x_train.ndim), print(x_train.shape) ... checks, as one table."""
    log(title)
    log(shape_table({"x_train": x_train, "x_train[0]": x_train[0], "y_test": y_test, "y_test[0]": y_test[0]}))


def show_plan(settings, train_count: int, validation_count: int, log) -> int:
    """Say what fit is about to do, in the post's terms; return the number of gradient updates."""
    batches = math.ceil(train_count / settings.batch_size)  # one gradient update per batch
    if settings.batch_size >= train_count:
        log(f"A batch of {settings.batch_size:,} holds every training image: one update per epoch.")
    log(
        f"Training on {train_count:,} images, validating on {validation_count:,} ({settings.validation} set): "
        f"{settings.epochs} epochs × {batches:,} batches of {settings.batch_size} "
        f"= {settings.epochs * batches:,} gradient updates."
    )
    return settings.epochs * batches


def report_results(settings, result: Result) -> None:
    """Print the test figures, then save the model and draw the pictures if asked."""
    print(f"test loss: {result.test_loss:.4f}")
    print(f"test accuracy: {result.test_accuracy:.4f}")
    if not settings.quiet:
        print(f"  = {result.test_accuracy:.2%} of the test digits read right.")
        print(training_figure_note(result.history))
    if settings.save_model:
        save_model(result.model, settings.save_model)
        print(f"Saved the trained model to {settings.save_model}.")
    if not settings.no_plots:
        print("Drawing the pictures...", flush=True)
        paths = draw_pictures(settings, result)
        print(f"Pictures in {settings.plots}/: {', '.join(path.name for path in paths)}")


def training_figure_note(history: dict) -> str:
    """Why the last epoch's training accuracy can sit below the validation and test figures."""
    return (
        f"  The last epoch's training accuracy ({history['accuracy'][-1]:.2%}) is a running average over the "
        "epoch,\n  taken while the weights were still changing; validation "
        f"({history['val_accuracy'][-1]:.2%}) and test are measured with the final weights."
    )


def draw_pictures(settings, result: Result) -> list:
    """The four pictures of a run. The test images are read again here rather than kept from the start:
    holding the loaded data through training would keep 47 MB of training images alive during fit."""
    from .plotting import save_training_pictures  # Matplotlib loads only here

    _, (x_test, y_test) = load_data(settings.data, log=silent)
    pixels = x_test.reshape(len(x_test), 28 * 28).astype("float32")
    if not settings.raw_pixels:
        pixels /= 255  # as the lesson's step 4
    probabilities = result.model.predict(pixels, verbose=0)
    kernel = result.model.layers[0].get_weights()[0]
    paths = [settings.plots / name for name in PICTURES]
    save_training_pictures(paths, result.history, x_test, y_test, probabilities, kernel)
    return paths
