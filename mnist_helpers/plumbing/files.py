"""Guards files: outputs written whole or not at all, inputs read without believing them (why: docs/scripts.md)."""

import contextlib
import errno
import math
import os
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import UserError
from .signals import stops_held, stops_raise

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
        path = Path(path)  # as it is read: a path flag's ~ is expanded already, by its type (flags.path_arg)
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


# Reading what a user hands in.

MAX_DEFLATE_RATIO = 1032  # deflate's limit: no compressed byte stands for more than 1,032 bytes
CHUNK = 1 << 22  # 4 MiB


def read_at_most(stream, limit: int) -> bytearray:
    """Up to ``limit`` bytes from ``stream``, read chunk by chunk: memory grows with what is really there."""
    data = bytearray()
    while len(data) < limit:
        chunk = stream.read(min(CHUNK, limit - len(data)))
        if not chunk:
            break
        data += chunk
    return data


BINARY = getattr(os, "O_BINARY", 0)  # Windows: bytes as they are, no line endings translated
NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO opens at once, and is then seen for what it is


class NotAFile(Exception):
    """A name handed in that is no regular file: ``str()`` is what it is ("a FIFO", "a device", "a folder")."""


def open_regular(path):
    """``path`` open to read in binary, only when it is a regular file at the moment it is opened (a FIFO put in
    its place would wait forever, a link to /dev/zero never end): the one opener of every file a user hands
    in. NotAFile says what else it is; OSError (FileNotFoundError too) what the system says."""
    descriptor = os.open(path, os.O_RDONLY | BINARY | NONBLOCK)
    kind = not_a_file(os.fstat(descriptor).st_mode)
    if kind:
        os.close(descriptor)
        raise NotAFile(kind)
    return os.fdopen(descriptor, "rb")


def cannot_read(path, error: OSError, fix: str = "check its permissions") -> UserError:
    """The one sentence for a file that is there but cannot be read (no permission, an I/O error)."""
    return UserError(f"Cannot read {path}: {error.strerror or error}; {fix}.")


def read_bounded(path, most: int) -> bytes:
    """The bytes of the regular file ``path`` (``open_regular``), or ValueError when it holds more than ``most``."""
    with open_regular(path) as file:
        data = file.read(most + 1)
    if len(data) > most:
        raise ValueError(f"it is larger than {most // 2**20} MB")
    return data


DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, RuntimeError, NotImplementedError)
HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def open_archive(path, kind: str, fix: str) -> zipfile.ZipFile:
    """``path`` opened as a zip archive, or a UserError: ``kind`` names what it should be ("a recording
    made by record.py (an .npz file)"), ``fix`` what to do ("make it again with `python record.py`")."""
    path = Path(path)
    try:
        file = open_regular(path)
    except NotAFile as what:
        raise UserError(f"{path} is {what}, not {kind}; {fix}.")
    except FileNotFoundError:
        raise
    except OSError as error:
        raise cannot_read(path, error)
    if file.read(6) == b"\x93NUMPY":
        file.close()
        raise UserError(f"{path} is a single .npy array, not {kind}; {fix}.")
    try:
        return _Archive(file)
    except DAMAGED:
        file.close()
        raise UserError(f"{path} is not {kind} (not a zip file); {fix}.")


class _Archive(zipfile.ZipFile):
    """A zip archive on a file ``open_regular`` opened: closing the archive closes the file."""

    def __init__(self, file):
        self.opened = file
        super().__init__(file)

    def close(self):
        super().close()
        self.opened.close()


def check_sizes(members, path, fix: str, most: float = math.inf, most_each: dict | None = None) -> None:
    """Every member's size (``ZipInfo``s) bounded before anything is unpacked: by deflate's ratio, by
    ``most`` bytes in all, and a member whose name ends as a key of ``most_each`` by that many bytes."""
    total = 0
    for info in members:
        bounds = [info.compress_size * MAX_DEFLATE_RATIO + 1024]
        bounds += [limit for ending, limit in (most_each or {}).items() if info.filename.endswith(ending)]
        total += info.file_size
        if info.file_size > min(bounds) or total > most:
            raise UserError(
                f"{path} is damaged or not what it claims ({info.filename} unpacks to {info.file_size:,} bytes, "
                f"more than such a file holds); {fix}."
            )


def read_through(archive: zipfile.ZipFile, path, fix: str) -> None:
    """Read every member to its end, so that a truncated or damaged one is said here, in one sentence,
    and not later by whatever reads it (h5py, a JSON parser)."""
    try:
        for info in archive.infolist():
            with archive.open(info) as member:
                while member.read(1 << 20):
                    pass
    except DAMAGED as error:
        raise UserError(f"{path} is damaged ({error or 'truncated'}); {fix}.")


def read_npz(path, names, kind: str, fix: str, check=None) -> dict:
    """The arrays ``names`` of an .npz archive, each member checked before anything is allocated for it:
    first every member's header (``check({name: (shape, dtype)})`` may refuse what it describes, so a
    bomb is stopped by what it claims), then the data. A member missing, pickled, or not what its header
    says is one sentence ending in ``fix``."""
    path = Path(path)
    with open_archive(path, kind, fix) as archive:
        try:
            present = set(archive.namelist())
            missing = [name for name in names if f"{name}.npy" not in present]
            if missing:
                raise UserError(f"{path} has no {', '.join(missing)}; it should hold {', '.join(names)}: {fix}.")
            headers = {name: _header(archive, f"{name}.npy", path, fix) for name in names}
            if check is not None:
                check({name: (shape, dtype) for name, (shape, _, dtype) in headers.items()})
            return {name: _data(archive, f"{name}.npy", *headers[name]) for name in names}
        except DAMAGED as error:
            # a bad CRC or deflate stream, an encrypted member, an unknown compression method, a bad header
            raise UserError(f"{path} is damaged ({error or 'truncated'}); {fix}.")


def _header(archive: zipfile.ZipFile, name: str, path: Path, fix: str) -> tuple:
    """One .npy member's (shape, Fortran order, dtype), read with the bounds of a raw IDX file: the header
    must describe exactly the bytes the member holds, and no member is believed to hold more than its
    compressed size allows."""
    info = archive.getinfo(name)
    check_sizes([info], path, fix)
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        read_header = HEADER_READERS.get(version)
        if read_header is None:
            raise UserError(f"{path}: {name} is in .npy format {version}; save it again with numpy.savez.")
        shape, fortran_order, dtype = read_header(member, max_header_size=10_000)
        if dtype.hasobject:
            raise UserError(f"{path} holds pickled Python objects, which are not loaded for safety; {fix}.")
        if math.prod(shape) * dtype.itemsize != info.file_size - member.tell():
            raise UserError(f"{path} is damaged ({name}'s header does not match its data); {fix}.")
    return shape, fortran_order, dtype


def _data(archive: zipfile.ZipFile, name: str, shape: tuple, fortran_order: bool, dtype) -> np.ndarray:
    """The array a checked header described: memory grows with what the member really holds."""
    info = archive.getinfo(name)
    promised = math.prod(shape) * dtype.itemsize
    with archive.open(info) as member:
        member.read(info.file_size - promised)  # the header, read (not seeked past: a seek skips the CRC check)
        data = read_at_most(member, promised)
    order = "F" if fortran_order else "C"
    return np.frombuffer(data, dtype=dtype, count=math.prod(shape)).reshape(shape, order=order)


def append_lines(path: Path, text: str, what: str, fix: str) -> None:
    """``text`` added at the end of ``path`` (``append_whole``), or, where there is no such file yet, written
    whole as a new one (``write_output``): the one writer of the files only ever added to."""
    if path.exists():
        append_whole(path, text, what, fix)
    else:
        write_output(path, lambda temporary: temporary.write_text(text, encoding="utf-8", newline=""))


def append_whole(path: Path, text: str, what: str, fix: str) -> None:
    """``text`` added at the end of ``path`` in one write, on a line of its own, whole or not at all: a write
    that fails (a full disk) cuts the file back to its length before, and is said: ``what`` could not be added."""
    with stops_held():
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | BINARY)
        try:
            size = os.fstat(descriptor).st_size
            if size:
                os.lseek(descriptor, size - 1, os.SEEK_SET)
                if os.read(descriptor, 1) not in (b"\n", b"\r"):  # a spreadsheet leaves its last row unended
                    text = "\r\n" + text
            data, written = text.encode("utf-8"), 0
            try:
                while written < len(data):
                    written += os.write(descriptor, data[written:])
            except OSError as error:
                os.ftruncate(descriptor, size)
                raise UserError(
                    f"Could not add {what} to {path} ({error.strerror or error}); it is as it was: make room on its "
                    f"disk, or {fix}."
                )
        finally:
            os.close(descriptor)
