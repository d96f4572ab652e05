"""mnist_by_hand.py: the training loop written out in NumPy, checked step by step against Keras."""

import re
import subprocess
import sys

import numpy as np
import pytest
from support import MNIST_DATA, ROOT, as_data, clean_env, needs_mnist, on_the_default_run, run_script

import mnist_by_hand
from mnist_helpers.lesson import parser_for, run_lesson, settings


@pytest.fixture(scope="module")
def one_batch(digits):
    """The same starting weights and the same batch of 128 digits for both."""
    rng = np.random.default_rng(5)
    weights = mnist_by_hand.initial_weights(rng, 32)
    x = digits["x_train"][:128].reshape(128, 784).astype("float32") / 255
    y = np.eye(10, dtype="float32")[digits["y_train"][:128]]
    return weights, x, y


def keras_twin(weights, optimizer="rmsprop"):
    import keras

    keras.backend.clear_session(free_memory=False)  # as run_lesson does: no full collection each time
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    model.set_weights([w.copy() for w in weights])
    return model


def test_loss_and_every_gradient_equal_keras(one_batch):
    """Keras' own gradients, on any backend: one step of plain gradient descent with a learning rate
    of 1 moves each weight by exactly minus its gradient."""
    import keras

    weights, x, y = one_batch
    model = keras_twin(weights, optimizer=keras.optimizers.SGD(learning_rate=1.0))
    keras_loss = model.train_on_batch(x, y, return_dict=True)["loss"]  # the loss before the step
    keras_gradients = [before - after for before, after in zip(weights, model.get_weights(), strict=True)]
    loss, gradients, _ = mnist_by_hand.loss_and_gradients(weights, x, y)
    np.testing.assert_allclose(loss, float(keras_loss), atol=1e-5)
    for name, ours, theirs in zip(("w1", "b1", "w2", "b2"), gradients, keras_gradients, strict=True):
        assert ours.shape == theirs.shape, name
        np.testing.assert_allclose(ours, theirs, atol=1e-5, err_msg=name)
    assert np.abs(gradients[0]).max() > 1e-3  # a real gradient, not zeros compared with zeros


def test_one_rmsprop_update_equals_keras(one_batch):
    weights, x, y = one_batch
    model = keras_twin(weights)
    model.train_on_batch(x, y)  # Keras' own step: forward, loss, backward, RMSprop
    ours = [w.copy() for w in weights]
    _, gradients, _ = mnist_by_hand.loss_and_gradients(ours, x, y)
    mnist_by_hand.rmsprop_update(ours, [np.zeros_like(w) for w in ours], gradients)
    for name, mine, theirs in zip(("w1", "b1", "w2", "b2"), ours, model.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, atol=1e-5, err_msg=name)
        assert not np.array_equal(mine, weights[("w1", "b1", "w2", "b2").index(name)])  # it did move


def test_the_starting_weights_are_keras_scheme():
    """Glorot-uniform kernels within ±sqrt(6 / (in + out)), zero biases, the shapes Keras builds."""
    w1, b1, w2, b2 = mnist_by_hand.initial_weights(np.random.default_rng(0), 32)
    assert (w1.shape, b1.shape, w2.shape, b2.shape) == ((784, 32), (32,), (32, 10), (10,))
    assert np.abs(w1).max() <= np.sqrt(6 / 816) and np.abs(w1).max() > 0.9 * np.sqrt(6 / 816)
    assert not b1.any() and not b2.any()


def test_it_learns_and_prints_the_lessons_lines(digits, capsys):
    settings = mnist_by_hand.parse_args([*map(str, ("--epochs", 5, "--batch-size", 10))])
    result = mnist_by_hand.train(settings, as_data(digits))
    out = capsys.readouterr().out
    assert "Shapes after reshape, to_categorical and scaling:" in out
    assert "Network: 784 inputs → Dense(32, relu) → Dense(10, softmax), 25,450 weights." in out
    assert "5 epochs × 60 batches of 10 = 300 gradient updates" in out
    assert out.count("Epoch ") == 5 and "val_accuracy" in out
    assert result.test_accuracy > 0.5 and result.updates == 300


def test_same_constants_and_flags_as_the_lesson(digits):
    lesson = run_lesson(settings("--quiet", "--no-plots"), data=as_data(digits))  # mnist_learn.py's own constants
    assert (
        lesson["EPOCHS"],
        lesson["BATCH_SIZE"],
        lesson["HIDDEN_UNITS"],
    ) == (mnist_by_hand.EPOCHS, mnist_by_hand.BATCH_SIZE, mnist_by_hand.HIDDEN_UNITS)
    flags = ["--epochs", "3", "--batch-size", "64", "--hidden-units", "16", "--seed", "9", "--data", "d"]
    ours, theirs = vars(mnist_by_hand.parse_args(flags)), vars(parser_for(lesson).parse_args(flags))
    assert {key: ours[key] for key in ("epochs", "batch_size", "hidden_units", "seed", "data")} == {
        key: theirs[key] for key in ("epochs", "batch_size", "hidden_units", "seed", "data")
    }


def test_starts_without_tensorflow(idx_folder):
    """-X importtime lists every module the run imported."""
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            str(ROOT / "mnist_by_hand.py"),
            "--data",
            str(idx_folder),
            "--epochs",
            "1",
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "import time:" in line]
    assert "numpy" in imported and not [name for name in imported if name.split(".")[0] in ("tensorflow", "keras")]
    assert "test accuracy: " in result.stdout


@needs_mnist
@on_the_default_run
def test_five_epochs_on_mnist_within_half_a_point_of_the_lesson_and_repeatable(mnist, default_run):
    lesson, _ = default_run
    result = mnist_by_hand.train(mnist_by_hand.parse_args(["--quiet"]), mnist)
    assert result.test_accuracy >= 0.95
    assert abs(result.test_accuracy - lesson.test_accuracy) <= 0.005, (result.test_accuracy, lesson.test_accuracy)
    again = run_script("mnist_by_hand.py", env=clean_env(MNIST_DATA=MNIST_DATA))
    assert again.returncode == 0 and again.stderr == "", again.stderr  # no warnings
    assert f"test accuracy: {result.test_accuracy:.4f}" in again.stdout  # the same seed, the same figures
    assert f"test loss: {result.test_loss:.4f}" in again.stdout
    quoted = float(
        re.search(r"ends at test accuracy \*\*(0\.\d{4})\*\*", (ROOT / "docs" / "by_hand.md").read_text()).group(1)
    )
    assert abs(quoted - result.test_accuracy) <= 0.00015  # the docs' figure, up to another machine's last digit
