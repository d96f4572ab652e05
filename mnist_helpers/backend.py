"""Which Keras backend runs the scripts, Keras imported on it quietly, and its name as a run prints it.

Keras 3 computes on TensorFlow, JAX or PyTorch and reads its choice from ``KERAS_BACKEND`` when it is
imported. The scripts use the one that variable names; with it unset, TensorFlow where it is installed and
JAX where it is not (requirements.txt installs JAX on Python 3.14 and Intel Macs, which TensorFlow has no
wheels for). The lesson's lines are the same on every backend; the last digits of its figures are not, so
a run off the README's backend says so. TensorFlow's start-up log lines are dropped (docs/install.md says
why and how to see them: ``TF_CPP_MIN_LOG_LEVEL=0``).
"""

import contextlib
import importlib
import importlib.util
import os
import re
import sys
import tempfile

from .errors import UserError
from .plumbing.signals import Stopped, on_stop

README_BACKEND = "tensorflow"  # the backend the README's figures were measured on
NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}  # backends that can train, by package
BAD_BACKEND_EXIT_CODE = 2  # as for a bad flag: nothing ran


def installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def choose(environ=os.environ) -> str:
    """Set ``KERAS_BACKEND`` for Keras to read and return it; a backend that cannot run is one sentence."""
    named = environ.get("KERAS_BACKEND", "").strip()
    if not named:
        found = [package for package in ("tensorflow", "jax") if installed(package)]
        if not found:
            raise UserError(
                "Keras needs TensorFlow or JAX, and neither is installed; install what the scripts need with "
                "`pip install -r requirements.txt`.",
                BAD_BACKEND_EXIT_CODE,
            )
        environ["KERAS_BACKEND"] = found[0]
        return found[0]
    backend = named.lower()
    if backend not in NAMES:
        raise UserError(
            f"KERAS_BACKEND={named} is not a backend these scripts can train on; "
            "set it to tensorflow, jax or torch, or unset it.",
            BAD_BACKEND_EXIT_CODE,
        )
    if not installed(backend):
        raise UserError(
            f"KERAS_BACKEND={named} names {NAMES[backend]}, which is not installed; "
            f"install it with `pip install {backend}`, or unset KERAS_BACKEND.",
            BAD_BACKEND_EXIT_CODE,
        )
    environ["KERAS_BACKEND"] = backend
    return backend


def running() -> tuple[str, str]:
    """("tensorflow", "2.21.0"): the backend that runs and its version (Keras has imported it already)."""
    import keras

    backend = keras.backend.backend()
    return backend, importlib.import_module(backend).__version__


def describe_backend() -> str:
    """'tensorflow 2.21.0', as a run's row in runs.csv keeps it."""
    return " ".join(running())


def describe() -> str:
    """'Keras 3.15.1 on TensorFlow 2.21.0.', with a word on the figures off the README's backend."""
    import keras

    backend, version = running()
    line = f"Keras {keras.version()} on {NAMES.get(backend, backend)} {version}."
    if backend != README_BACKEND:
        line += f" (The README's figures come from {NAMES[README_BACKEND]}: expect other last digits here.)"
    return line


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


def shows_everything(environ=os.environ) -> bool:
    """True when the user asked to see TensorFlow's own log (TF_CPP_MIN_LOG_LEVEL 0 or 1): then nothing is filtered."""
    return environ.get("TF_CPP_MIN_LOG_LEVEL") in SHOW_EVERYTHING


def import_keras_quietly() -> None:
    """``import keras`` on the backend ``choose`` names (a UserError if none can run), without TensorFlow's
    start-up log and without loading Matplotlib, which Keras imports only for helpers the scripts never use."""
    if "keras" in sys.modules:
        return
    if choose() != "tensorflow":
        with _without_matplotlib():
            import keras  # noqa: F401
        return
    show_everything = shows_everything()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's info and warning lines
    with contextlib.nullcontext() if show_everything else _stderr_without(is_startup_noise), _without_matplotlib():
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
        raise Stopped(signum)

    return on_stop(restore_then_interrupt)


@contextlib.contextmanager
def _stderr_without(is_noise):
    """Capture file descriptor 2 in the block, then replay the lines that are not ``is_noise``."""
    captured = []
    try:
        with native_stderr(captured):
            yield
    finally:
        lines = "".join(captured).splitlines(keepends=True)
        sys.stderr.write("".join(line for line in lines if not is_noise(line)))
        sys.stderr.flush()
