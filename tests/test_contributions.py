"""Why the network answered so: each pixel's share of a score (mnist_helpers/model.py)."""

import numpy as np
from conftest import page_weights, ROOT

from mnist_helpers.model import layer_kinds, network_weights, pixel_contributions


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
