"""Read and write the IDX format that MNIST ships in (http://yann.lecun.com/exdb/mnist/).

An IDX file is a big-endian header (two zero bytes, a type byte, the number of dimensions,
one uint32 per dimension) followed by the data in C order. MNIST only uses type 0x08,
unsigned bytes. Files may be gzip-compressed; ``.gz`` in the name says so.
"""

import gzip
import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import UserError

UBYTE = 0x08


def idx_header(shape: tuple[int, ...]) -> bytes:
    """The header of an unsigned-byte IDX file holding an array of this shape."""
    return bytes([0, 0, UBYTE, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as IDX, gzip-compressed when the name ends in .gz."""
    data = idx_header(array.shape) + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    Path(path).write_bytes(data)


def idx_sha256(array: np.ndarray) -> str:
    """SHA-256 of the array written as an uncompressed IDX file (how MNIST is checksummed)."""
    digest = hashlib.sha256(idx_header(array.shape))
    digest.update(np.ascontiguousarray(array, dtype=np.uint8).data)
    return digest.hexdigest()


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Read an unsigned-byte IDX file with ``ndim`` dimensions, checking every byte is accounted for.

    Raises UserError naming the file and what is wrong with it.
    """
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as stream:
            return _read_idx_stream(stream, path, ndim)
    except gzip.BadGzipFile as error:
        raise UserError(f"{path} is not valid gzip data ({error}); download the file again.")
    except (EOFError, zlib.error):
        raise UserError(f"{path} is truncated or corrupt (the gzip stream breaks off); download it again.")
    except OSError as error:
        raise UserError(f"Cannot read {path}: {error.strerror or error}.")


def _read_idx_stream(stream, path: Path, ndim: int) -> np.ndarray:
    head = stream.read(4)
    if len(head) == 0:
        raise UserError(f"{path} is empty; download the file again.")
    if len(head) < 4 or head[0] != 0 or head[1] != 0:
        raise UserError(f"{path} is not an IDX file (its first bytes are not the IDX magic number).")
    if head[2] != UBYTE:
        raise UserError(f"{path} holds IDX type 0x{head[2]:02X}, not unsigned bytes (0x08) as MNIST does.")
    if head[3] != ndim:
        raise UserError(f"{path} has {head[3]} dimensions where {ndim} were expected; is it the right file?")
    dims_bytes = stream.read(4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise UserError(f"{path} is truncated inside its header; download it again.")
    shape = struct.unpack(f">{ndim}I", dims_bytes)
    array = np.empty(shape, dtype=np.uint8)
    got = _read_fully(stream, memoryview(array).cast("B")) if array.size else 0
    if got < array.size:
        raise UserError(
            f"{path} is truncated: its header promises {array.size:,} bytes of data, the file holds {got:,}; "
            "download it again."
        )
    if stream.read(1):
        raise UserError(f"{path} has bytes beyond what its header describes; is it the right file?")
    return array


def _read_fully(stream, buffer: memoryview) -> int:
    """Fill ``buffer`` from ``stream`` (one copy, no temporary bytes); return how much was read."""
    got = 0
    while got < len(buffer):
        n = stream.readinto(buffer[got:])
        if not n:
            break
        got += n
    return got
