"""Read and write the IDX format that MNIST ships in (http://yann.lecun.com/exdb/mnist/).

An IDX file is a big-endian header (two zero bytes, a type byte, the number of dimensions,
one uint32 per dimension) followed by the data in C order. MNIST only uses type 0x08,
unsigned bytes. Files may be gzip-compressed; ``.gz`` in the name says so.
"""

import gzip
import hashlib
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import UserError

UBYTE = 0x08
MAX_DEFLATE_RATIO = 1032  # deflate's limit: no compressed byte stands for more than 1,032 bytes


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


def read_idx(path: Path, ndim: int, shape_only: bool = False) -> np.ndarray | tuple:
    """Read an unsigned-byte IDX file with ``ndim`` dimensions, checking every byte is accounted for; with
    ``shape_only``, only its header, checked, and the shape it promises (what the data is checked against).

    Raises UserError naming the file and what is wrong with it.
    """
    gzipped = path.name.endswith(".gz")
    try:
        limit = path.stat().st_size * MAX_DEFLATE_RATIO if gzipped else None  # what a gzip file can hold
        with (gzip.open if gzipped else open)(path, "rb") as stream:
            return _read_idx_stream(stream, path, ndim, limit, shape_only)
    except gzip.BadGzipFile as error:
        raise UserError(f"{path} is damaged: not valid gzip data ({error}); download it again.")
    except (EOFError, zlib.error):
        raise UserError(f"{path} is damaged: truncated or corrupt (the gzip stream breaks off); download it again.")
    except OSError as error:
        raise UserError(f"Cannot read {path}: {error.strerror or error}; check its permissions.")


def _read_idx_stream(stream, path: Path, ndim: int, limit, shape_only: bool = False) -> np.ndarray | tuple:
    head = stream.read(4)
    if len(head) == 0:
        raise UserError(f"{path} is empty; download the file again.")
    if len(head) < 4 or head[0] != 0 or head[1] != 0:
        raise UserError(f"{path} is not an IDX file (its first bytes are not the IDX magic number).")
    if head[2] != UBYTE:
        raise UserError(f"{path} holds IDX type 0x{head[2]:02X}, not unsigned bytes (0x08) as MNIST does.")
    if head[3] != ndim:
        kind = "images" if ndim == 3 else "labels"
        raise UserError(
            f"{path} holds a {head[3]}-dimensional array where MNIST {kind} have {ndim} dimensions; "
            "check that the file names match their contents."
        )
    dims_bytes = stream.read(4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise UserError(f"{path} is truncated inside its header; download it again.")
    shape = struct.unpack(f">{ndim}I", dims_bytes)
    promised = math.prod(shape)
    if limit is not None and promised > limit:  # a raw file's reading below is bounded by its size
        raise UserError(
            f"{path} is damaged: its header promises {promised:,} bytes of data, more than a file of its size "
            "can hold; download it again."
        )
    if shape_only and limit is not None:  # gzipped: what it holds shows only as it is read
        return shape
    if shape_only:  # a raw file: what it holds is its size
        held = os.fstat(stream.fileno()).st_size - stream.tell()
    else:
        data = read_at_most(stream, promised + 1)  # never more than the file holds, whatever the header says
        held = len(data)
    if held < promised:
        raise UserError(
            f"{path} is truncated: its header promises {promised:,} bytes of data, the file holds {held:,}; "
            "download it again."
        )
    if held > promised:
        raise UserError(
            f"{path} holds more data than its header describes ({promised:,} bytes); "
            "the file is damaged or not an MNIST file: download it again."
        )
    if shape_only:
        return shape
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)  # a bytearray: the array is writable


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
