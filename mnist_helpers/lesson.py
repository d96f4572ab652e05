"""mnist_learn.py's five script-only calls, top to bottom in the order the lesson makes them:

1. ``begin(__name__)``: before Keras loads, Ctrl-C and errors as one sentence, the backend, a quiet start-up.
2. ``outputs = override(globals())``: each flag replaces the constant of its name (nanoGPT's configurator),
   every constant is checked, the outputs too; the flags that are not constants come back (where the data is, what to do after).
3. ``mnist = Loader(outputs.data)``: the post's load line reads --data, $MNIST_DATA or Keras' cache (data.py).
4. ``started = show_plan(globals())``: the arrays checked against the model, then what fit is about to do.
5. ``save_outputs_and_exit(outputs, started, globals())``: the figures explained, the model, the pictures, the
   run's row in runs.csv; then the process ends. Below them, ``run_lesson`` runs the file in this process.
"""

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

from . import data, post, runs
from .data import given as data_given
from .errors import UserError
from .flags import VALIDATIONS, add_quiet_flag, add_training_flags, batch_size_int, hidden_units_int, keras_file
from .flags import path_arg, positive_int, seed_int, validation_choice
from .model import check_fit_inputs, plan, updates
from .plumbing import process
from .plumbing.files import Plan, ensure_writable_folder, said

LESSON = Path(__file__).resolve().parent.parent / "mnist_learn.py"
PLOTS = "plots"  # where the pictures of a run go
PICTURES = ("learning_curves.png", "confusion_matrix.png", "mistakes.png", "hidden_units.png")  # a run's pictures
RUNS_PICTURE = "runs.png"  # your runs side by side, drawn with the others when the run adds its row


# 1. begin


def begin(name: str) -> None:
    """Before ``import keras``: Ctrl-C and one sentence for every error a user can cause (when ``name`` is
    "__main__"), then Keras on the chosen backend, quietly (backend.py)."""
    process.start(name, explain)
    from .backend import import_keras_quietly

    import_keras_quietly()


def explain(error: BaseException, lesson: dict):
    """The UserError that says what went wrong in the lesson, or None for a bug: Keras reports a wrong shape
    deep inside fit, and the lesson's arrays say which line is missing (the post's two errors)."""
    if isinstance(error, UserError):
        return error
    if not isinstance(error, (ValueError, TypeError)) or "model" not in lesson:
        return None
    try:
        check_arrays(lesson)
    except UserError as explained:
        return explained
    return None


def check_arrays(lesson: dict) -> None:
    """The lesson's arrays against its model, as fit takes them: a missing line in one sentence (model.py)."""
    for x, y in (("x_train", "y_train"), ("x_test", "y_test")):
        if x in lesson and y in lesson:
            check_fit_inputs(lesson["model"], lesson[x], lesson[y], x, y)


# 2. override

CONSTANTS = {  # the lesson's constant: (its flag's destination, the flag's type, which checks a value)
    "EPOCHS": ("epochs", positive_int),
    "BATCH_SIZE": ("batch_size", batch_size_int),
    "HIDDEN_UNITS": ("hidden_units", hidden_units_int),
    "VALIDATION": ("validation", validation_choice),
    "SEED": ("seed", seed_int),
}


class Outputs(argparse.Namespace):
    """The flags that are not lesson constants: where the data is and what to do after the lesson."""

    def pixels(self, x_train, x_test):
        """The arrays after step 4; with --raw-pixels, the 0-255 uint8 pixels it scaled, exactly as loaded
        (k / 255 * 255 rounds back to k in float32), as if its two lines had been deleted."""
        if not self.raw_pixels or x_train.dtype == np.uint8:
            return x_train, x_test
        return tuple(np.rint(x * 255).astype(np.uint8) for x in (x_train, x_test))


_given = []  # settings handed to run_lesson, newest last: override takes them instead of reading sys.argv


def override(lesson: dict, argv=None) -> Outputs:
    """Replace the lesson's constants with the flags given (``sys.argv``, or run_lesson's settings), each
    checked; check the outputs; say the backend. The other flags are returned."""
    parser = parser_for(lesson)  # checks the constants as the file sets them
    if _given and argv is None:
        flags = Outputs(**vars(_given[-1]))
    else:
        flags = parser.parse_args(sys.argv[1:] if argv is None else argv, namespace=Outputs())
    where = Path(lesson.get("__file__", "mnist_learn.py")).name
    for constant, (flag, _) in CONSTANTS.items():
        lesson[constant] = check_constant(constant, getattr(flags, flag), where)
        delattr(flags, flag)
    check_outputs(flags)
    if flags.quiet:
        process.go_quiet()  # only the results from here on
    else:
        process.plain_lines()  # in a file or a pipe, each line as it ended up: no progress-bar redraws
    from .backend import describe

    print(describe())  # "Keras 3.15.1 on TensorFlow 2.21.0."
    return flags


def check_constant(name: str, value, where: str = "mnist_learn.py", line: int | None = None):
    """``value`` if the constant ``name`` may hold it (its flag's check), else a UserError naming the line to
    edit. A whole number must be an int (not 5.0, not True, not "5"), a word a str."""
    kind = str if name == "VALIDATION" else int
    try:
        if type(value) is not kind and not (kind is int and isinstance(value, np.integer)):
            raise argparse.ArgumentTypeError(f"must be {'a word' if kind is str else 'a whole number'}")
        return CONSTANTS[name][1](str(value))
    except argparse.ArgumentTypeError as error:
        at = f"Line {line}: " if line else ""
        raise UserError(f"{at}{name} = {value!r} in {where}: {name} {str(error).split(', got ')[0]}; edit that line.")


def line_of(text: str, name: str) -> int | None:
    """The number of the line of ``text`` (the lesson) that sets the constant ``name``."""
    found = re.search(rf"^{name}\s*=", text, re.M)
    return text.count("\n", 0, found.start()) + 1 if found else None


def parser_for(lesson: dict) -> argparse.ArgumentParser:
    """The flags, their defaults the lesson's constants, each checked first (argparse would check a default
    with the flag's type and blame the flag the reader never gave): --help follows an edited constant."""
    path = Path(lesson.get("__file__") or "mnist_learn.py")
    try:
        text = path.read_text(encoding="utf-8") if lesson.get("__file__") else ""
    except OSError:
        text = ""
    for name in CONSTANTS:
        check_constant(name, lesson[name], path.name, line_of(text, name))
    title, _, rest = (lesson.get("__doc__") or "").partition("\n")
    network = f"784 pixels → Dense({lesson['HIDDEN_UNITS']}, relu) → Dense(10, softmax) by default."
    parser = argparse.ArgumentParser(
        description=f"{title}\n{network}\n{rest}", formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = {flag: lesson[name] for name, (flag, _) in CONSTANTS.items() if name != "VALIDATION"}
    add_training_flags(parser, **defaults)
    validation = lesson["VALIDATION"]
    parser.add_argument(
        "--validation", choices=VALIDATIONS, default=validation, help=f"validation data (default {validation})"
    )
    raw = "train on raw 0-255 pixels, as deleting the two normalize lines does, to see what scaling buys"
    parser.add_argument("--raw-pixels", action="store_true", help=raw)
    parser.add_argument("--save-model", type=keras_file, metavar="PATH", help="save the trained model (a .keras file)")
    parser.add_argument(
        "--plots", type=path_arg, default=Path(PLOTS), metavar="DIR", help=f"folder for the pictures (default {PLOTS}/)"
    )
    parser.add_argument("--no-plots", action="store_true", help="draw no pictures (Matplotlib is then never loaded)")
    table = Path(runs.RUNS) if lesson.get("__name__") == "__main__" else None  # a run inside a program adds none
    where = table or "none: a run inside another program"
    help_runs = f"the table of your runs this run's row is added to (default {where})"
    parser.add_argument("--runs", type=path_arg, default=table, metavar="FILE", help=help_runs)
    parser.add_argument("--no-runs", action="store_const", const=None, dest="runs", help="add no row for this run")
    add_quiet_flag(parser)
    return parser


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


# 3. Loader


class Loader:
    """What the lesson calls ``mnist`` on the command line, in place of ``keras.datasets.mnist``: its
    ``load_data()`` is data.py's, reading ``path`` (--data), $MNIST_DATA, Keras' cache or download."""

    def __init__(self, path=None):
        self.path = path

    def load_data(self):
        return data.load_data(self.path)


# 4. show_plan


def show_plan(lesson: dict) -> float:
    """Before the lesson's fit: every array it hands Keras checked against its model (a missing line said in
    one sentence, not a traceback an epoch later), then what fit is about to do; the moment the fit starts."""
    train_count, validation_count = len(lesson["x_train"]), len(lesson["x_val"])
    if validation_count == 0:
        raise UserError(
            f'VALIDATION = "split" holds out a tenth of the training images, and {train_count} leave none to '
            'validate on; use VALIDATION = "test" (--validation test), or data with at least 10 training images.'
        )
    check_arrays(lesson)
    plan(lesson["EPOCHS"], lesson["BATCH_SIZE"], lesson["x_train"], validation_count, lesson["VALIDATION"])
    return time.perf_counter()


# 5. save_outputs_and_exit


def save_outputs_and_exit(outputs: Outputs, started: float, lesson: dict) -> None:
    """After the lesson: what its figures mean, then what the flags ask for: the model (--save-model), the
    pictures (unless --no-plots), the run's row (the last write: a run stopped before it adds none). Then,
    as the program (not a run inside another), the process ends at once, TensorFlow's teardown left out."""
    model, history = lesson["model"], lesson["history"].history
    seconds = time.perf_counter() - started  # fit and evaluate
    show_results(lesson["test_loss"], lesson["test_acc"], history, len(lesson["x_test"]))
    if outputs.save_model:
        from .model import save_model

        replaced = save_model(model, outputs.save_model)
        process.tell(f"Saved the trained model to {said(outputs.save_model, replaced)}.")
    row = rows = None
    if outputs.runs:
        import keras

        from .backend import describe_backend

        count = updates(lesson["EPOCHS"], lesson["BATCH_SIZE"], len(lesson["x_train"]))
        row = runs.row_of(lesson, describe_backend(), keras.version(), count, seconds)
        rows = runs_with(outputs.runs, row)
    if not outputs.no_plots:
        from .plotting import save_run_pictures  # Matplotlib loads only here

        process.tell("Drawing the pictures...", flush=True)
        paths = [outputs.plots / name for name in (*PICTURES, RUNS_PICTURE)]
        drawn = save_run_pictures(paths, model, history, lesson["x_test"], lesson["y_test"], rows)
        process.tell(f"Pictures in {outputs.plots}/: {', '.join(said(path.name, new) for path, new in drawn)}")
    if rows:
        rows = runs_with(outputs.runs, row, runs.append_run)
    if rows:  # the runs compared, then the next of the post's experiments your runs have not done (check.py)
        print("\n".join([*runs.comparison(rows, outputs.runs), post.next_line(rows)]))
    if lesson["__name__"] == "__main__":  # python mnist_learn.py
        process.finish()


def show_results(test_loss: float, test_accuracy: float, history: dict, count: int) -> None:
    """The test figures: under --quiet the two lines alone, else what they mean."""
    if process.is_quiet():
        process.tell(f"test loss: {test_loss:.4f}")
        process.tell(f"test accuracy: {test_accuracy:.4f}")
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


def runs_with(path, row: dict, add=lambda path, row: [*runs.read_runs(path), row]):
    """Every row of ``path`` with ``row`` last: as the picture of your runs draws them, before the row is added,
    or as ``add`` (runs.append_run) leaves them. None when the file is not a table of runs, which is then left
    as it is and said in one sentence."""
    try:
        return add(path, row)
    except runs.Unreadable as why:
        process.tell(
            f"Your runs: {path} is left as it is and this run's row kept out of it: {why}; move it away to start a new one."
        )
        return None


# The lesson run in this process, as `python mnist_learn.py FLAGS` runs it (the tests, record.py, experiments.py)


def settings(*flags, lesson_file=LESSON) -> Outputs:
    """The settings of ``python mnist_learn.py FLAGS``, parsed once against the file's constants."""
    lesson = {"__name__": "mnist_learn", "__file__": str(lesson_file), **constants(lesson_file)}
    return parser_for(lesson).parse_args([str(flag) for flag in flags], namespace=Outputs())


def run_lesson(given: Outputs | None = None, data=None, lesson_file=LESSON) -> dict:
    """Run mnist_learn.py in this process with ``given`` settings (``settings(...)``; the file's own without)
    and return what it leaves (its globals). ``data`` (as load_data returns it) replaces reading MNIST's
    files; ``lesson_file`` is another copy of the lesson (a reader's edit). An error the user could cause
    is raised as the UserError that ``python mnist_learn.py`` would print."""
    from .backend import import_keras_quietly

    import_keras_quietly()  # the backend chosen as the script chooses it, before Keras loads
    import keras

    # The previous run's model and graphs go, and layer names start again at "dense"; without Python's full
    # collection (free_memory): 0.3 s a run in a process that ran many (bench/README.md, "The suite").
    keras.backend.clear_session(free_memory=False)
    lesson = {"__name__": "mnist_learn", "__file__": str(lesson_file)}  # not "__main__": begin installs nothing
    _given.append(given or settings(lesson_file=lesson_file))
    stdout = sys.stdout  # --quiet replaces it for the run
    try:
        with data_given(data):
            exec(compile(Path(lesson_file).read_text(encoding="utf-8"), str(lesson_file), "exec"), lesson)
    except Exception as error:
        explained = explain(error, lesson)
        if explained is None or explained is error:
            raise
        raise explained from error
    finally:
        _given.pop()
        sys.stdout = stdout
    return lesson


CONSTANTS_CELL = '# %% tags=["constants"]'


def constants(lesson_file=LESSON) -> dict:
    """The lesson's constants as the file sets them, read as Python reads them (its constants cell run
    alone, so ``EPOCHS = 2 * 1`` is 2) and checked as the flags are."""
    lesson_file = Path(lesson_file)
    text = lesson_file.read_text(encoding="utf-8")
    if CONSTANTS_CELL not in text:
        raise UserError(f"{lesson_file.name} has no cell {CONSTANTS_CELL!r} above its constants; put that line back.")
    found = {}
    try:
        exec(compile(text.split(CONSTANTS_CELL, 1)[1].split("\n# %%", 1)[0], str(lesson_file), "exec"), {}, found)
    except Exception as error:
        raise UserError(
            f"The constants of {lesson_file.name} do not run ({type(error).__name__}: {error}); fix that cell."
        )
    if missing := [name for name in CONSTANTS if name not in found]:
        raise UserError(f"{lesson_file.name} sets no {', '.join(missing)} in its constants cell; put the line back.")
    return {name: check_constant(name, found[name], lesson_file.name, line_of(text, name)) for name in CONSTANTS}
