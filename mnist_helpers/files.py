"""Writing output files safely: check the folder first, write to a temporary name, then rename.

An interrupted or failed run therefore never leaves a half-written picture, table or model.
"""

import contextlib
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


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path beside ``path``; on success it is renamed to ``path``, on failure removed."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes the file private; give it the usual permissions
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
