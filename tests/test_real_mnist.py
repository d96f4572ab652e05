"""Tests on the real MNIST, read from $MNIST_DATA (CI points it at ../shared/mnist)."""

import os
import re

import numpy as np
import pytest
from PIL import Image
from conftest import clean_env, epoch_figures, run_script

from mnist_helpers.cli import silent
from mnist_helpers.mnist_data import describe, is_canonical, load_data

MNIST_DATA = os.environ.get("MNIST_DATA")
pytestmark = [
    pytest.mark.real_mnist,
    pytest.mark.skipif(not MNIST_DATA, reason="MNIST_DATA is not set: point it at a folder with the real MNIST files"),
]


@pytest.fixture(scope="module")
def mnist():
    (x_train, y_train), (x_test, y_test) = load_data(MNIST_DATA, log=silent)
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


@pytest.fixture(scope="module")
def default_runs(tmp_path_factory):
    """Two runs of `python mnist_learn.py` with the defaults, each saving its model: [(process, model path)]."""
    folder = tmp_path_factory.mktemp("default")
    env = clean_env(MNIST_DATA=MNIST_DATA)
    runs = [run_script("mnist_learn.py", "--save-model", folder / f"run{i}.keras", env=env) for i in (1, 2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    return [(run, folder / f"run{i}.keras") for i, run in zip((1, 2), runs)]


def test_default_run_reaches_95_5_percent_and_repeats_exactly(default_runs):
    import keras

    first, second = (run.stdout for run, _ in default_runs)
    assert "verified: matches the published checksums" in first
    assert "5 epochs × 469 batches of 128 = 2,345 gradient updates" in first
    accuracy = float(re.search(r"^test accuracy: (0\.\d{4})$", first, re.M).group(1))
    assert accuracy >= 0.955
    assert epoch_figures(first) == epoch_figures(second) and len(epoch_figures(first)) == 7  # 5 epochs, 2 test lines
    weights = [keras.saving.load_model(path).get_weights() for _, path in default_runs]
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


def scan(digit, rng) -> Image.Image:
    """An MNIST digit as a phone or scanner would see it written on paper: enlarged ×6-10, dark ink
    on light grey paper, off-centre on a larger page, with sensor noise."""
    scale = int(rng.integers(6, 11))
    side = 28 * scale
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR), np.float32) / 255
    height, width = side + rng.integers(40, 240, size=2)
    paper, pen = rng.uniform(0.72, 0.9), rng.uniform(0.05, 0.3)
    sheet = np.full((height, width), paper, np.float32)
    top, left = rng.integers(0, height - side), rng.integers(0, width - side)
    sheet[top : top + side, left : left + side] = paper * (1 - ink) + pen * ink
    sheet += rng.normal(0, 0.03, sheet.shape)
    return Image.fromarray((np.clip(sheet, 0, 1) * 255).round().astype(np.uint8))


def test_photos_of_digits_read_within_2_points_of_mnist_itself(mnist, default_runs, tmp_path):
    """500 test digits rendered as scans, saved as JPEG and read by predict.py, against the same model
    on the raw 28×28 digits."""
    import keras

    rng = np.random.default_rng(2026)
    chosen = rng.choice(len(mnist["x_test"]), 500, replace=False)
    paths = []
    for i in chosen:
        paths.append(tmp_path / f"digit{i}.jpg")
        scan(mnist["x_test"][i], rng).save(paths[-1], quality=85)
    model_path = default_runs[0][1]
    result = run_script("predict.py", *paths, "--model", model_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    read = [int(match) for match in re.findall(r"^\S+\.jpg: (\d) ", result.stdout, re.M)]
    assert len(read) == len(chosen)
    labels = mnist["y_test"][chosen]
    scans_accuracy = np.mean(np.array(read) == labels)
    model = keras.saving.load_model(model_path)
    raw = mnist["x_test"][chosen].reshape(-1, 784).astype("float32") / 255
    raw_accuracy = np.mean(model.predict(raw, verbose=0).argmax(axis=1) == labels)
    print(
        f"\nthe same 500 test digits: raw 28×28 {raw_accuracy:.1%}, as JPEG scans through predict.py {scans_accuracy:.1%}"
    )
    assert scans_accuracy >= raw_accuracy - 0.02
