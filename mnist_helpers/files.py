"""Writing output files, one way for every script: a regular file, whole, or nothing.

- Before any work, ``check_output`` refuses a name that cannot become a regular file (a folder, a
  device, a FIFO, a socket) and proves the folder takes the file's temporary name.
- ``write_output`` writes to that temporary name beside the file, then renames it over the file:
  an error, Ctrl-C, SIGTERM or SIGHUP at any moment leaves the old file (or none) and no temporary.
- The rule for a file already there: it is replaced, and the script's line naming the output says
  "replaced". A link is written through: the file it leads to is replaced, the link stays.
- A run knows, before any work, every file it reads and every file it will write (``Plan``): an
  output that is one of its inputs, or another of its outputs, is refused in one sentence.
- ``write_outputs`` writes files that belong together (the page's scripts) as one: all of them whole
  under temporary names first, then renamed one after another with stops held off.
"""

import contextlib
import errno
import os
import stat
import zlib
from pathlib import Path

from .errors import UserError
from .lifecycle import stops_held, stops_raise

NOT_FILES = {stat.S_IFCHR: "a device", stat.S_IFBLK: "a device", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}


def not_a_file(mode: int) -> str | None:
    """What a name of ``mode`` (``os.stat``'s) is when it is not a regular file: "a folder", "a FIFO" ...;
    None for a regular file. Only a regular file is read or written (a FIFO could wait forever)."""
    if stat.S_ISREG(mode):
        return None
    return "a folder" if stat.S_ISDIR(mode) else NOT_FILES.get(stat.S_IFMT(mode), "not a regular file")


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
    kind = not_a_file(mode) if mode is not None else None
    if kind == "a folder":
        raise UserError(f"{path} is a folder, so {flag} cannot write a file there; choose another name.")
    if kind:
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
    return write_outputs([(path, write)])[0]


def write_outputs(writes) -> list[bool]:
    """``write_output`` for several files that belong together, ``[(path, write), ...]``: each is written
    whole under its temporary name first (a failure or a stop removes them all and leaves every old
    file); only then are they renamed over their names, with stops held off until the last is in place,
    so a reader of the set sees all the new files or all the old ones. Whether each replaced a file."""
    staged, replaced = [], []
    with stops_raise():
        try:
            for path, write in writes:
                path = Path(path)
                target = _target(path)
                if target.exists() and not target.is_file():
                    raise UserError(f"{path} is no longer a regular file; choose another name.")
                replaced.append(target.exists())
                target.parent.mkdir(parents=True, exist_ok=True)
                temporary = target.parent / _temporary_name(target)
                staged.append((temporary, target))
                try:
                    write(temporary)
                except OSError as error:  # a full disk says the file, not "a file"
                    if error.errno is None or error.filename is not None:
                        raise
                    raise OSError(error.errno, error.strerror, str(path)) from error
            with stops_held():  # from raising to holding with no moment between them
                for temporary, target in staged:
                    os.replace(temporary, target)
        except BaseException:
            for temporary, _ in staged:  # those renamed already are gone from their temporary names
                with contextlib.suppress(OSError):
                    os.remove(temporary)
            raise
    return replaced


class Plan:
    """Every file a run reads and every file it will write, known before any work starts.

    ``reads(path)`` notes an input (a folder: the files in it); ``writes(path, flag)`` checks an output
    as ``check_output`` does and refuses, in one sentence, one that is an input of the run or another
    of its outputs, whatever names lead there (a link, a second hard link, ``./``). ``free(path)`` is
    for names a run picks itself (predict.py's pictures): whether it may write there."""

    def __init__(self, *inputs):
        self.inputs, self.outputs = {}, {}  # identity: how the run names it
        for path in inputs:
            if path is not None:
                self.reads(path)

    def reads(self, path, named_by: str | None = None) -> None:
        path = Path(path)
        with contextlib.suppress(RuntimeError):  # ~nobody: the reader of that path says so
            path = path.expanduser()
        files = [path]
        if path.is_dir():
            with contextlib.suppress(OSError):
                files = [entry for entry in path.iterdir() if entry.is_file()]
        for file in files:
            self.inputs.update(dict.fromkeys(_identities(file), named_by or str(file)))

    def writes(self, path, flag: str, what: str = "the output") -> Path:
        path = check_output(path, flag, what)
        keys = _identities(path)
        if taken := [self.inputs[key] for key in keys if key in self.inputs]:
            raise UserError(f"{flag} {path} would replace {taken[0]}, which this run reads; choose another name.")
        if taken := [self.outputs[key] for key in keys if key in self.outputs]:
            raise UserError(
                f"{flag} {path} is also {taken[0]}: one output would replace the other; choose another name."
            )
        self.outputs.update(dict.fromkeys(keys, f"{flag} {path}"))
        return path

    def free(self, path) -> bool:
        """True when ``path`` is neither an input nor an output of this run."""
        return not any(key in self.inputs or key in self.outputs for key in _identities(Path(path)))


def _identities(path: Path) -> set:
    """What makes two names one file: the path with every link and ``..`` resolved, and an existing
    file's device and inode (a second hard link to it too)."""
    keys = {("name", os.path.normcase(os.path.realpath(path)))}
    with contextlib.suppress(OSError, ValueError):
        found = os.stat(path)
        keys.add(("file", found.st_dev, found.st_ino))
    return keys


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
