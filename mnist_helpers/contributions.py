"""Why the network gave a digit its score: each pixel's share of it, exactly.

For mnist_learn.py's network, once a drawing has switched some hidden units on (relu > 0) and left
the others off, everything between the pixels and a digit's score (before the softmax) is linear:

    score[d] = sum over pixels i of  x[i] * sum over units j that are on of  w1[i, j] * w2[j, d]
             + sum over units j that are on of  b1[j] * w2[j, d]  +  b2[d]

so each pixel's contribution is x[i] times its weight through the units that are on, and the
contributions plus the biases' constant are the score. predict.py --show draws these for a photo;
the page (web/app.js, pixelContributions) computes the same for a drawing, and the tests hold the
two together.
"""

import numpy as np


def layer_kinds(model) -> list[str]:
    """The model's layers as "Dense(relu)", "Dense(softmax)", ... (a layer without an activation by its kind)."""
    kinds = []
    for layer in model.layers:
        activation = getattr(getattr(layer, "activation", None), "__name__", None)
        kinds.append(f"{type(layer).__name__}({activation})" if activation else type(layer).__name__)
    return kinds


def network_weights(model) -> list[np.ndarray] | None:
    """The weights of a model built as mnist_learn.py builds it, Dense(n, relu) then Dense(10, softmax):
    w1 (784, n), b1 (n,), w2 (n, 10), b2 (10,) as float32 (fewer arrays where a layer has no bias);
    None for a model built otherwise."""
    if layer_kinds(model) != ["Dense(relu)", "Dense(softmax)"]:
        return None
    return weights_of(model)


def weights_of(model) -> list[np.ndarray]:
    """The model's weights as float32 NumPy copies, layer by layer: get_weights(), without the
    DeprecationWarning that it (and np.array of a variable) gives with NumPy 2 on JAX and TensorFlow."""
    return [np.array(np.asarray(variable.value), dtype="<f4") for variable in model.weights]


def pixel_contributions(weights, x, digit: int) -> tuple[np.ndarray, float]:
    """Each of the 784 pixels' contribution to ``digit``'s score for the pixels ``x`` (0 to 1), and the
    constant the biases add: ``contributions.sum() + constant`` is the score before the softmax."""
    w1, b1, w2, b2 = (np.asarray(array, np.float64) for array in weights)
    x = np.asarray(x, np.float64).reshape(28 * 28)
    on = np.dot(x, w1) + b1 > 0  # the hidden units this drawing switches on
    through = np.dot(w1[:, on], w2[on, digit])  # each pixel's weight to the score, through those units
    return x * through, float(np.dot(b1[on], w2[on, digit]) + b2[digit])
