"""Import Keras for the scripts: on the backend chosen, and quietly.

Call ``import_keras_quietly()`` before ``import keras``. It chooses the backend (``backend.choose``: a
``KERAS_BACKEND`` that cannot run ends the script with one sentence and exit code 2), then does
two things, each invisible in the lesson:

- **A quiet start-up.** ``TF_CPP_MIN_LOG_LEVEL`` alone no longer hides everything: TensorFlow
  2.19+ logs a few lines (oneDNN, CUDA not found, CPU features) through absl before that setting is
  read, and with it set to 2 or 3 those lines even come back. So the import runs with the process's
  stderr captured, and only lines in TensorFlow's native log format are dropped; anything else is
  passed through. Set ``TF_CPP_MIN_LOG_LEVEL`` to 0 or 1 yourself to see everything, unfiltered.
  JAX and PyTorch print nothing at start-up on a CPU; only TensorFlow needs this.
- **No Matplotlib inside Keras.** Keras imports Matplotlib at start-up only for its image-gallery
  helpers (unused here): keeping it out saves about 0.4 s, and a run that draws nothing never loads
  Matplotlib. Importing Matplotlib afterwards works as usual.
"""

import contextlib
import os
import re
import sys
import tempfile

from . import backend, lifecycle
from .errors import UserError

# "I0000 00:00:1795869027.914630    1761 port.cc:153] ..." (absl) or
# "2025-09-17 14:44:05.157831: I external/.../cudart_stub.cc:32] ..." (older TensorFlow logging).
_NATIVE_LOG_LINE = re.compile(r"^([IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ |\d{4}-\d\d-\d\d [\d:.]+: [IWE] )\S+:\d+\]")
_NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    # second line of the cpu_feature_guard message
    "To enable the following instructions:",
)
SHOW_EVERYTHING = ("0", "1")  # TF_CPP_MIN_LOG_LEVEL values that mean "show me TensorFlow's log"


def is_startup_noise(line: str) -> bool:
    return bool(_NATIVE_LOG_LINE.match(line)) or line.startswith(_NOISE)


@contextlib.contextmanager
def native_stderr(into: list):
    """Collect what is written to file descriptor 2 in the block (Python's logging and C++ code alike,
    which writes there directly) and append it to ``into``. Ctrl-C meanwhile still reaches the terminal.
    On Windows too: ``os.dup``/``os.dup2`` act on the C runtime's descriptors, where TensorFlow logs."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture, _terminal_back_on_ctrl_c(saved):
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            into.append(capture.read().decode(errors="replace"))


def _terminal_back_on_ctrl_c(terminal: int):
    """Inside the block, a stop (Ctrl-C, SIGTERM, SIGHUP) first points file descriptor 2 back at ``terminal``, then does what it
    did before: so "Interrupted." reaches the terminal, not the capture."""

    def restore_then_interrupt(signum, frame, previous):
        os.dup2(terminal, 2)
        if callable(previous):
            previous(signum, frame)
        raise lifecycle.Stopped(signum)

    return lifecycle.on_stop(restore_then_interrupt)


@contextlib.contextmanager
def _native_stderr_filtered():
    """Capture file descriptor 2, then replay what is not noise."""
    captured = []
    try:
        with native_stderr(captured):
            yield
    finally:
        lines = "".join(captured).splitlines(keepends=True)
        sys.stderr.write("".join(line for line in lines if not is_startup_noise(line)))
        sys.stderr.flush()


def shows_everything(environ=os.environ) -> bool:
    """True when the user asked to see TensorFlow's own log (TF_CPP_MIN_LOG_LEVEL 0 or 1): then nothing is filtered."""
    return environ.get("TF_CPP_MIN_LOG_LEVEL") in SHOW_EVERYTHING


def import_keras_quietly() -> None:
    if "keras" in sys.modules:
        return
    try:
        chosen = backend.choose()
    except UserError as error:  # before Keras is imported, which would fail with a traceback
        lifecycle.report(error)
        raise SystemExit(error.exit_code)
    if chosen != "tensorflow":
        with _without_matplotlib():
            import keras  # noqa: F401
        return
    show_everything = shows_everything()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's info and warning lines
    with contextlib.nullcontext() if show_everything else _native_stderr_filtered(), _without_matplotlib():
        import keras  # noqa: F401  (imports TensorFlow)
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery logs too ("failed call to cuInit")
        tf.get_logger().setLevel("ERROR")  # "WARNING:tensorflow:... triggered tf.function retracing"


@contextlib.contextmanager
def _without_matplotlib():
    """Make ``import matplotlib`` fail inside the block (Keras then skips it), unless it is already loaded."""
    blocked = [name for name in ("matplotlib", "matplotlib.pyplot") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in blocked:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
