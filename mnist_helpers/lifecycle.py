"""How every script starts and ends: stops, errors as one sentence, and every exit code, in one place.

Each script calls ``start(__name__)`` before its other imports and, if it has a ``main``, ends with
``run(main)``. ``start`` does nothing unless the script is the program being run (``__main__``,
outside a notebook's kernel), so importing a script in a test installs nothing. From then on:

- Ctrl-C, SIGTERM and SIGHUP end the run at once ("Interrupted.", exit code 128 + the signal's
  number: 130, 143, 129), never a traceback. Unwinding the stack mid-training can crash TensorFlow
  (its threads still use what the unwinding frees: ``free(): invalid next size`` about 1 run in 5,
  found by CI), so the process ends without it. Inside ``stops_raise()`` (while an output file is
  written, or a model loaded) a stop raises ``Stopped`` instead, so the block removes what it made.
- A reader that goes away (``| head``) ends the run quietly, as Unix tools end: by SIGPIPE.
- A closed stdin, stdout or stderr (``2>&-``) becomes /dev/null, so a good run never dies of it and
  no file opened later takes its number; a name that is not UTF-8 is printed escaped.
- A ``UserError`` prints ``error: <sentence>`` and exits with its code; so does an error that
  ``explain`` (the lesson's) turns into one, an ``OSError`` (no space, no permission, a name too
  long: named with its path and the fix) and a ``MemoryError``. Anything else is a bug and keeps
  its traceback.
- Windows delivers Ctrl-C to Python as SIGINT too; it has no SIGHUP or SIGPIPE.
"""

import errno
import os
import signal
import sys

from .errors import UserError

STOPS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
INTERRUPTED_EXIT_CODE = 128 + signal.SIGINT  # the shell's code for "ended by Ctrl-C": 130


class Stopped(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP, raised inside ``stops_raise()``."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = signum


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


class on_stop:  # noqa: N801  (used as a function: ``with on_stop(handler):``)
    """Inside the block Ctrl-C, SIGTERM and SIGHUP call ``handler(signum, frame, previous)``; the handlers
    before it are back afterwards. Only the main thread can set one; elsewhere the block runs as it is."""

    def __init__(self, handler):
        self.handler, self.previous = handler, {}

    def __enter__(self):
        for signum in STOPS:
            self.previous[signum] = signal.getsignal(signum)  # first: the signal may come at once
            try:
                signal.signal(signum, self._call)
            except ValueError:  # not the main thread: signal handlers cannot be set here
                del self.previous[signum]
                break
        return self

    def _call(self, signum, frame):
        self.handler(signum, frame, self.previous[signum])

    def __exit__(self, *exception):
        for signum, handler_before in self.previous.items():
            signal.signal(signum, handler_before)


def _raise_stopped(signum, frame, previous):
    raise Stopped(signum)  # whatever handler was set: the block's clean-up runs


def stops_raise():
    """Inside the block a stop raises ``Stopped``, so that the block's clean-up runs (see the module's note)."""
    return on_stop(_raise_stopped)


class stops_held:  # noqa: N801  (used as a function: ``with stops_held():``)
    """Inside the block a stop waits: it is raised as ``Stopped`` when the block ends, so work that must
    not be cut in two (renaming a set of files into place) is done whole."""

    def __enter__(self):
        self.signum, self.handlers = None, on_stop(self._hold)
        self.handlers.__enter__()
        return self

    def _hold(self, signum, frame, previous):
        self.signum = self.signum or signum

    def __exit__(self, kind, error, traceback):
        self.handlers.__exit__(kind, error, traceback)
        if self.signum is not None and kind is None:
            raise Stopped(self.signum)


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
