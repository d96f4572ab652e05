"""What mnist_learn.py prints besides Keras' own output, and what it saves after the lesson.

The lesson's lines stay the post's; they call in here to show the post's checks (``ndim``,
``shape``) as tables, the plan of the fit, and the results. ``--quiet`` (``go_quiet``) puts a
stream in front of standard output that drops what it is given, the lesson's lines and Keras'
progress bars alike (on JAX Keras draws them from a thread of its own, which its interactive-logging
switch does not reach); the results and what is saved still reach the real stream (``tell``). Sent to a
file or a pipe, standard output keeps each line as it ended up, without the progress bar's redraws
(``plain_lines``).
"""

import io
import math
import re
import sys
import time
from dataclasses import dataclass

from . import lifecycle, runs
from .errors import UserError
from .files import said
from .shapes import check_fit_inputs, shape_table

PICTURES = ("learning_curves.png", "confusion_matrix.png", "mistakes.png", "hidden_units.png")  # a run's pictures
RUNS_PICTURE = "runs.png"  # your runs side by side, drawn with the others when the run adds its row
RAW_PIXELS_LOWEST, RAW_PIXELS_HIGHEST = 70, 92  # test accuracy, %: 1 epoch to 5 × 128, on the machines measured
RAW_PIXELS_NOTE = (
    "  Raw 0-255 pixels, not scaled to 0-1 (the normalize lines are off), as in the post's first runs.\n"
    "  Keras 3 takes the cross-entropy from the logits under the softmax, so saturated outputs still learn:\n"
    f"  expect {RAW_PIXELS_LOWEST}% to {RAW_PIXELS_HIGHEST}% (more with more updates; the saturated softmax carries "
    "the last bits\n  of the first updates far, so each machine lands elsewhere in that range), where the post's "
    "Keras 2.1\n  (probabilities clipped to 1e-7) gave 57% and 62%."
)


@dataclass
class Result:
    """What a run of the lesson leaves (never the test set itself)."""

    model: object
    history: dict  # per epoch: loss, accuracy, val_loss, val_accuracy
    test_loss: float
    test_accuracy: float
    updates: int  # gradient updates made: epochs × batches per epoch


class _Quiet(io.TextIOBase):
    """Standard output under --quiet: drops what is written; ``results`` is the stream it stands for."""

    def __init__(self, results):
        self.results = results

    def write(self, text: str) -> int:
        return len(text)


class Lines(io.TextIOBase):
    """Standard output sent to a file or a pipe (or read by a program: experiments.py): each line as it last
    stood on a terminal, written to ``stream`` once it ends. On Linux and macOS Keras redraws its progress bar
    in place wherever its output goes (backspaces, carriage returns, colours): ``python mnist_learn.py >
    run.txt`` would keep every redraw, lines of thousands of characters."""

    ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # a terminal's colours and boldface

    def __init__(self, stream):
        self.stream, self.line = stream, ""

    @property
    def encoding(self):
        return self.stream.encoding

    def write(self, text: str) -> int:
        for part in re.split(r"([\r\n\b])", self.ESCAPE.sub("", text)):
            if part == "\n":
                self.stream.write(self.line + "\n")
                self.stream.flush()
            if part in ("\n", "\r"):
                self.line = ""
            elif part == "\b":
                self.line = self.line[:-1]
            else:
                self.line += part
        return len(text)


def plain_lines() -> None:
    """From now on, where the process's own standard output goes to a file or a pipe, write each line as it
    ended up on a terminal (a run inside a program, which holds sys.stdout itself, is left as it is)."""
    if sys.stdout is sys.__stdout__ and not sys.stdout.isatty():
        sys.stdout = Lines(sys.stdout)


def go_quiet() -> None:
    """From now on print only what ``tell`` prints (the caller puts sys.stdout back when it needs to)."""
    sys.stdout = _Quiet(sys.stdout)


def tell(*lines, **options) -> None:
    """The results and what was saved: printed even under --quiet."""
    print(*lines, file=getattr(sys.stdout, "results", sys.stdout), **options)


def updates(epochs: int, batch_size: int, train_count: int) -> int:
    """Gradient updates a fit makes: one per batch, ceil(train_count / batch_size) batches an epoch."""
    return epochs * math.ceil(train_count / batch_size)


def show_shapes(title: str, x_train, y_test, log=print) -> None:
    """The post's print(x_train.ndim), print(x_train.shape) ... checks, as one table (mnist_by_hand.py's)."""
    log(title)
    log(shape_table({"x_train": x_train, "x_train[0]": x_train[0], "y_test": y_test, "y_test[0]": y_test[0]}))


def show_plan(lesson: dict) -> None:
    """Before the lesson's fit: every array it hands Keras checked against its model (a missing line said
    in one sentence, not a traceback an epoch later), then what fit is about to do."""
    train_count, validation_count = len(lesson["x_train"]), len(lesson["x_val"])
    if validation_count == 0:
        raise UserError(
            f'VALIDATION = "split" holds out a tenth of the training images, and {train_count} leave none to '
            'validate on; use VALIDATION = "test" (--validation test), or data with at least 10 training images.'
        )
    for x, y in (("x_train", "y_train"), ("x_test", "y_test")):
        check_fit_inputs(lesson["model"], lesson[x], lesson[y], x, y)
    plan(lesson["EPOCHS"], lesson["BATCH_SIZE"], lesson["x_train"], validation_count, lesson["VALIDATION"])
    if "outputs" in lesson:  # the command line's: the fit's time, for the run's row
        lesson["outputs"].fit_started = time.perf_counter()


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


def plural(count: int, noun: str, nouns: str = "") -> str:
    """'1 epoch', '5 epochs', '1 batch', '469 batches' (``nouns``: the plural, when not ``noun`` + s)."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def show_results(test_loss: float, test_accuracy: float, history: dict, count: int) -> None:
    """The test figures: under --quiet the two lines alone, else what they mean."""
    if isinstance(sys.stdout, _Quiet):
        tell(f"test loss: {test_loss:.4f}")
        tell(f"test accuracy: {test_accuracy:.4f}")
        return
    print(f"  = {test_accuracy:.2%} of the {count:,} test digits read right; test loss {test_loss:.4f}.")
    print(training_figure_note(history))


def training_figure_note(history: dict) -> str:
    """Why the last epoch's training accuracy can sit below the validation and test figures."""
    return (
        f"  The last epoch's training accuracy ({history['accuracy'][-1]:.2%}) is a running average over the "
        "epoch,\n  taken while the weights were still changing; validation "
        f"({history['val_accuracy'][-1]:.2%}) and test are measured with the final weights."
    )


def save_outputs(outputs, lesson: dict) -> None:
    """After the lesson: what its figures mean, then what the flags ask for: the model (--save-model) and
    the pictures (unless --no-plots)."""
    from .model_file import save_model

    model, history = lesson["model"], lesson["history"].history
    started = getattr(outputs, "fit_started", None)  # set by show_plan, just before fit
    seconds = time.perf_counter() - started if started is not None else float("nan")  # fit and evaluate
    show_results(lesson["test_loss"], lesson["test_acc"], history, len(lesson["x_test"]))
    if outputs.save_model:
        replaced = save_model(model, outputs.save_model)
        tell(f"Saved the trained model to {said(outputs.save_model, replaced)}.")
    row = run_row(lesson, seconds) if outputs.runs else None
    rows = runs_with(outputs.runs, row) if row else None
    if not outputs.no_plots:
        tell("Drawing the pictures...", flush=True)
        drawn = draw_pictures(outputs.plots, model, history, lesson["x_test"], lesson["y_test"], rows)
        tell(f"Pictures in {outputs.plots}/: {', '.join(said(path.name, replaced) for path, replaced in drawn)}")
    if rows:  # the row is the run's last write: a run stopped or failed before it adds none
        rows = runs_with(outputs.runs, row, runs.append_run)
    if rows:
        print("\n".join(runs.comparison(rows, outputs.runs)))
    if lesson["__name__"] == "__main__":  # python mnist_learn.py, not a run inside another program
        lifecycle.finish()


def run_row(lesson: dict, seconds: float) -> dict:
    """This run's row of runs.csv (runs.py): its settings and its figures."""
    import keras

    from .backend import describe_backend

    count = updates(lesson["EPOCHS"], lesson["BATCH_SIZE"], len(lesson["x_train"]))
    return runs.row_of(lesson, describe_backend(), keras.version(), count, seconds)


def runs_with(path, row: dict, add=lambda path, row: [*runs.read_runs(path), row]):
    """Every row of ``path`` with ``row`` last: as the picture of your runs draws them, before the row is added,
    or as ``add`` (runs.append_run) leaves them. None when the file is not a table of runs, which is then left
    as it is and said in one sentence."""
    try:
        return add(path, row)
    except runs.Unreadable as why:
        tell(
            f"Your runs: {path} is left as it is and this run's row kept out of it: {why}; move it away to start a new one."
        )
        return None


def draw_pictures(folder, model, history: dict, x_test, y_test, rows=None) -> list:  # [(path, replaced a file)]
    """The four pictures of a run, of the lesson's own test arrays as it evaluated them, and with ``rows``
    (your runs, this one last) a fifth: runs.png."""
    from .plotting import runs_figure, save_figure, save_training_pictures  # Matplotlib loads only here

    import keras

    # One call of the model on the whole test set: model.predict's answers (bit for bit here), without
    # the 0.4 s predict spends compiling a loop over batches of 32 for one use.
    probabilities = keras.ops.convert_to_numpy(model(x_test, training=False))
    kernel = model.layers[0].get_weights()[0]
    paths = [folder / name for name in PICTURES]
    labels = y_test.argmax(axis=1)
    drawn = list(zip(paths, save_training_pictures(paths, history, x_test, labels, probabilities, kernel)))
    if rows:
        drawn.append((folder / RUNS_PICTURE, save_figure(runs_figure(rows), folder / RUNS_PICTURE)))
    return drawn
