"""Writing output files safely: check the folder first, write to a temporary name, then rename.

An interrupted or failed run therefore never leaves a half-written picture, table or model.
"""

import contextlib
import itertools
import os
import tempfile
from pathlib import Path

from .errors import UserError


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
_writing = 0  # how many atomic_output blocks are open now (cli.run's Ctrl-C handling asks)


def writing() -> bool:
    """True while an output file is being written."""
    return _writing > 0


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path beside ``path`` for the caller to write; on success it is renamed to
    ``path``, on any failure or Ctrl-C it is removed.

    The caller creates the file itself (so it gets the usual permissions); the name is fixed before
    anything exists on disk, so an interruption at any moment leaves nothing behind.
    """
    global _writing
    path = Path(path)
    temporary = path.with_name(f".{path.stem}-{os.getpid()}-{next(_numbers)}.tmp{path.suffix}")
    _writing += 1
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    finally:
        _writing -= 1
