"""The data loader: every source it reads, and every bad file it must refuse with one clear sentence."""

import gzip
import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from support import npz_with
from support import IDX_FILES, assert_clean_failure, offline_env, run_script, write_idx_folder

from mnist_helpers.flags import silent
from mnist_helpers.errors import UserError
from mnist_helpers.data import idx_header, load_data


def assert_same_as(result, digits):
    (x_train, y_train), (x_test, y_test) = result
    for key, array in zip(("x_train", "y_train", "x_test", "y_test"), (x_train, y_train, x_test, y_test)):
        assert array.dtype == np.uint8
        np.testing.assert_array_equal(array, digits[key])
    assert x_train.shape == (len(digits["x_train"]), 28, 28)
    assert x_train.flags.writeable  # like np.load's arrays: users may modify them


def test_reads_gzipped_idx_folder(idx_folder, digits):
    assert_same_as(load_data(idx_folder, log=silent), digits)


def test_reads_raw_idx_folder_with_dotted_names(tmp_path, digits):
    dotted = {key: name.replace("-idx", ".idx") for key, name in IDX_FILES.items()}
    write_idx_folder(tmp_path, digits, suffix="", names=dotted)
    assert_same_as(load_data(tmp_path, log=silent), digits)


def test_reads_npz_file_and_folder_with_mnist_npz(npz_file, digits):
    assert_same_as(load_data(npz_file, log=silent), digits)
    assert_same_as(load_data(npz_file.parent, log=silent), digits)


def test_mnist_data_variable_is_used_and_flag_wins(monkeypatch, idx_folder, npz_file, tmp_path, digits):
    monkeypatch.setenv("MNIST_DATA", str(idx_folder))
    lines = []
    assert_same_as(load_data(log=lines.append), digits)
    assert f"MNIST_DATA={idx_folder}" in lines[0] or str(idx_folder) in lines[0]
    monkeypatch.setenv("MNIST_DATA", str(tmp_path / "nowhere"))
    assert_same_as(load_data(npz_file, log=silent), digits)  # --data beats MNIST_DATA


def test_reads_keras_cache_directly(monkeypatch, tmp_path, npz_file, digits):
    monkeypatch.delenv("MNIST_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    shutil.copy(npz_file, tmp_path / "datasets" / "mnist.npz")
    lines = []
    assert_same_as(load_data(log=lines.append), digits)
    assert "Keras cache" in lines[0]


def test_own_data_is_accepted_with_a_note(idx_folder):
    lines = []
    load_data(idx_folder, log=lines.append)
    assert "not the published MNIST" in lines[0] and "600 training" in lines[0]


def test_corrupt_keras_cache_is_reported_and_left_alone(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cached = tmp_path / "datasets" / "mnist.npz"
    cached.parent.mkdir()
    cached.write_bytes(b"PK\x03\x04 this zip breaks off")
    with pytest.raises(UserError, match="mnist.npz is not an .npz archive"):
        load_data(log=silent)
    assert cached.read_bytes() == b"PK\x03\x04 this zip breaks off"  # never handed to Keras, never deleted


# Each bad input: how to make it, and what the one sentence must say.
def _empty(folder, digits):
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"")


def _empty_raw(folder, digits):
    (folder / "train-images-idx3-ubyte.gz").unlink()
    (folder / "train-images-idx3-ubyte").write_bytes(b"")


def _truncated(folder, digits):
    raw = idx_header(digits["x_train"].shape) + digits["x_train"].tobytes()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw[: len(raw) // 2]))


def _truncated_gzip_stream(folder, digits):
    data = (folder / "train-images-idx3-ubyte.gz").read_bytes()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2])


def _wrong_magic(folder, digits):
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x1f\x8b\x08\x01" + bytes(100)))


def _not_gzip(folder, digits):
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"these bytes were never compressed")


def _count_mismatch(folder, digits):
    labels = digits["y_test"][:-5]
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_header(labels.shape) + labels.tobytes()))


def _label_ten(folder, digits):
    labels = digits["y_train"].copy()
    labels[3] = 10
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_header(labels.shape) + labels.tobytes()))


def _missing_file(folder, digits):
    (folder / "t10k-images-idx3-ubyte.gz").unlink()


BAD_IDX = {
    "empty file": (_empty, "train-images-idx3-ubyte.gz", "is empty"),
    "empty raw file": (_empty_raw, "train-images-idx3-ubyte", "is empty"),
    "truncated IDX": (_truncated, "train-images-idx3-ubyte.gz", "is truncated"),
    "truncated gzip": (_truncated_gzip_stream, "train-images-idx3-ubyte.gz", "truncated or corrupt"),
    "wrong magic": (_wrong_magic, "train-labels-idx1-ubyte.gz", "not an IDX file"),
    "not gzip": (_not_gzip, "t10k-labels-idx1-ubyte.gz", "not valid gzip"),
    "count mismatch": (_count_mismatch, "200 test images but 195 test labels", "same set"),
    "label 10": (_label_ten, "y_train", "holds the label 10"),
    "incomplete set": (_missing_file, "missing t10k-images-idx3-ubyte", "add the missing"),
}


@pytest.mark.parametrize("case", BAD_IDX, ids=list(BAD_IDX))
def test_bad_idx_folder_is_refused_with_one_sentence(tmp_path, digits, case):
    make_bad, names, says = BAD_IDX[case]
    folder = write_idx_folder(tmp_path / "data", digits)
    make_bad(folder, digits)
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    with pytest.raises(UserError) as raised:
        load_data(folder, log=silent)
    assert names in str(raised.value) and says in str(raised.value)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before  # nothing modified or deleted


def test_bad_npz_files_are_refused(tmp_path, digits):
    missing_key = tmp_path / "missing.npz"
    np.savez(missing_key, **{k: v for k, v in digits.items() if k != "y_test"})
    with pytest.raises(UserError, match="missing.npz has no y_test"):
        load_data(missing_key, log=silent)

    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **{**digits, "y_train": np.array([object()] * 3, dtype=object)})
    with pytest.raises(UserError, match="pickled.npz holds pickled Python objects"):
        load_data(pickled, log=silent)

    text = tmp_path / "notes.npz"
    text.write_text("just some text")
    with pytest.raises(UserError, match=r"notes\.npz is not an \.npz archive \(not a zip file\)") as raised:
        load_data(text, log=silent)
    assert "pickle" not in str(raised.value)

    single = tmp_path / "single.npy"
    np.save(single, digits["x_train"])
    with pytest.raises(UserError, match="single.npy is a single .npy array"):
        load_data(single, log=silent)

    floats = tmp_path / "floats.npz"
    np.savez(floats, **{**digits, "x_test": digits["x_test"] / 255})
    with pytest.raises(UserError, match="x_test in .*floats.npz is float64"):
        load_data(floats, log=silent)


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(UserError, match="nowhere does not exist"):
        load_data(tmp_path / "nowhere", log=silent)
    with pytest.raises(UserError, match="holds neither the four MNIST IDX files"):
        load_data(tmp_path, log=silent)


@pytest.mark.parametrize("case", ["truncated IDX", "not gzip", "label 10"])
def test_bad_data_through_the_script_exits_cleanly(tmp_path, digits, case):
    make_bad, names, says = BAD_IDX[case]
    folder = write_idx_folder(tmp_path / "data", digits)
    make_bad(folder, digits)
    result = run_script("mnist.py", "--data", folder, "--save", tmp_path / "out.png")
    assert_clean_failure(result, names, says, exit_code=1)
    assert not (tmp_path / "out.png").exists()


def test_no_data_anywhere_explains_the_three_fixes(tmp_path):
    """No --data, no MNIST_DATA, empty Keras cache, no network: Keras' own download really runs and fails."""
    env = offline_env(tmp_path)
    result = run_script("mnist.py", "--save", tmp_path / "out.png", env=env, timeout=120)
    assert_clean_failure(result, "Could not find MNIST", "--data", "MNIST_DATA", "mnist.npz", exit_code=2)
    assert "internet" in result.stderr
    message = result.stderr.splitlines()
    assert "Fix it in one of three ways:" in message and len(message) >= 8  # a short list, not one long line
    assert sum(line.startswith("  - ") for line in message) == 6


# Hostile input (issue: nothing a user owns is overwritten, and no input ends in a traceback).


@pytest.mark.parametrize("suffix", [".gz", ""])
@pytest.mark.parametrize("shape", [(4_294_967_295, 28, 28), (600, 65535, 65535)])
def test_a_lying_header_allocates_nothing(tmp_path, digits, suffix, shape):
    """A header claiming terabytes is checked against what the file really holds before anything is allocated."""
    folder = write_idx_folder(tmp_path / "data", digits, suffix=suffix)
    name = f"train-images-idx3-ubyte{suffix}"
    data = idx_header(shape) + digits["x_train"].tobytes()
    (folder / name).write_bytes(gzip.compress(data) if suffix else data)
    says = "more than a file of its size can hold" if suffix else "the file holds 470,400"
    with pytest.raises(
        UserError, match=rf"{name} is (damaged|truncated): its header promises [\d,]+ bytes of data, {says}"
    ):
        load_data(folder, log=silent)


def test_a_gzip_bomb_is_refused_before_it_is_unpacked(tmp_path, digits):
    """60 KB of gzip that unpacks to 60 MB of zeros, its header claiming 4,294,967,295 images: no gzip
    stream can hold that much, so nothing is unpacked."""
    folder = write_idx_folder(tmp_path / "data", digits)
    bomb = gzip.compress(idx_header((4_294_967_295, 28, 28)) + bytes(60_000_000), compresslevel=9)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(bomb)
    with pytest.raises(UserError, match="more than a file of its size can hold; download it again"):
        load_data(folder, log=silent)
    assert len(bomb) < 100_000


def test_a_damaged_npz_is_one_sentence_and_allocates_nothing_it_does_not_hold(tmp_path, digits):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10**12, 28, 28)})
    cases = {
        "huge": npz_with(tmp_path / "huge.npz", digits, "x_train.npy", header.getvalue() + bytes(1000)),
        "encrypted": npz_with(tmp_path / "encrypted.npz", digits, "y_test.npy", b"secret" * 10, flags=1),
        "compression method": npz_with(tmp_path / "method.npz", digits, "y_test.npy", b"x" * 60, method=99),
    }
    deflated = tmp_path / "deflate.npz"
    np.savez_compressed(deflated, **digits)
    raw = bytearray(deflated.read_bytes())
    raw[len(raw) // 3 : len(raw) // 3 + 64] = bytes(64)  # zeros in the middle of a deflate stream
    deflated.write_bytes(bytes(raw))
    cases["damaged ("] = deflated  # a bad CRC-32, or zlib's own error, by where the zeros fall
    for says, path in cases.items():
        with pytest.raises(UserError, match="is damaged .*download it again") as raised:
            load_data(path, log=silent)
        assert str(path) in str(raised.value) and (says in str(raised.value) or says == "huge"), raised.value


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "f.npz"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match=r"f\.npz is not a regular file or a folder"):
        load_data(fifo, log=silent)


def test_a_home_folder_of_a_user_that_does_not_exist(monkeypatch):
    with pytest.raises(UserError, match=r"--data ~nosuchuser/x: there is no user 'nosuchuser'"):
        load_data("~nosuchuser/x", log=silent)
    monkeypatch.setenv("MNIST_DATA", "~nosuchuser/x")
    with pytest.raises(UserError, match=r"MNIST_DATA=~nosuchuser/x: there is no user"):
        load_data(log=silent)


def test_a_link_loop_is_called_one(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(UserError, match=r"a is a link that leads nowhere \(a loop or a missing target\)"):
        load_data(tmp_path / "a", log=silent)


def test_the_shared_fallback_cache_is_read_only_where_keras_would_use_it(monkeypatch, tmp_path, npz_file):
    """Anyone can write to /tmp/.keras; Keras only uses it when its own home is not writable."""
    from mnist_helpers import data as mnist_data

    fallback = tmp_path / "shared-tmp" / ".keras"
    (fallback / "datasets").mkdir(parents=True)
    shutil.copy(npz_file, fallback / "datasets" / "mnist.npz")
    monkeypatch.setattr(mnist_data, "KERAS_FALLBACK_HOME", str(fallback))
    monkeypatch.delenv("MNIST_DATA", raising=False)
    home = tmp_path / "home" / ".keras"
    home.mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    assert mnist_data.keras_cache_file() == home / "datasets" / "mnist.npz"
    (home / "datasets").mkdir()
    with pytest.raises(UserError, match="Could not find MNIST"):  # not the file in the shared folder
        monkeypatch.setattr(mnist_data, "_download_with_keras", lambda cached: _fail_like_keras(cached))
        load_data(log=silent)
    # A home that cannot be written (as root, every folder can be: so os.access is asked to say no):
    # then, and only then, Keras uses the fallback, and so does the loader.
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != home and real_access(path, mode))
    assert mnist_data.keras_cache_file() == fallback / "datasets" / "mnist.npz"
    lines = []
    load_data(log=lines.append)
    assert f"the Keras cache ({fallback / 'datasets' / 'mnist.npz'})" in lines[0]


def _fail_like_keras(cached):
    """Stands in for the download (no network here): what matters is that it was reached."""
    raise UserError(f"Could not find MNIST. Tried: the Keras cache: there is no {cached}", exit_code=2)


def test_with_raw_and_gzipped_copies_the_note_says_which_was_read(tmp_path, digits):
    folder = write_idx_folder(tmp_path / "data", digits)
    write_idx_folder(folder, digits, suffix="")
    lines = []
    load_data(folder, log=lines.append)
    assert "read from train-images-idx3-ubyte.gz" in lines[0]
    assert "not read: train-images-idx3-ubyte," in lines[0]


def test_junk_inside_a_gzip_file_is_called_damaged(tmp_path, digits):
    folder = write_idx_folder(tmp_path / "data", digits)
    data = idx_header(digits["y_train"].shape) + digits["y_train"].tobytes() + b"junk"
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(data))
    with pytest.raises(UserError, match="holds more data than its header describes .*damaged") as raised:
        load_data(folder, log=silent)
    assert "right file" not in str(raised.value)


def test_the_notebooks_offline_route_reads_every_form_and_leaves_keras_its_own_download(
    monkeypatch, tmp_path, digits, idx_folder, npz_file
):
    """offline_mnist, the notebook's cell before the load line: a folder named reads the four IDX files
    or mnist.npz, or an .npz file; with no folder named it reads a file of the reader's in Keras' cache
    (Keras would download over it and delete it when that fails) and leaves Keras' own download to Keras."""
    from mnist_helpers import data as mnist_data

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    (tmp_path / "keras" / "datasets").mkdir(parents=True)
    for named in (idx_folder, npz_file, npz_file.parent, str(idx_folder)):
        assert_same_as(mnist_data.offline_mnist(named).load_data(), digits)
    raw = write_idx_folder(tmp_path / "raw", digits, suffix="")
    assert_same_as(mnist_data.offline_mnist(raw).load_data(), digits)
    assert mnist_data.offline_mnist("") is None  # nothing in the cache: Keras downloads
    cached = mnist_data.keras_cache_file()
    shutil.copy(npz_file, cached)
    before = cached.read_bytes()
    assert_same_as(mnist_data.offline_mnist("").load_data(), digits)
    assert cached.read_bytes() == before
    import hashlib

    monkeypatch.setattr(mnist_data, "KERAS_NPZ_SHA256", hashlib.sha256(before).hexdigest())
    assert mnist_data.offline_mnist("") is None  # Keras' own download: Keras reads it


def test_the_notebooks_offline_route_says_in_one_sentence_what_it_cannot_use(tmp_path, digits, npz_file):
    from mnist_helpers import data as mnist_data

    empty = tmp_path / "empty"
    empty.mkdir()
    truncated = write_idx_folder(tmp_path / "truncated", digits)
    images = truncated / f"{IDX_FILES['x_train']}.gz"
    images.write_bytes(gzip.compress(gzip.decompress(images.read_bytes())[:-5]))
    no_gzip = write_idx_folder(tmp_path / "not-gzip", digits)
    (no_gzip / f"{IDX_FILES['y_test']}.gz").write_bytes(b"not gzip at all")
    missing_key = tmp_path / "three.npz"
    np.savez(missing_key, **{key: value for key, value in digits.items() if key != "y_test"})
    shapes = tmp_path / "shapes.npz"
    np.savez(shapes, **dict(digits, x_test=digits["x_test"].reshape(-1, 784)))
    cases = {
        tmp_path / "nowhere": "There is no file or folder",
        empty: "holds neither mnist.npz nor the four MNIST files",
        truncated: "is not a whole MNIST IDX file",
        no_gzip: "cannot be read",
        missing_key: "is not MNIST as Keras saves it",
        shapes: "MNIST's are uint8 (count, 28, 28)",
        tmp_path / "nowhere.npz": "There is no file or folder",
    }
    for path, said in cases.items():
        with pytest.raises((ValueError, FileNotFoundError)) as error:
            mnist_data.offline_mnist(path).load_data()
        assert said in str(error.value) and "\n" not in str(error.value), (path, error.value)


# A script run in a fresh Python that says at its exit the most memory it held: VmHWM, this process's own
# (getrusage's ru_maxrss would keep the forking test worker's size across the exec).
def test_an_npz_whose_headers_disagree_is_refused_before_its_data_is_read(tmp_path, digits):
    """x_train declared (300000, 28, 28) of deflated zeros beside 600 real labels: mnist.py read the 235 MB
    before it said the counts differ (issue 43 N2: 2.4 GB for 3,000,000). The headers are checked against
    each other first: one sentence, exit 1, the process's peak under 200 MB."""
    import zipfile

    from support import run_with_peak

    if not Path("/proc/self/status").exists():
        pytest.skip("the process's peak memory is read from /proc/self/status (Linux)")

    bomb = tmp_path / "bomb.npz"
    count = 300_000
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("x_train.npy", "w", force_zip64=True) as member:
            header = {"descr": "|u1", "fortran_order": False, "shape": (count, 28, 28)}
            np.lib.format.write_array_header_1_0(member, header)
            zeros = bytes(28 * 28 * 1000)
            for _ in range(count // 1000):
                member.write(zeros)
        for key in ("y_train", "x_test", "y_test"):
            with archive.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, digits[key])
    assert bomb.stat().st_size < 2_000_000

    def mnist_py(data):
        """`python mnist.py --data DATA` in a fresh Python: (the process, its peak memory in kB)."""
        return run_with_peak("mnist.py", "--data", data, cwd=tmp_path)

    process, peak = mnist_py(bomb)
    said = f"{bomb} has 300,000 train images but {len(digits['y_train']):,} train labels"
    assert process.returncode == 1 and said in process.stderr, process.stderr
    assert "Traceback" not in process.stderr
    assert peak < 200_000, peak
    # The same from the four IDX files: the images' header promises 300,000 (gzip holds them in 230 KB).
    folder = write_idx_folder(tmp_path / "idx", digits)
    images = gzip.compress(idx_header((count, 28, 28)) + bytes(count * 28 * 28), compresslevel=1)
    (folder / f"{IDX_FILES['x_train']}.gz").write_bytes(images)
    process, peak = mnist_py(folder)
    assert process.returncode == 1 and "has 300,000 train images but" in process.stderr, process.stderr
    assert peak < 200_000
