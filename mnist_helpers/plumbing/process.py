"""Guards the process: stops, exit codes, the one error boundary, the standard streams (why: docs/scripts.md)."""

import errno
import io
import os
import re
import signal
import sys

from ..errors import UserError
from .signals import STOPS


INTERRUPTED_EXIT_CODE = 128 + signal.SIGINT  # the shell's code for "ended by Ctrl-C": 130


def start(name: str, explain=None) -> None:
    """Install the Ctrl-C handler, and for a flat script (no ``main``) the error boundary, when ``name``
    is "__main__". ``explain(error, namespace)`` may turn an error of the script into a UserError."""
    if name != "__main__" or "ipykernel" in sys.modules:
        return
    for signum in STOPS:
        signal.signal(signum, _on_stop)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # Python ignores it, and raises BrokenPipeError instead
    _standard_streams()
    sys.excepthook = lambda kind, error, traceback: _top_level(error, traceback, explain)
    import atexit  # here, not above: the handlers come first, and this module imports little before them

    atexit.register(_flush_at_exit)
    _started.append(True)


def finish(code: int = 0) -> None:
    """End a run that is done, with ``code``: the exit handlers run, then the process ends at once. The
    teardown Python would do after them (freeing every module one by one: 0.45 s once TensorFlow is
    loaded, on a run of 10 s) is left to the operating system, which frees it all at once. Only in a
    process that ``start`` set up; elsewhere (a test, a notebook) it does nothing."""
    if not _started:
        return
    import atexit

    atexit._run_exitfuncs()  # the handlers Python would run now (Keras', absl's, ours), in their order
    _end_now(code)


_started = []  # [True] once start() has installed the handlers in this process


def run(main, argv=None) -> None:
    """Call ``main(argv)`` and exit with its code; a UserError or Ctrl-C ends with one line."""
    try:
        code = main(argv)
        sys.stdout.flush()  # a full disk or device behind stdout is said here
    except KeyboardInterrupt as stop:  # raised inside stops_raise(), whose block cleaned up
        code = interrupted(getattr(stop, "signum", signal.SIGINT))
    except Exception as error:
        explained = as_user_error(error)
        if explained is None:
            raise
        report(explained)
        code = explained.exit_code
    finish(code or 0)
    sys.exit(code or 0)


FIXES = {  # errno: what to do
    errno.ENOSPC: "free some space on that disk or choose another folder",
    errno.EACCES: "you have no permission there: choose another path or change its permissions",
    errno.EPERM: "you have no permission there: choose another path or change its permissions",
    errno.EROFS: "that disk is read-only: choose another folder",
    errno.ENAMETOOLONG: "choose a shorter name",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "part of the path is a file, not a folder: check the path",
    errno.EISDIR: "it is a folder: give a file name",
    errno.ELOOP: "a link in the path leads back to itself: fix the link",
}
if hasattr(errno, "EDQUOT"):
    FIXES[errno.EDQUOT] = "your disk quota is used up: free some space or choose another folder"


def as_user_error(error: BaseException):
    """The one sentence for an error a user can cause that is not a UserError (an OSError, a MemoryError),
    or None for a bug."""
    if isinstance(error, UserError):
        return error
    if isinstance(error, MemoryError):
        return UserError(
            "Ran out of memory; use smaller settings (--hidden-units, --batch-size) or close other programs."
        )
    if isinstance(error, OSError) and error.errno is not None:
        where = error.filename if error.filename is not None else "standard output or a file"
        fix = FIXES.get(error.errno, "check the path and the disk")
        return UserError(f"{where}: {error.strerror or error}; {fix}.")
    return None


def report(error: UserError) -> None:
    """Print a user error as the one line every script uses: ``error: <what is wrong and the fix>``."""
    _flush(sys.stdout)  # what was printed before the error stays above it
    print(f"error: {error}", file=sys.stderr, flush=True)


def interrupted(signum: int = signal.SIGINT) -> int:
    """Say the run was stopped; the exit code for it (128 + the signal's number)."""
    _flush(sys.stdout)
    name = "" if signum == signal.SIGINT else f" ({signal.Signals(signum).name})"
    print(f"\nInterrupted{name}.", file=sys.stderr, flush=True)
    return 128 + signum


def _on_stop(signum, frame) -> None:
    _end_now(interrupted(signum))


def _standard_streams() -> None:
    """A closed stdin, stdout or stderr is opened on /dev/null; stdout escapes what it cannot encode."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # takes the lowest free number: this one
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stdout is None:
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115  (open for the whole run)
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")  # a file name that is not UTF-8, say


def _flush_at_exit() -> None:
    """What is left in stdout's buffer is written here, where a full device is still said in one sentence."""
    try:
        sys.stdout.flush()
    except OSError as error:
        report(as_user_error(error))
        _end_now(1)


def _top_level(error, traceback, explain) -> None:
    """sys.excepthook of a flat script: its error as one sentence and its exit code."""
    if isinstance(error, KeyboardInterrupt):
        _end_now(interrupted(getattr(error, "signum", signal.SIGINT)))
    frame = traceback.tb_frame if traceback else None  # the script's own top level
    explained = as_user_error(error) or (explain and explain(error, frame.f_globals if frame else {}))
    if not explained:
        sys.__excepthook__(type(error), error, traceback)
        _end_now(1)
    report(explained)
    _end_now(explained.exit_code)


def _end_now(code: int) -> None:
    """Exit with ``code`` from a signal handler or sys.excepthook, where sys.exit cannot set it."""
    for stream in (sys.stdout, sys.__stdout__, sys.stderr, sys.__stderr__):  # __stdout__: behind --quiet's
        _flush(stream)
    os._exit(code)


def _flush(stream) -> None:
    """Flush ``stream`` if it can be: a full or closed one has nothing more to say."""
    try:
        stream.flush()
    except (OSError, ValueError, AttributeError):  # not contextlib.suppress: this module imports little
        return


# Standard output under --quiet, and sent to a file or a pipe.


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


def is_quiet() -> bool:
    """True under --quiet (``go_quiet``)."""
    return isinstance(sys.stdout, _Quiet)


def go_quiet() -> None:
    """From now on print only what ``tell`` prints (the caller puts sys.stdout back when it needs to)."""
    sys.stdout = _Quiet(sys.stdout)


def tell(*lines, **options) -> None:
    """The results and what was saved: printed even under --quiet."""
    print(*lines, file=getattr(sys.stdout, "results", sys.stdout), **options)
