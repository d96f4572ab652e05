"""Writing output files, one way for every script: a regular file, whole, or nothing.

- Before any work, ``check_output`` refuses a name that cannot become a regular file (a folder, a
  device, a FIFO, a socket) and proves the folder takes the file's temporary name.
- ``write_output`` writes to that temporary name beside the file, then renames it over the file:
  an error, Ctrl-C, SIGTERM or SIGHUP at any moment leaves the old file (or none) and no temporary.
- The rule for a file already there: it is replaced, and the script's line naming the output says
  "replaced". A link is written through: the file it leads to is replaced, the link stays.
"""

import contextlib
import errno
import os
import stat
import zlib
from pathlib import Path

from .errors import UserError
from .lifecycle import stops_raise

NOT_FILES = {stat.S_IFCHR: "a device", stat.S_IFBLK: "a device", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}


def ensure_writable_folder(folder, what: str) -> Path:
    """Prove, before any long work starts, that a file can be made in ``folder`` (see ``_probe``)."""
    folder = Path(folder)
    try:
        _probe(folder, "probe")
    except OSError as error:
        raise UserError(_cannot_write(folder, what, error))
    return folder


def _probe(folder: Path, name: str) -> None:
    """Make and remove a file of ``name``'s temporary name in ``folder``, or where ``folder`` does not exist
    yet, in the folder above it where it will be made; OSError if that cannot be done. Nothing is left:
    a run stopped before it writes leaves no empty folder either."""
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
    probe = existing / _temporary_name(folder / name)
    os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    os.remove(probe)


def _cannot_write(folder: Path, what: str, error: OSError) -> str:
    return f"Cannot write {what} to {folder}/ ({error.strerror or error}); choose a writable folder."


def check_output(path, flag: str, what: str = "the output") -> Path:
    """Refuse, before any work, an output name that cannot be written as a regular file; return it."""
    path = Path(path)
    target = _target(path)
    try:
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):  # the folder's check below says what is wrong
        mode = None
    except OSError as error:
        raise UserError(f"{flag} {path}: cannot look at it ({error.strerror}); choose another name.")
    if mode is not None and stat.S_ISDIR(mode):
        raise UserError(f"{path} is a folder, so {flag} cannot write a file there; choose another name.")
    if mode is not None and not stat.S_ISREG(mode):
        kind = NOT_FILES.get(stat.S_IFMT(mode), "not a regular file")
        raise UserError(f"{flag} {path} is {kind}, not a file; choose a file name.")
    try:
        _probe(target.parent, target.name)
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:  # the name fits, but its temporary name does not
            raise UserError(f"{flag} {path}: its name is too long to write safely; choose a shorter name.")
        raise UserError(_cannot_write(target.parent, what, error))
    return path


def write_output(path, write) -> bool:
    """Call ``write(temporary)`` to create the file under a temporary name beside ``path``, then rename it
    to ``path``; on any failure or stop the temporary file is removed. True when a file was replaced."""
    path = Path(path)
    target = _target(path)
    replaced = target.exists()
    if replaced and not target.is_file():
        raise UserError(f"{path} is no longer a regular file; choose another name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / _temporary_name(target)
    with stops_raise():
        try:
            write(temporary)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise
    return replaced


@contextlib.contextmanager
def exclusive(folder):
    """Inside the block this process alone works on ``folder``'s files: another process's block waits.
    A lock on the folder itself (nothing is left behind); on Windows, on a hidden file in it."""
    if os.name == "nt":
        import msvcrt

        with open(Path(folder) / ".lock", "a+b") as file:
            file.seek(0)
            msvcrt.locking(file.fileno(), msvcrt.LK_LOCK, 1)  # retries for 10 s, then OSError
            yield
        return
    import fcntl

    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when closed, and when the process ends anyhow
        yield
    finally:
        os.close(descriptor)


def said(path, replaced: bool) -> str:
    """The output's name as the scripts print it: ``mine.png`` or ``mine.png (replaced)``."""
    return f"{path} (replaced)" if replaced else str(path)


def _target(path: Path) -> Path:
    """The file written for ``path``: a link's final target (so the link stays), else ``path`` itself."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path  # a loop: os.stat says so


def _temporary_name(path: Path) -> str:
    """A hidden name of fixed length beside ``path``, unique to this process and file, with its suffix
    (Keras and Matplotlib read the format from it)."""
    return f".{os.getpid()}-{zlib.crc32(path.name.encode('utf-8', 'surrogateescape')):08x}.tmp{path.suffix}"
