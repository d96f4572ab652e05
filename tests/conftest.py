"""The suite's fixtures: the synthetic digits (as IDX files and an .npz), the real MNIST when MNIST_DATA points
at it, and the runs several tests share. The helpers they are made with are tests/support.py's."""

import os
import re

# One BLAS thread, as mnist_by_hand.py runs with: the thread count changes the last bits of NumPy's
# sums, and the tests compare by-hand runs in this process with runs of the script, bit for bit.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("VECLIB_MAXIMUM_THREADS", "1")
# One thread for each TensorFlow (its oneDNN kernels use OpenMP's threads) or XLA as well, in the two
# workers and in every script they run: the suite runs two workers on two cores, and two TensorFlows
# each spreading over both cores made the whole suite 30% slower (126-133 s against 98 s,
# bench/README.md, "The suite"). What a test asserts does not depend on it: runs compared bit for bit
# run here under the same setting, and comparisons with committed figures allow for rounding.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402  (after the thread count it reads)
import pytest
from support import MNIST_DATA, SMALL_RUN, TEST_COUNT, TRAIN_COUNT, as_data, clean_env, draw_digits, run_listing_modules
from support import run_script, train_here, write_idx_folder

from mnist_helpers import backend


def pytest_configure(config):
    """Keras on the backend the scripts would choose, quietly, before any test module imports it: in each
    process that runs tests. The -n 2 controller only hands tests out; TensorFlow's import there kept the
    workers waiting 3 s (bench/README.md, "The suite")."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not config.getoption("numprocesses", None):
        backend.import_keras_quietly()


def pytest_collection_modifyitems(items):
    """The tests that share a costly run (an xdist group, taken by one worker as a whole) first: handed out
    last, one of them kept a worker busy for half a minute after the other had run out of work."""
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)  # stable: files keep their order


@pytest.fixture(scope="session")
def digits():
    """{"x_train", "y_train", "x_test", "y_test"} of synthetic digits."""
    x_train, y_train = draw_digits(TRAIN_COUNT, seed=1)
    x_test, y_test = draw_digits(TEST_COUNT, seed=2)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


@pytest.fixture(scope="session")
def idx_folder(tmp_path_factory, digits):
    """A folder with the four synthetic IDX files, gzipped: the layout of ../shared/mnist."""
    return write_idx_folder(tmp_path_factory.mktemp("idx"), digits)


@pytest.fixture(scope="session")
def npz_file(tmp_path_factory, digits):
    path = tmp_path_factory.mktemp("npz") / "mnist.npz"
    np.savez(path, **digits)
    return path


@pytest.fixture(scope="session")
def synthetic_run(digits, tmp_path_factory):
    """The lesson trained on the synthetic digits in this process, its model saved as mnist_learn.py
    --save-model does: (the Result, the model's path)."""
    from mnist_helpers.model import save_model

    result = train_here(*SMALL_RUN, "--quiet", data=as_data(digits))
    path = tmp_path_factory.mktemp("model") / "synthetic.keras"
    save_model(result.model, path)
    return result, path


@pytest.fixture(scope="session")
def fresh_run(idx_folder, tmp_path_factory):
    """``python mnist_learn.py`` in a fresh Python on the synthetic digits, with --save-model and --no-plots:
    (its process, the saved model, the --plots folder it must not create). The end-to-end run that the
    tests of the command line and of the backend's first line share."""
    from types import SimpleNamespace

    folder = tmp_path_factory.mktemp("fresh")
    model, plots = folder / "fresh.keras", folder / "p"
    args = [*SMALL_RUN, "--data", idx_folder, "--save-model", model, "--no-plots", "--plots", plots]
    process = run_listing_modules("mnist_learn.py", *args, cwd=folder)  # its row goes to folder/runs.csv
    return SimpleNamespace(process=process, model=model, plots=plots, folder=folder)


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST from $MNIST_DATA, read once, as load_data returns it."""
    if not MNIST_DATA:
        pytest.skip("MNIST_DATA is not set: point it at a folder with the real MNIST files")
    from mnist_helpers.flags import silent
    from mnist_helpers.data import load_data

    return load_data(MNIST_DATA, log=silent)


@pytest.fixture(scope="session")
def default_run(tmp_path_factory, worker_id):
    """`python mnist_learn.py --save-model PATH --no-plots` on the real MNIST, in a fresh Python, as a reader
    runs it: (what it printed and saved: process, model, test_accuracy; the saved model's path). Trained once
    for the session: the first worker to ask runs it, under a lock on the session's folder, and the other
    reads what it left. That the same run in this process gives the same bits is tested on the synthetic
    digits (`fresh_run`)."""
    import json
    import subprocess
    from types import SimpleNamespace

    import keras

    from mnist_helpers.plumbing.files import exclusive

    if not MNIST_DATA:
        pytest.skip("MNIST_DATA is not set: point it at a folder with the real MNIST files")
    shared = tmp_path_factory.getbasetemp()
    shared = shared if worker_id == "master" else shared.parent  # the session's folder, every worker's
    path, said = shared / "default.keras", shared / "default.json"
    with exclusive(shared):
        if not said.exists():
            run = run_script("mnist_learn.py", "--save-model", path, "--no-plots", env=clean_env(MNIST_DATA=MNIST_DATA))
            said.write_text(json.dumps({"returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr}))
    process = subprocess.CompletedProcess(["mnist_learn.py"], **json.loads(said.read_text()))
    assert process.returncode == 0, process.stderr
    accuracy = float(re.search(r"^test accuracy: (0\.\d+)$", process.stdout, re.M).group(1))
    return SimpleNamespace(process=process, model=keras.saving.load_model(path), test_accuracy=accuracy), path
