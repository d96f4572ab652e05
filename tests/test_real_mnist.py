"""Tests on the real MNIST, read from $MNIST_DATA (CI points it at ../shared/mnist)."""

import os
import re

import numpy as np
import pytest
from conftest import clean_env, epoch_figures, run_script

from mnist_helpers.mnist_data import describe, is_canonical, load_data

MNIST_DATA = os.environ.get("MNIST_DATA")
pytestmark = [
    pytest.mark.real_mnist,
    pytest.mark.skipif(not MNIST_DATA, reason="MNIST_DATA is not set: point it at a folder with the real MNIST files"),
]


@pytest.fixture(scope="module")
def mnist():
    (x_train, y_train), (x_test, y_test) = load_data(MNIST_DATA, log=None)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def test_loader_returns_the_published_mnist(mnist):
    assert mnist["x_train"].shape == (60000, 28, 28) and mnist["x_test"].shape == (10000, 28, 28)
    assert all(array.dtype == np.uint8 for array in mnist.values())
    assert is_canonical(mnist)
    assert "verified" in describe(mnist, MNIST_DATA)
    assert np.bincount(mnist["y_train"]).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(mnist["y_test"]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert mnist["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_a_changed_pixel_is_not_verified(mnist):
    changed = dict(mnist, x_test=mnist["x_test"].copy())
    changed["x_test"][0, 0, 0] ^= 1
    assert not is_canonical(changed)


def test_default_run_reaches_95_5_percent_and_repeats_exactly(tmp_path):
    import keras

    env = clean_env(MNIST_DATA=MNIST_DATA)
    runs = [run_script("mnist_learn.py", "--save-model", tmp_path / f"run{i}.keras", env=env) for i in (1, 2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    first, second = (run.stdout for run in runs)
    assert "verified: matches the published checksums" in first
    assert "5 epochs × 469 batches of 128 = 2,345 gradient updates" in first
    accuracy = float(re.search(r"^test accuracy: (0\.\d{4})$", first, re.M).group(1))
    assert accuracy >= 0.955
    assert epoch_figures(first) == epoch_figures(second) and len(epoch_figures(first)) == 7  # 5 epochs, 2 test lines
    weights = [keras.saving.load_model(tmp_path / f"run{i}.keras").get_weights() for i in (1, 2)]
    for a, b in zip(*weights, strict=True):
        assert a.tobytes() == b.tobytes()


def test_subset_runs_repeat_bit_for_bit(mnist, tmp_path):
    """Two separate processes on a 5,000-digit subset of the real data end with identical weights."""
    import keras

    subset = tmp_path / "subset.npz"
    np.savez(
        subset,
        x_train=mnist["x_train"][:5000],
        y_train=mnist["y_train"][:5000],
        **{"x_test": mnist["x_test"][:1000], "y_test": mnist["y_test"][:1000]},
    )
    for i in (1, 2):
        run = run_script(
            "mnist_learn.py", "--data", subset, "--epochs", 2, "--quiet", "--save-model", tmp_path / f"s{i}.keras"
        )
        assert run.returncode == 0, run.stderr
    weights = [keras.saving.load_model(tmp_path / f"s{i}.keras").get_weights() for i in (1, 2)]
    for a, b in zip(*weights, strict=True):
        assert a.tobytes() == b.tobytes()
