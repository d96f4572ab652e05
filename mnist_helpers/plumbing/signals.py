"""Ctrl-C, SIGTERM and SIGHUP inside a block that must clean up after itself, or must not be cut in two."""

import signal

STOPS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stopped(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP, raised inside ``stops_raise()``."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = signum


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
