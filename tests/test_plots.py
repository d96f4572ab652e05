"""The pictures: each is a real, non-blank PNG, the confusion matrix draws the right numbers, and
runs that draw nothing never load Matplotlib."""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, assert_clean_failure, clean_env, run_script
from PIL import Image

os.environ.setdefault("MPLBACKEND", "Agg")
plotting = pytest.importorskip("mnist_helpers.plotting")


def assert_real_png(path, size):
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == size
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 10, f"{path} looks blank"


@pytest.fixture
def run_like(digits):
    """What a small training run hands to the pictures: history, test digits, probabilities, weights."""
    rng = np.random.default_rng(0)
    labels = digits["y_test"]
    probabilities = rng.dirichlet(np.ones(10), size=len(labels))
    probabilities[np.arange(len(labels) // 2), labels[: len(labels) // 2]] += 5  # the first half right
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    history = {"loss": [1.2, 0.8, 0.6], "accuracy": [0.6, 0.7, 0.8], "val_loss": [1.0, 0.9, 0.95]}
    history["val_accuracy"] = [0.65, 0.7, 0.68]
    return history, digits["x_test"], labels, probabilities, rng.normal(size=(784, 32))


def test_each_picture_is_a_real_png(run_like, tmp_path):
    paths = plotting.save_training_pictures(tmp_path, *run_like)
    assert [p.name for p in paths] == list(plotting.PICTURES)
    sizes = {"learning_curves.png": (1100, 450), "confusion_matrix.png": (750, 650), "mistakes.png": (900, 950)}
    sizes["hidden_units.png"] = (840, 920)  # 32 units: a 6 × 6 grid
    for path in paths:
        assert_real_png(path, sizes[path.name])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(plotting.PICTURES)  # no temporary files left


def test_confusion_numbers_drawn_match_an_independent_count(run_like):
    _, _, labels, probabilities, _ = run_like
    predicted = probabilities.argmax(axis=1)
    expected = np.zeros((10, 10), dtype=int)
    for true, guess in zip(labels, predicted):
        expected[true, guess] += 1
    figure = plotting.confusion_figure(plotting.confusion_matrix(labels, predicted))
    drawn = np.zeros((10, 10), dtype=int)
    for text in figure.axes[0].texts:
        x, y = text.get_position()
        drawn[round(y), round(x)] = int(text.get_text())
    np.testing.assert_array_equal(drawn, expected)
    assert f"{np.trace(expected):,} of {len(labels):,}" in figure.get_suptitle()


def test_hidden_units_grid_for_any_count(tmp_path):
    for units in (1, 7, 784):
        figure = plotting.hidden_units_figure(np.random.default_rng(units).normal(size=(784, units)))
        plotting.save_figure(figure, tmp_path / f"{units}.png")
        with Image.open(tmp_path / f"{units}.png") as image:
            assert image.width >= 300 and image.height >= 300
            assert np.asarray(image.convert("L"), dtype=float).std() > 10


def test_training_run_writes_four_pictures(idx_folder, tmp_path):
    result = run_script("mnist_learn.py", "--data", idx_folder, "--epochs", 1, "--quiet", "--plots", tmp_path / "p")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == sorted(plotting.PICTURES)
    assert f"Pictures in {tmp_path / 'p'}/" in result.stdout


def test_no_plots_writes_nothing_and_never_imports_matplotlib(idx_folder, tmp_path):
    """Run the script in a Python that, at the moment the script exits, lists the modules really loaded."""
    args = [
        "mnist_learn.py",
        "--data",
        str(idx_folder),
        "--epochs",
        "1",
        "--quiet",
        "--no-plots",
        "--plots",
        str(tmp_path / "p"),
    ]
    probe = (
        "import os, runpy, sys, types\n"
        "real_exit = os._exit\n"
        "def exit_and_report(code):\n"
        "    loaded = [n for n, m in sys.modules.items() if n.split('.')[0] == 'matplotlib' and isinstance(m, types.ModuleType)]\n"
        "    print('loaded:', loaded, 'keras' in sys.modules, flush=True)\n"
        "    real_exit(code)\n"
        "os._exit = exit_and_report\n"
        f"sys.argv = {args!r}\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=clean_env(), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "loaded: [] True"
    assert not (tmp_path / "p").exists()


def test_unwritable_plots_folder_fails_before_training(idx_folder, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_script("mnist_learn.py", "--data", idx_folder, "--plots", blocker / "p")
    assert_clean_failure(result, "Cannot write the pictures", str(blocker))
    assert "Epoch" not in result.stdout and "Data:" not in result.stdout
