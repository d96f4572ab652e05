"""Zip archives a user hands in (MNIST's mnist.npz, a recording's .npz, a model's .keras), read without
believing what they say of themselves: one bounded reader for every archive.

- Only a regular file is opened (a FIFO could wait forever; a device is not an archive).
- No member is believed to hold more than deflate can make of its compressed bytes (1,032 to 1), nor
  more than the archive's kind allows (``most``): a small file that inflates to gigabytes is refused
  before anything is unpacked.
- An .npy member's header must describe exactly the bytes the member holds; pickled objects are
  never loaded. Memory grows with what is really there (``idx.read_at_most``).
- A damaged member (a bad CRC, a broken deflate stream, an encrypted or unknown method) is said in
  one sentence, with the archive's own fix.
"""

import math
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import UserError
from .files import not_a_file
from .idx import MAX_DEFLATE_RATIO, read_at_most

DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, RuntimeError, NotImplementedError)
HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def open_archive(path, kind: str, fix: str) -> zipfile.ZipFile:
    """``path`` opened as a zip archive, or a UserError: ``kind`` names what it should be ("a recording
    made by record.py (an .npz file)"), ``fix`` what to do ("make it again with `python record.py`")."""
    path = Path(path)
    try:
        what = not_a_file(os.stat(path).st_mode)
        if what:
            raise UserError(f"{path} is {what}, not {kind}; {fix}.")
        with open(path, "rb") as file:
            magic = file.read(6)
    except OSError as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise UserError(f"Cannot read {path}: {error.strerror or error}; check its permissions.")
    if magic == b"\x93NUMPY":
        raise UserError(f"{path} is a single .npy array, not {kind}; {fix}.")
    try:
        return zipfile.ZipFile(path)
    except DAMAGED:
        raise UserError(f"{path} is not {kind} (not a zip file); {fix}.")


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
