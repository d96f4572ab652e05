"""The model: the fit's shape check that explains the post's two errors before fit, the shape facts the post
prints, and why the network answered so: each pixel's share of a score (mnist_helpers/model.py)."""

import numpy as np
import pytest
from support import ROOT, page_weights

from mnist_helpers.data import shape_table
from mnist_helpers.errors import UserError
from mnist_helpers.model import check_fit_inputs, layer_kinds, network_weights, pixel_contributions


class FakeShapes:
    """Only what check_fit_inputs reads from a model (the real model is checked end to end)."""

    input_shape = (None, 784)
    output_shape = (None, 10)


def test_shape_table_shows_the_posts_facts():
    x_train = np.zeros((60, 28, 28), dtype=np.uint8)
    x_train[0, 3, 4] = 255
    y_test = np.array([7, 2, 1], dtype=np.uint8)
    table = shape_table({"x_train": x_train, "x_train[0]": x_train[0], "y_test": y_test, "y_test[0]": y_test[0]})
    rows = [line.split(None, 2) for line in table.splitlines()]
    assert rows[1][:2] == ["x_train", "3"] and "(60, 28, 28)  uint8  0 to 255" in table
    assert rows[2][:2] == ["x_train[0]", "2"] and "(28, 28)" in rows[2][2]
    assert rows[3][:2] == ["y_test", "1"] and "(3,)" in rows[3][2]
    assert rows[4][:2] == ["y_test[0]", "0"] and rows[4][2].startswith("()") and rows[4][2].endswith("7")


def test_images_not_reshaped_names_array_shapes_and_fix():
    with pytest.raises(UserError) as raised:
        check_fit_inputs(FakeShapes, np.zeros((60000, 28, 28), "float32"), np.zeros((60000, 10)), "x_train", "y_train")
    message = str(raised.value)
    assert "x_train has shape (60000, 28, 28)" in message
    assert "(samples, 784)" in message
    assert "x_train = x_train.reshape((60000, 28 * 28))" in message


def test_labels_not_one_hot_names_array_shapes_and_fix():
    with pytest.raises(UserError) as raised:
        check_fit_inputs(FakeShapes, np.zeros((10000, 784), "float32"), np.zeros(10000, "uint8"), "x_test", "y_test")
    message = str(raised.value)
    assert "y_test has shape (10000,)" in message and "(samples, 10)" in message
    assert "y_test = to_categorical(y_test)" in message


def test_raw_integer_pixels_pass_and_mismatched_lengths_do_not():
    check_fit_inputs(
        FakeShapes, np.zeros((5, 784), "uint8"), np.zeros((5, 10)), "x_train", "y_train"
    )  # the post's first runs
    with pytest.raises(UserError, match="x_train has 5 samples but y_train has 4"):
        check_fit_inputs(FakeShapes, np.zeros((5, 784), "float32"), np.zeros((4, 10)), "x_train", "y_train")


def test_correct_inputs_pass():
    check_fit_inputs(FakeShapes, np.zeros((5, 784), "float32"), np.zeros((5, 10), "float32"), "x_train", "y_train")


def test_the_contributions_of_every_digit_give_keras_probabilities(synthetic_run, digits):
    """For each test digit, the ten sums of pixel contributions plus their constants are the ten scores:
    their softmax is what Keras' model predicts."""
    result, _ = synthetic_run
    weights = network_weights(result.model)
    x = digits["x_test"][:20].reshape(20, 784).astype("float32") / 255
    predicted = result.model.predict(x, verbose=0)
    for pixels, probabilities in zip(x, predicted):
        scores = np.array(
            [sum(map(float, c)) + k for c, k in (pixel_contributions(weights, pixels, d) for d in range(10))]
        )
        exp = np.exp(scores - scores.max())
        np.testing.assert_allclose(exp / exp.sum(), probabilities, atol=1e-5)


def test_a_pixel_without_ink_contributes_nothing_and_the_map_changes_with_the_digit():
    weights = page_weights((ROOT / "web" / "weights.js").read_text())
    x = np.zeros(784, "float32")
    x[300:310] = 1.0
    seven, _ = pixel_contributions(weights, x, 7)
    one, _ = pixel_contributions(weights, x, 1)
    assert np.count_nonzero(seven) <= 10 and not seven[:300].any()
    assert not np.allclose(seven, one)


def test_models_built_otherwise_have_no_such_weights():
    import keras

    other = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(10)])
    assert network_weights(other) is None
    assert layer_kinds(other) == ["Dense(tanh)", "Dense(linear)"]


def test_a_model_whose_layers_have_other_names_passes_the_weights_check(tmp_path):
    """The weights check (issue 43 N1) reads the layers' shapes from config.json; the weights file names them
    as Keras saves them, by kind and order (dense, dense_1, ...), not by the names a session gave them
    (dense_3 ...): a good model made after others in one process was refused (found by test_web's export test,
    which passed or failed by the order the tests ran in)."""
    import keras

    from mnist_helpers.model import check_model_archive

    layers = [keras.layers.Dense(units, name=f"dense_{k}") for k, units in enumerate((16, 16, 10), 1)]
    model = keras.Sequential([keras.Input(shape=(784,)), *layers])  # saved as dense, dense_1, dense_2
    model.save(tmp_path / "named.keras")
    check_model_archive(tmp_path / "named.keras")  # no error: the shapes match the layers
