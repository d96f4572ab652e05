"""Find MNIST on this machine, check it, and return it as ``keras.datasets.mnist.load_data()`` does.

``load_data`` looks, in order, in: ``--data`` or else ``$MNIST_DATA`` (a folder with the four IDX files,
gzipped or raw, or with ``mnist.npz``; or an ``.npz`` file); Keras' own cache, read here directly; Keras'
download, only when that cache holds no ``mnist.npz`` (Keras deletes a cached file whose checksum it does
not like: a user's file is never handed to it). Nothing here writes to, moves or deletes a user's file.
"""

import contextlib
import gzip
import hashlib
import math
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

from .errors import UserError
from .flags import home_path
from .plumbing.files import MAX_DEFLATE_RATIO, NotAFile, cannot_read, open_regular, read_at_most, read_npz

# Names of the four arrays, as Keras names them inside mnist.npz.
KEYS = ("x_train", "y_train", "x_test", "y_test")

# LeCun's file names, and the common variant with a dot before "idx".
IDX_NAMES = {
    "x_train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "y_train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "x_test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "y_test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}

# SHA-256 of the canonical, uncompressed MNIST IDX files (the published MNIST content).
CANONICAL_SHA256 = {
    "x_train": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "y_train": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "x_test": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "y_test": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

NO_DATA_EXIT_CODE = 2
_given = []  # data handed in by given(), newest last: load_data returns it instead of reading files


def load_data(path=None, log=print):
    """``((x_train, y_train), (x_test, y_test))``: uint8 28×28 images and 0–9 labels, checked; ``log`` gets one
    line saying where they came from and whether they are the published MNIST. UserError for a user's mistake."""
    if _given:
        (x_train, y_train), (x_test, y_test) = _given[-1]
        arrays, source = dict(zip(KEYS, (x_train, y_train, x_test, y_test))), "arrays given in this process"
    else:
        arrays, source = _find_and_read(path)
    _check_arrays(arrays, source)
    log(describe(arrays, source))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


@contextlib.contextmanager
def given(data):
    """Inside the block, load_data returns ``data`` (as load_data returns it) and reads no file: the
    seam through which the tests and experiments.py hand a run of mnist_learn.py its data. None
    changes nothing."""
    if data is None:
        yield
        return
    _given.append(data)
    try:
        yield
    finally:
        _given.pop()


def is_canonical(arrays: dict) -> bool:
    """True when all four arrays are byte for byte the published MNIST."""
    return all(idx_sha256(arrays[key]) == CANONICAL_SHA256[key] for key in KEYS)


def describe(arrays: dict, source: str) -> str:
    if is_canonical(arrays):
        return f"Data: MNIST from {source} (verified: matches the published checksums)."
    return (
        f"Data: {len(arrays['x_train']):,} training and {len(arrays['x_test']):,} test digits from {source} "
        "(well-formed, but not the published MNIST: accepted as your own data)."
    )


# The IDX format MNIST ships in (http://yann.lecun.com/exdb/mnist/): a big-endian header (two zero bytes, a
# type byte, the number of dimensions, one uint32 per dimension), then the data in C order; .gz when gzipped.

UBYTE = 0x08


def idx_header(shape: tuple[int, ...]) -> bytes:
    """The header of an unsigned-byte IDX file holding an array of this shape."""
    return bytes([0, 0, UBYTE, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


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
        with open_regular(path) as raw, gzip.GzipFile(fileobj=raw) if gzipped else raw as stream:
            limit = os.fstat(raw.fileno()).st_size * MAX_DEFLATE_RATIO if gzipped else None  # what gzip can hold
            return _read_idx_stream(stream, path, ndim, limit, shape_only)
    except NotAFile as what:
        raise UserError(f"{path} is {what}, not an MNIST file; point --data at the folder of MNIST's files.")
    except gzip.BadGzipFile as error:
        raise UserError(f"{path} is damaged: not valid gzip data ({error}); download it again.")
    except (EOFError, zlib.error):
        raise UserError(f"{path} is damaged: truncated or corrupt (the gzip stream breaks off); download it again.")
    except OSError as error:
        raise cannot_read(path, error)


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


def shape_table(arrays: dict) -> str:
    """ndim, shape, dtype and value range of each named array, one row each, as the post prints them."""
    rows = [("array", "ndim", "shape", "dtype", "values")]
    for name, array in arrays.items():
        array = np.asarray(array)
        low, high = (array.min(), array.max()) if array.size else (0, 0)
        values = f"{_number(low)}" if low == high else f"{_number(low)} to {_number(high)}"
        rows.append((name, str(array.ndim), str(array.shape), str(array.dtype), values))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, np.floating) else str(value)


def show_shapes(title: str, x_train, y_test, log=print) -> None:
    """The post's print(x_train.ndim), print(x_train.shape) ... checks, as one table (mnist_by_hand.py's)."""
    log(title)
    log(shape_table({"x_train": x_train, "x_train[0]": x_train[0], "y_test": y_test, "y_test[0]": y_test[0]}))


# Keras' cache when its home cannot be written, chosen as keras.utils.get_file chooses it: /tmp/.keras,
# or on Windows (no /tmp) .keras in the user's temporary folder. Any user can write there.
KERAS_FALLBACK_HOME = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")


def keras_cache_file() -> Path:
    """Where Keras itself keeps its downloaded mnist.npz: in its home ($KERAS_HOME, else ~/.keras, which
    importing Keras creates), or in .keras under /tmp only when that home cannot be written, as
    keras.utils.get_file decides. A file in that shared folder is never read otherwise."""
    home = Path(os.environ.get("KERAS_HOME") or Path("~").expanduser() / ".keras")
    writable = os.access(home, os.W_OK) if home.exists() else os.access(home.parent, os.W_OK)
    return Path(home if writable else KERAS_FALLBACK_HOME) / "datasets" / "mnist.npz"


# SHA-256 of Keras' own mnist.npz, as keras.datasets.mnist.load_data checks it: Keras downloads again over
# a cached mnist.npz with any other checksum, and deletes it when that download fails.
KERAS_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def offline_mnist(folder=""):
    """The notebook's route without internet, in place of ``keras.datasets.mnist``: None where Keras' own
    load_data can do the job (no folder named, and Keras' cache empty or holding Keras' own download);
    else a stand-in whose load_data() reads the folder named, or the file of yours in Keras' cache (which
    Keras would delete), with plain NumPy. The scripts read the same files through the bounded readers."""
    cached = keras_cache_file()
    if folder:
        return MnistFiles(Path(folder).expanduser())
    if cached.is_file() and hashlib.sha256(cached.read_bytes()).hexdigest() != KERAS_NPZ_SHA256:
        return MnistFiles(cached)
    return None


class MnistFiles:
    """Stands in for keras.datasets.mnist: load_data() reads MNIST from a file or folder of yours."""

    def __init__(self, path):
        self.path = path

    def load_data(self):
        return mnist_arrays(self.path)


def mnist_arrays(path):
    """``((x_train, y_train), (x_test, y_test))`` from a folder holding the four MNIST IDX files (gzipped or not)
    or mnist.npz, or from an .npz file with Keras' four names; what cannot be used is said in one sentence."""
    found = {key: [path / f"{name}{end}" for name in names for end in (".gz", "")] for key, names in IDX_NAMES.items()}
    found = {key: next((file for file in files if file.is_file()), None) for key, files in found.items()}
    if all(found.values()):
        arrays = {key: idx_array(file) for key, file in found.items()}
    else:
        if not path.exists():
            raise FileNotFoundError(f"There is no file or folder {path}; name the folder that holds MNIST.")
        if path.is_dir() and not (path / "mnist.npz").is_file():
            raise FileNotFoundError(
                f"{path} holds neither mnist.npz nor the four MNIST files; name the folder that does."
            )
        path = path / "mnist.npz" if path.is_dir() else path
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in KEYS}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path} is not MNIST as Keras saves it, four arrays named {', '.join(KEYS)} ({error}).")
    for part in ("train", "test"):
        images, labels = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if images.dtype != np.uint8 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
            raise ValueError(
                f"{path} holds {part} images {images.dtype} {images.shape} and labels {labels.shape}; "
                "MNIST's are uint8 (count, 28, 28) and (count,)."
            )
    print(f"MNIST from {path}, read with NumPy.")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def idx_array(file):
    """An IDX file of unsigned bytes, MNIST's format: 0, 0, 8, the number of dimensions, one big-endian
    uint32 per dimension, then the bytes."""
    try:
        with (gzip.open if file.name.endswith(".gz") else open)(file, "rb") as stream:
            data = stream.read()
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{file} cannot be read ({error}); download it again.")
    dimensions = data[3] if len(data) > 3 and data[:3] == b"\0\0\x08" else 0
    start = 4 + 4 * dimensions
    shape = tuple(int(size) for size in np.frombuffer(data[4:start], dtype=">u4")) if len(data) >= start else ()
    if not shape or len(data) != start + int(np.prod(shape)):
        raise ValueError(f"{file} is not a whole MNIST IDX file of unsigned bytes; download it again.")
    return np.frombuffer(bytearray(data), dtype=np.uint8, offset=start).reshape(shape)  # writable, as Keras gives it


def _find_and_read(path):
    """Read the first source that exists; return (arrays, a description of the source)."""
    named = f"--data {path}" if path is not None else f"MNIST_DATA={os.environ.get('MNIST_DATA')}"
    if path is not None or os.environ.get("MNIST_DATA"):
        try:  # the one path type, for $MNIST_DATA too: a ~user that does not exist is said
            where = home_path(str(path if path is not None else os.environ["MNIST_DATA"]))
        except ValueError as error:
            raise UserError(f"{named}: {error}.")
        return _read_user_path(where, named)
    cached = keras_cache_file()
    if cached.exists():
        return _read_npz(cached), f"the Keras cache ({cached})"
    return _download_with_keras(cached), "a Keras download"


def _read_user_path(path: Path, named_by: str):
    if not path.exists():
        if path.is_symlink():
            raise UserError(
                f"{named_by}: {path} is a link that leads nowhere (a loop or a missing target); fix the link."
            )
        raise UserError(f"{named_by}: {path} does not exist; point it at the folder holding the MNIST files.")
    if path.is_dir():
        try:
            os.listdir(path)
        except OSError as error:
            raise UserError(
                f"{named_by}: cannot open the folder {path} ({error.strerror}); "
                "change its permissions or point it at a folder you can read."
            )
        idx_files, note = _find_idx_files(path)
        if idx_files:
            ndim = {key: 3 if key.startswith("x") else 1 for key in KEYS}
            shapes = {
                key: (read_idx(file, ndim[key], shape_only=True), np.dtype(np.uint8)) for key, file in idx_files.items()
            }
            _check_shapes(shapes, f"{path}{note}")  # the headers against each other, before any data is read
            arrays = {key: read_idx(file, ndim[key]) for key, file in idx_files.items()}
            return arrays, f"{path}{note}"
        if (path / "mnist.npz").is_file():
            return _read_npz(path / "mnist.npz"), str(path / "mnist.npz")
        raise UserError(
            f"{named_by}: {path} holds neither the four MNIST IDX files (e.g. train-images-idx3-ubyte.gz) "
            "nor mnist.npz; point it at the folder that does."
        )
    if not path.is_file():  # a FIFO, a device, a socket: reading it could wait forever
        raise UserError(f"{named_by}: {path} is not a regular file or a folder; point it at the MNIST files.")
    return _read_npz(path), str(path)


def _find_idx_files(folder: Path) -> tuple[dict, str]:
    """The four IDX files in ``folder`` by key ({} when there are none), and a note naming the copies
    left unread when both raw and gzipped ones are there. An incomplete set is an error."""
    found, unread = {}, []
    for key, names in IDX_NAMES.items():
        for name in names:
            for candidate in (folder / f"{name}.gz", folder / name):
                if candidate.is_file():
                    if key in found:
                        unread.append(candidate.name)
                    found.setdefault(key, candidate)
    if found and len(found) < len(KEYS):
        missing = [IDX_NAMES[key][0] for key in KEYS if key not in found]
        raise UserError(f"{folder} is missing {', '.join(missing)} (raw or .gz); add the missing MNIST file(s).")
    note = ""
    if unread:
        note = f", read from {', '.join(found[key].name for key in KEYS)}; not read: {', '.join(unread)}"
    return found, note


def _read_npz(path: Path) -> dict:
    """The four arrays of an .npz archive, read by the one bounded reader (plumbing.files.read_npz): their
    headers checked against MNIST's shapes and against each other before any data is read (a header that
    claims three million images of deflated zeros is refused by what it claims)."""
    return read_npz(
        path,
        KEYS,
        "an .npz archive",
        "point --data at MNIST's mnist.npz or IDX files, or download it again",
        check=lambda headers: _check_shapes(headers, str(path)),
    )


def _check_shapes(shapes: dict, source: str) -> None:
    """Each array's (shape, dtype) as MNIST's: images uint8 (count, 28, 28), labels whole numbers (count,),
    as many labels as images, and some of each; what differs is one sentence."""
    for key in KEYS:
        shape, dtype = shapes[key]
        if key.startswith("x"):
            if len(shape) != 3 or tuple(shape[1:]) != (28, 28):
                raise UserError(f"{key} in {source} has shape {tuple(shape)}; MNIST images are (count, 28, 28).")
            if dtype != np.uint8:
                raise UserError(f"{key} in {source} is {dtype}; MNIST images are uint8 pixels 0–255.")
        elif len(shape) != 1 or not np.issubdtype(dtype, np.integer):
            raise UserError(f"{key} in {source} is {dtype} {tuple(shape)}; labels are whole numbers, one per image.")
    for part in ("train", "test"):
        images, labels = shapes[f"x_{part}"][0][0], shapes[f"y_{part}"][0][0]
        if images != labels:
            raise UserError(
                f"{source} has {images:,} {part} images but {labels:,} {part} labels; "
                "the image and label files must come from the same set."
            )
        if images == 0:
            raise UserError(f"{source} holds no {part} images.")


def _check_arrays(arrays: dict, source: str) -> None:
    """Shapes, types and label range, checked before anyone trains on the arrays."""
    _check_shapes({key: (array.shape, array.dtype) for key, array in arrays.items()}, source)
    for key in ("y_train", "y_test"):
        array = arrays[key]
        if array.size and (array.min() < 0 or array.max() > 9):
            bad = array[(array < 0) | (array > 9)][0]
            raise UserError(f"{key} in {source} holds the label {bad}; MNIST labels are 0 to 9.")
        arrays[key] = array.astype(np.uint8, copy=False)


def _download_with_keras(cached: Path) -> dict:
    """Step 3: let Keras download mnist.npz. Only called when ``cached`` does not exist."""
    from .backend import import_keras_quietly

    import_keras_quietly()

    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:
        if not str(error).startswith("URL fetch failure"):
            raise
        raise UserError(_nothing_found_message(cached, error), exit_code=NO_DATA_EXIT_CODE)
    return dict(zip(KEYS, (x_train, y_train, x_test, y_test)))


def _nothing_found_message(cached: Path, error: Exception) -> str:
    return "\n".join(
        [
            "Could not find MNIST. Tried:",
            "  - the --data flag and the MNIST_DATA variable: neither was given;",
            f"  - the Keras cache: there is no {cached};",
            f"  - a Keras download: it failed ({error}).",
            "The usual cause is a machine without internet access, behind a proxy, or missing CA certificates.",
            "Fix it in one of three ways:",
            "  - pass --data PATH: a folder with the four MNIST IDX files or mnist.npz, or an .npz file;",
            "  - set MNIST_DATA=PATH;",
            f"  - copy mnist.npz to {cached}.",
        ]
    )
