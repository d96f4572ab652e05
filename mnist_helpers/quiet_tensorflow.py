"""Import TensorFlow without burying the lesson's output under its start-up log lines.

Import this module before ``import keras``.

``TF_CPP_MIN_LOG_LEVEL`` alone no longer hides everything: TensorFlow 2.19+ logs a few lines
(oneDNN, CUDA not found, CPU features) through absl before that setting is read. So the import
runs with the process's stderr captured, and only lines in TensorFlow's native log format are
dropped; anything else is passed through.
Set ``TF_CPP_MIN_LOG_LEVEL`` yourself (e.g. to 0) to see everything, unfiltered.

It also keeps Keras from importing Matplotlib, which Keras does at start-up only for its
image-gallery helpers (unused here): that saves about 0.4 s on every run, and a run that draws
nothing never loads Matplotlib. Importing Matplotlib afterwards works as usual.
"""

import contextlib
import os
import re
import sys
import tempfile

# "I0000 00:00:1795869027.914630    1761 port.cc:153] ..." (absl) or
# "2025-09-17 14:44:05.157831: I external/.../cudart_stub.cc:32] ..." (older TensorFlow logging).
_NATIVE_LOG_LINE = re.compile(r"^([IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ |\d{4}-\d\d-\d\d [\d:.]+: [IWE] )\S+:\d+\]")
_NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    # second line of the cpu_feature_guard message
    "To enable the following instructions:",
)


def is_startup_noise(line: str) -> bool:
    return bool(_NATIVE_LOG_LINE.match(line)) or line.startswith(_NOISE)


@contextlib.contextmanager
def _native_stderr_filtered():
    """Capture file descriptor 2 (C++ code writes there directly), then replay what is not noise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not is_startup_noise(line)))
            sys.stderr.flush()


def _import_tensorflow_quietly() -> None:
    if "tensorflow" in sys.modules:
        return
    user_chose_level = "TF_CPP_MIN_LOG_LEVEL" in os.environ
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's info and warning lines
    with contextlib.nullcontext() if user_chose_level else _native_stderr_filtered(), _without_matplotlib():
        import keras  # noqa: F401  (imports TensorFlow)
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery logs too ("failed call to cuInit")


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


_import_tensorflow_quietly()
