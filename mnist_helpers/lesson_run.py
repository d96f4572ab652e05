"""The flat lesson's start, its errors explained, and the lesson run in this process.

mnist_learn.py is a script read top to bottom, with no function around the lesson, so its errors
reach the interpreter's top level. ``begin(__name__)`` (its first call) starts it as every script
starts (``lifecycle.start``: Ctrl-C, errors as one sentence) and imports Keras on the chosen
backend, quietly (``keras_setup``). The post's two shape errors, raised by Keras inside ``fit``,
are explained from the lesson's own arrays (``explain``).

``run_lesson`` runs the file itself in this process, as ``python mnist_learn.py ARGS`` would, with
data handed in at the loader (``mnist_data.given``): the tests and experiments.py use it, and read
what the lesson leaves (its model, history, test figures).
"""

import sys
from pathlib import Path

from . import lifecycle, mnist_data
from .errors import UserError
from .lesson_output import Result, updates
from .shapes import check_fit_inputs

LESSON = Path(__file__).resolve().parent.parent / "mnist_learn.py"


def begin(name: str) -> None:
    """Before ``import keras``: Ctrl-C and one sentence for every error a user can cause (when ``name``
    is "__main__"), the backend, a quiet start-up."""
    lifecycle.start(name, explain)
    from . import keras_setup

    keras_setup.import_keras_quietly()


def explain(error: BaseException, lesson: dict):
    """The UserError that says what went wrong in the lesson, or None for a bug.

    Keras reports a wrong shape deep inside fit; the lesson's arrays say which line is missing."""
    if isinstance(error, UserError):
        return error
    if not isinstance(error, (ValueError, TypeError)) or "model" not in lesson:
        return None
    try:
        for x, y in (("x_train", "y_train"), ("x_test", "y_test")):
            if x in lesson and y in lesson:
                check_fit_inputs(lesson["model"], lesson[x], lesson[y], x, y)
    except UserError as explained:
        return explained
    return None


def run_lesson(*args, data=None, lesson_file=LESSON) -> dict:
    """Run mnist_learn.py in this process with these flags and return what it leaves (its globals).

    ``data`` (as load_data returns it) replaces reading MNIST's files; ``lesson_file`` is another copy
    of the lesson (a reader's edit of it). An error the user could cause is raised as the UserError
    that ``python mnist_learn.py`` would print."""
    from . import keras_setup

    keras_setup.import_keras_quietly()  # the backend chosen as the script chooses it, before Keras loads
    import keras

    # The previous run's model and graphs go, and layer names start again at "dense". Without Python's full
    # garbage collection (free_memory): in a process that has run many lessons it took 0.3 s a run, and
    # Python collects the same cycles on its own (bench/README.md, "The suite").
    keras.backend.clear_session(free_memory=False)
    lesson = {"__name__": "mnist_learn", "__file__": str(lesson_file)}  # not "__main__": begin installs nothing
    argv, sys.argv = sys.argv, [str(lesson_file), *map(str, args)]
    stdout = sys.stdout  # --quiet replaces it for the run
    try:
        with mnist_data.given(data):
            exec(compile(Path(lesson_file).read_text(encoding="utf-8"), str(lesson_file), "exec"), lesson)
    except Exception as error:
        explained = explain(error, lesson)
        if explained is None or explained is error:
            raise
        raise explained from error
    finally:
        sys.argv, sys.stdout = argv, stdout
    return lesson


CONSTANTS_CELL = '# %% tags=["constants"]'


def constants(lesson_file=LESSON) -> dict:
    """The lesson's constants as the file sets them (EPOCHS = 5 ...), read as Python reads them (its
    constants cell run alone, so ``EPOCHS = 2 * 1`` is 2) and checked as the flags are."""
    from .lesson_flags import CONSTANTS, check_constant, line_of

    lesson_file = Path(lesson_file)
    text = lesson_file.read_text(encoding="utf-8")
    if CONSTANTS_CELL not in text:
        raise UserError(f"{lesson_file.name} has no cell {CONSTANTS_CELL!r} above its constants; put that line back.")
    cell = text.split(CONSTANTS_CELL, 1)[1].split("\n# %%", 1)[0]
    found = {}
    try:
        exec(compile(cell, str(lesson_file), "exec"), {}, found)
    except Exception as error:
        raise UserError(
            f"The constants of {lesson_file.name} do not run ({type(error).__name__}: {error}); fix that cell."
        )
    missing = [name for name in CONSTANTS if name not in found]
    if missing:
        raise UserError(f"{lesson_file.name} sets no {', '.join(missing)} in its constants cell; put the line back.")
    return {name: check_constant(name, found[name], lesson_file.name, line_of(text, name)) for name in CONSTANTS}


def result(lesson: dict) -> Result:
    """The figures a run of the lesson left, as its caller wants them."""
    return Result(
        lesson["model"],
        lesson["history"].history,
        lesson["test_loss"],
        lesson["test_acc"],
        updates(lesson["EPOCHS"], lesson["BATCH_SIZE"], len(lesson["x_train"])),
    )
