"""How every script starts and ends: Ctrl-C, errors as one sentence, and every exit code, in one place.

Each script calls ``start(__name__)`` before its other imports and, if it has a ``main``, ends with
``run(main)``. ``start`` does nothing unless the script is the program being run (``__main__``,
outside a notebook's kernel), so importing a script in a test installs nothing. From then on:

- Ctrl-C ends the run at once with "Interrupted." and exit code 130, never a traceback. Unwinding
  the stack mid-training can crash TensorFlow (its threads still use what the unwinding frees:
  ``free(): invalid next size`` about 1 run in 5, found by CI), so the process ends without it;
  while an output file is written, ``files.atomic_output`` lets Ctrl-C raise instead, to remove
  the half-written file.
- A ``UserError`` prints ``error: <sentence>`` and exits with its code; so does an error that
  ``explain`` (the lesson's) turns into one. Anything else is a bug and keeps its traceback.
- Windows delivers Ctrl-C to Python as SIGINT too, the one signal handled here.
"""

import contextlib
import os
import signal
import sys
import threading

from .errors import UserError

INTERRUPTED_EXIT_CODE = 130  # the shell's code for "ended by Ctrl-C"


def start(name: str, explain=None) -> None:
    """Install the Ctrl-C handler, and for a flat script (no ``main``) the error boundary, when ``name``
    is "__main__". ``explain(error, namespace)`` may turn an error of the script into a UserError."""
    if name != "__main__" or "ipykernel" in sys.modules:
        return
    signal.signal(signal.SIGINT, _on_ctrl_c)
    sys.excepthook = lambda kind, error, traceback: _top_level(error, traceback, explain)


def run(main, argv=None) -> None:
    """Call ``main(argv)`` and exit with its code; a UserError or Ctrl-C ends with one line."""
    try:
        code = main(argv)
    except UserError as error:
        report(error)
        code = error.exit_code
    except KeyboardInterrupt:  # raised while an output file was written, now removed
        code = interrupted()
    sys.exit(code or 0)


def report(error: UserError) -> None:
    """Print a user error as the one line every script uses: ``error: <what is wrong and the fix>``."""
    sys.stdout.flush()  # what was printed before the error stays above it
    print(f"error: {error}", file=sys.stderr, flush=True)


def interrupted() -> int:
    sys.stdout.flush()
    print("\nInterrupted.", file=sys.stderr, flush=True)
    return INTERRUPTED_EXIT_CODE


@contextlib.contextmanager
def ctrl_c_handler(handler):
    """Inside the block Ctrl-C calls ``handler(signum, frame, previous)``; the handler before it is back
    afterwards. Only the main thread can set one; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda signum, frame: handler(signum, frame, previous))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _on_ctrl_c(signum, frame) -> None:
    _end_now(interrupted())


def _top_level(error, traceback, explain) -> None:
    """sys.excepthook of a flat script: its error as one sentence and its exit code."""
    if isinstance(error, KeyboardInterrupt):
        _end_now(interrupted())
    frame = traceback.tb_frame if traceback else None  # the script's own top level
    explained = error if isinstance(error, UserError) else explain and explain(error, frame.f_globals if frame else {})
    if not explained:
        sys.__excepthook__(type(error), error, traceback)
        _end_now(1)
    report(explained)
    _end_now(explained.exit_code)


def _end_now(code: int) -> None:
    """Exit with ``code`` from a signal handler or sys.excepthook, where sys.exit cannot set it."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
