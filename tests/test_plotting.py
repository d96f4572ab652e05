"""The pictures: each is a real, non-blank PNG, the confusion matrix draws the right numbers, and
runs that draw nothing never load Matplotlib."""

import os

import re

import numpy as np
import pytest
from PIL import Image
from support import page, save

os.environ.setdefault("MPLBACKEND", "Agg")
import experiments  # noqa: E402
import mnist as mnist_py  # noqa: E402
import predict  # noqa: E402
from mnist_helpers import plotting  # noqa: E402
from mnist_helpers.lesson import PICTURES, run_lesson, settings  # noqa: E402


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
    paths = [tmp_path / name for name in PICTURES]
    plotting.save_training_pictures(paths, *run_like)
    sizes = {"learning_curves.png": (1100, 450), "confusion_matrix.png": (750, 650), "mistakes.png": (900, 950)}
    sizes["hidden_units.png"] = (670, 570)  # 32 units: a 6 × 6 grid
    for path in paths:
        assert_real_png(path, sizes[path.name])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(PICTURES)  # no temporary files left


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


@pytest.mark.parametrize("units", [1, 7, 64, 784])
def test_hidden_units_picture_for_any_count(tmp_path, units):
    kernel = np.random.default_rng(units).normal(size=(784, units))
    kernel[:, units // 2] *= 5  # one unit with far larger weights than the rest: it must be among those drawn
    figure = plotting.hidden_units_figure(kernel)
    title = figure.get_suptitle()
    plotting.save_figure(figure, tmp_path / f"{units}.png")
    path = tmp_path / f"{units}.png"
    with Image.open(path) as image:
        assert 250 <= image.width <= 900 and 250 <= image.height <= 900, image.size
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 10
    assert path.stat().st_size < 300_000
    rows = np.flatnonzero((pixels < 250).any(axis=1))
    assert rows[0] < 0.1 * len(pixels) and rows[-1] > 0.9 * len(pixels)  # no wide empty bands above or below
    if units > 64:
        assert "The 64 of 784 hidden units" in title and "largest weights" in title
        assert units // 2 in plotting.strongest_units(kernel)
    else:
        assert f"What the {units} hidden units look for" in title


def test_mistakes_say_what_the_figure_is(run_like):
    _, images, labels, probabilities, _ = run_like
    figure = plotting.mistakes_figure(images, labels, probabilities)
    first = next(text.get_text() for text in figure.axes[0].texts)
    assert re.fullmatch(r"true \d, read \d,\n\d{1,3}% sure", first), first
    figure.canvas.draw()  # issue 32: the grid sat 60 pixels under the title, in a figure taller than the grid
    first_titles = max(text.get_window_extent().y1 for text in figure.axes[0].texts)
    assert figure.get_suptitle() and figure._suptitle.get_window_extent().y0 - first_titles < 40


def test_a_quick_experiments_long_title_is_never_cut():
    history = {"accuracy": [0.9], "val_accuracy": [0.9]}
    title = "Experiment 'normalize' (" + experiments.quick_note(((range(3000), 0), (range(1000), 0))) + ")"
    figure = plotting.experiment_figure(title, ["quick: raw, 2 × 10, run for 1 epoch"], [0.5], [history])
    figure.canvas.draw()
    box = figure._suptitle.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width, (box, figure.bbox)
    assert " ".join(figure._suptitle.get_text().split()) == title


def test_experiment_bars_show_error_from_zero_on_one_scale():
    history = {"accuracy": [0.9, 0.95], "val_accuracy": [0.9, 0.95]}
    full = plotting.experiment_figure("Experiment 'hidden'", ["32", "512"], [0.9564, 0.9805], [history] * 2)
    other = plotting.experiment_figure("Experiment 'normalize'", ["raw", "scaled"], [0.7933, 0.9495], [history] * 2)
    quick = plotting.experiment_figure("quick", ["raw", "scaled"], [0.11, 0.75], [history] * 2)
    assert full.axes[0].get_ylim() == other.axes[0].get_ylim() == (0, 30)
    assert quick.axes[0].get_ylim() == (0, 100)
    assert [text.get_text() for text in full.axes[0].texts] == ["4.36%", "1.95%"]
    assert "error" in full.axes[0].get_ylabel()


def test_training_run_writes_four_pictures(idx_folder, tmp_path, capsys, monkeypatch):
    """The four pictures, of the network's answers as model.predict gives them: the confusion matrix's
    diagonal is the test accuracy the run printed."""
    drawn = []
    save = plotting.save_training_pictures
    monkeypatch.setattr(plotting, "save_training_pictures", lambda *args: drawn.append(args) or save(*args))
    lesson = run_lesson(settings("--data", idx_folder, "--epochs", "1", "--quiet", "--plots", tmp_path / "p"))
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == sorted(PICTURES)
    out = capsys.readouterr().out
    assert out.index("Drawing the pictures...") < out.index(f"Pictures in {tmp_path / 'p'}/")
    _, _, _, labels, probabilities, _ = drawn[0]
    predicted = lesson["model"].predict(lesson["x_test"], verbose=0)
    assert np.array_equal(probabilities.argmax(axis=1), predicted.argmax(axis=1))
    np.testing.assert_allclose(probabilities, predicted, rtol=0, atol=1e-6)
    assert abs((probabilities.argmax(axis=1) == labels).mean() - lesson["test_acc"]) < 1e-6


@pytest.fixture
def a_screen(monkeypatch):
    """Matplotlib as on a desktop: the check that decides says a window can open; every window opened is counted."""
    shown = []
    monkeypatch.setattr(plotting, "can_show_windows", lambda: True)
    monkeypatch.setattr(plotting.plt, "show", lambda *args, **kwargs: shown.append(args))
    return shown


def test_only_mnist_py_opens_a_window(a_screen, idx_folder, tmp_path, synthetic_run, capsys):
    run_lesson(settings("--data", idx_folder, "--epochs", "1", "--quiet", "--plots", tmp_path / "p"))
    experiments.main(["lecun", "--quick", "--quiet", "--data", str(idx_folder), "--out", str(tmp_path / "e")])
    save(page("3"), tmp_path / "three.png")
    predict.main(
        [str(tmp_path / "three.png"), "--model", str(synthetic_run[1]), "--show", "--out", str(tmp_path / "seen")]
    )
    assert a_screen == []
    mnist_py.main(["--data", str(idx_folder), "--save", str(tmp_path / "d.png")])
    assert len(a_screen) == 1
