"""Shared test fixtures: small synthetic digit sets the tests draw themselves, the real MNIST when
MNIST_DATA points at it, the lesson run in this process through its seam, and script runners.

The synthetic digits are the characters 0-9 drawn with Pillow's font at random offsets, so a
network can really learn them; they are written as gzipped IDX files (as MNIST ships) and as
an .npz (as Keras caches it). Most tests call the scripts' functions in this process; a few run
a script in a fresh Python, where the command line itself (exit codes, messages, Ctrl-C) is tested.
"""

import base64
import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

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
from PIL import Image, ImageDraw, ImageFont

from mnist_helpers import backend
from mnist_helpers.data import write_idx


def pytest_configure(config):
    """Keras on the backend the scripts would choose, quietly, before any test module imports it: in each
    process that runs tests. The -n 2 controller only hands tests out; TensorFlow's import there kept the
    workers waiting 3 s (bench/README.md, "The suite")."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not config.getoption("numprocesses", None):
        backend.import_keras_quietly()


ROOT = Path(__file__).resolve().parent.parent
TRAIN_COUNT = 600
TEST_COUNT = 200
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def draw_digits(count: int, seed: int):
    """``count`` 28×28 uint8 images of the digits 0-9 (white on black, as MNIST) and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 10).astype(np.uint8)
    font = ImageFont.load_default(size=20)
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        picture = Image.new("L", (28, 28), 0)
        dx, dy = rng.integers(-3, 4, size=2)
        ImageDraw.Draw(picture).text((14 + dx, 14 + dy), str(label), fill=255, font=font, anchor="mm")
        images[i] = np.asarray(picture)
    return images, labels


@pytest.fixture(scope="session")
def digits():
    """{"x_train", "y_train", "x_test", "y_test"} of synthetic digits."""
    x_train, y_train = draw_digits(TRAIN_COUNT, seed=1)
    x_test, y_test = draw_digits(TEST_COUNT, seed=2)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def write_idx_folder(folder: Path, arrays: dict, suffix: str = ".gz", names: dict = IDX_FILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in names.items():
        write_idx(folder / f"{name}{suffix}", arrays[key])
    return folder


@pytest.fixture(scope="session")
def idx_folder(tmp_path_factory, digits):
    """A folder with the four synthetic IDX files, gzipped: the layout of ../shared/mnist."""
    return write_idx_folder(tmp_path_factory.mktemp("idx"), digits)


@pytest.fixture(scope="session")
def npz_file(tmp_path_factory, digits):
    path = tmp_path_factory.mktemp("npz") / "mnist.npz"
    np.savez(path, **digits)
    return path


SMALL_RUN = ("--epochs", 5, "--batch-size", 10)  # 300 updates: enough to learn the synthetic digits
MNIST_DATA = os.environ.get("MNIST_DATA") and os.path.abspath(os.environ["MNIST_DATA"])  # scripts run in other folders
needs_mnist = pytest.mark.skipif(
    not MNIST_DATA, reason="MNIST_DATA is not set: point it at a folder with the real MNIST files"
)
# The tests that use the default run on the real MNIST share one worker: each worker that asks for
# `default_run` trains it (20 s), so they are kept together.
on_the_default_run = pytest.mark.xdist_group("default_run")


def as_data(arrays: dict):
    """{"x_train": ...} as load_data returns it: ((x_train, y_train), (x_test, y_test))."""
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def train_here(*flags, data):
    """The lesson in this process: mnist_learn.py itself, run with these flags (and --no-plots) on this data."""
    from mnist_helpers.lesson import run_lesson, settings
    from mnist_helpers.model import result

    return result(run_lesson(settings(*flags, "--no-plots"), data=data))


@pytest.fixture(scope="session")
def synthetic_run(digits, tmp_path_factory):
    """The lesson trained on the synthetic digits in this process, its model saved as mnist_learn.py
    --save-model does: (the Result, the model's path)."""
    from mnist_helpers.model import save_model

    result = train_here(*SMALL_RUN, "--quiet", data=as_data(digits))
    path = tmp_path_factory.mktemp("model") / "synthetic.keras"
    save_model(result.model, path)
    return result, path


on_the_fresh_run = pytest.mark.xdist_group("fresh_run")  # its tests share the one run


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


def run_listing_modules(script, *args, cwd):
    """Run a script as `python SCRIPT ARGS` does, and print at its exit which Matplotlib modules were loaded."""
    probe = (
        "import atexit, os, runpy, sys, types\n"
        "def report():\n"
        "    loaded = [n for n, m in sys.modules.items() if n.split('.')[0] == 'matplotlib' and isinstance(m, types.ModuleType)]\n"
        "    print('loaded:', loaded, 'keras' in sys.modules, flush=True)\n"
        "atexit.register(report)\n"
        f"sys.argv = {[str(ROOT / script), *map(str, args)]!r}\n"
        "sys.path.insert(0, os.path.dirname(sys.argv[0]))\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=clean_env(), cwd=cwd)


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST from $MNIST_DATA, read once, as load_data returns it."""
    if not MNIST_DATA:
        pytest.skip("MNIST_DATA is not set: point it at a folder with the real MNIST files")
    from mnist_helpers.flags import silent
    from mnist_helpers.data import load_data

    return load_data(MNIST_DATA, log=silent)


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """`python mnist_learn.py --save-model PATH --no-plots` on the real MNIST, in a fresh Python, as a reader
    runs it: (what it printed and saved: process, model, test_accuracy; the saved model's path). That
    the same run in this process gives the same bits is tested on the synthetic digits (`fresh_run`)."""
    import keras

    from types import SimpleNamespace

    if not MNIST_DATA:
        pytest.skip("MNIST_DATA is not set: point it at a folder with the real MNIST files")
    path = tmp_path_factory.mktemp("default") / "default.keras"
    process = run_script("mnist_learn.py", "--save-model", path, "--no-plots", env=clean_env(MNIST_DATA=MNIST_DATA))
    assert process.returncode == 0, process.stderr
    accuracy = float(re.search(r"^test accuracy: (0\.\d+)$", process.stdout, re.M).group(1))
    return SimpleNamespace(process=process, model=keras.saving.load_model(path), test_accuracy=accuracy), path


def clean_env(**extra):
    """The environment for a script run: no MNIST_DATA, no network (a dead proxy), Keras home in a temp dir."""
    env = {k: v for k, v in os.environ.items() if k not in ("MNIST_DATA", "TF_CPP_MIN_LOG_LEVEL")}
    env.update(MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def offline_env(tmp_path):
    """No MNIST anywhere: no MNIST_DATA, an empty Keras home, and no network (a proxy on a closed port)."""
    (tmp_path / "keras").mkdir(exist_ok=True)  # a writable Keras home: Keras' fallback in /tmp is not used
    dead = "http://127.0.0.1:9"
    return clean_env(
        KERAS_HOME=tmp_path / "keras",
        HOME=tmp_path,
        https_proxy=dead,
        HTTPS_PROXY=dead,
        http_proxy=dead,
        HTTP_PROXY=dead,
    )


def run_script(script, *args, env=None, cwd=None, timeout=300):
    """Run one of the project's scripts in a fresh Python, as a user would, by default in an empty folder."""
    path = script if Path(script).is_absolute() else ROOT / script
    cwd = cwd or tempfile.mkdtemp(prefix="run-")
    return subprocess.run(
        [sys.executable, str(path), *map(str, args)],
        capture_output=True,
        text=True,
        env=env or clean_env(),
        cwd=cwd,
        timeout=timeout,
    )


def epoch_figures(output: str) -> list[str]:
    """Each epoch's closing figures and the test figures a run printed; the progress in between depends on timing."""
    epochs = re.findall(r"accuracy: \d\.\d+ - loss: \d+\.\d+ - val_accuracy: \d\.\d+ - val_loss: \d+\.\d+", output)
    return epochs + re.findall(r"^test (?:loss|accuracy): .*$", output, re.M)


def uncoloured(text: str) -> str:
    """``text`` without the terminal's colours and bold (ANSI escape codes), as a reader reads it."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def progress_counts(output: str) -> list[tuple[int, int]]:
    """Every 'done/total' count Keras' progress bars printed."""
    return [(int(done), int(total)) for done, total in re.findall(r"(\d+)/(\d+) ━", uncoloured(output))]


def assert_clean_failure(result, *expected_in_message, exit_code=None):
    """A user error: non-zero exit, no traceback, one 'error:' line naming the problem."""
    assert result.returncode != 0, result.stdout + result.stderr
    if exit_code is not None:
        assert result.returncode == exit_code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    message = result.stderr[result.stderr.index("error:") :]  # a long message goes on as a short list
    for text in expected_in_message:
        assert text in message, message


def page_weights(script: str) -> list:
    """w1, b1, w2, b2 of a weights.js as export_web.weights_script writes it, as float32 arrays."""
    found = re.findall(r'(\w+): \{shape: \[([\d, ]+)\], base64: "([^"]*)"\}', script)
    assert [name for name, _, _ in found] == ["w1", "b1", "w2", "b2"], found
    return [
        np.frombuffer(base64.b64decode(data), dtype="<f4").reshape([int(n) for n in shape.split(",")]).copy()
        for _, shape, data in found
    ]


def page_sample(script: str) -> tuple:
    """The digits and labels of a sample.js as export_web.sample_script writes it: uint8 (n, 28, 28), (n,)."""
    count = int(re.search(r"count: (\d+)", script).group(1))
    columns = int(re.search(r"columns: (\d+)", script).group(1))
    labels = np.array([int(c) for c in re.search(r'labels: "(\d*)"', script).group(1)])
    png = base64.b64decode(re.search(r'png: "data:image/png;base64,([^"]*)"', script).group(1))
    sheet = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    rows = sheet.reshape(-1, 28, columns, 28).transpose(0, 2, 1, 3).reshape(-1, 28, 28)
    return rows[:count], labels
