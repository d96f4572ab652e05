"""Writing output files safely: check the folder first, write to a temporary name, then rename.

An interrupted or failed run therefore never leaves a half-written picture, table or model.
"""

import contextlib
import itertools
import os
import tempfile
from pathlib import Path

from .errors import UserError
from .lifecycle import ctrl_c_handler


def ensure_writable_folder(folder, what: str) -> Path:
    """Create ``folder`` if needed and prove it is writable, before any long work starts."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UserError(f"Cannot write {what} to {folder}/ ({error.strerror or error}); choose a writable folder.")
    return folder


def refuse_folder(path, flag: str) -> None:
    """An output file's name that is already taken by a folder is refused, before any work starts."""
    if Path(path).is_dir():
        raise UserError(f"{path} is a folder, so {flag} cannot write a file there; choose another name.")


_numbers = itertools.count()  # makes each temporary name of this process unique


def _interrupt(signum, frame, previous):
    raise KeyboardInterrupt  # Python's own Ctrl-C, whatever handler was set: the block's clean-up runs


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path beside ``path`` for the caller to write; on success it is renamed to
    ``path``, on any failure or Ctrl-C it is removed.

    The caller creates the file itself (so it gets the usual permissions); the name is fixed before
    anything exists on disk, so an interruption at any moment leaves nothing behind.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.stem}-{os.getpid()}-{next(_numbers)}.tmp{path.suffix}")
    with ctrl_c_handler(_interrupt):
        try:
            yield temporary
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise
