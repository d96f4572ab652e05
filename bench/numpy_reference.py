"""The lesson's training written by hand in NumPy: the floor the Keras run is compared with.

Same network (784 → 32 relu → 10 softmax, Glorot-uniform weights, zero biases), same loss
(categorical cross-entropy), same optimizer (RMSprop as Keras sets it: lr 0.001, rho 0.9,
epsilon 1e-7), same batches (128, reshuffled every epoch), same 5 epochs. Prints the seconds the
training loop took and the test accuracy, as JSON.
"""

import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mnist_helpers.cli import silent  # noqa: E402
from mnist_helpers.mnist_data import load_data  # noqa: E402

EPOCHS, BATCH_SIZE, HIDDEN_UNITS = 5, 128, 32
LEARNING_RATE, RHO, EPSILON = 0.001, 0.9, 1e-7


def glorot(rng, fan_in, fan_out):
    limit = np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def main():
    (x_train, y_train), (x_test, y_test) = load_data(log=silent)
    x_train = x_train.reshape(len(x_train), 784).astype(np.float32) / 255
    x_test = x_test.reshape(len(x_test), 784).astype(np.float32) / 255
    targets = np.eye(10, dtype=np.float32)[y_train]
    rng = np.random.default_rng(1337)
    params = [glorot(rng, 784, HIDDEN_UNITS), np.zeros(HIDDEN_UNITS, np.float32), glorot(rng, HIDDEN_UNITS, 10)]
    params.append(np.zeros(10, np.float32))
    averages = [np.zeros_like(p) for p in params]

    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = rng.permutation(len(x_train))
        for first in range(0, len(order), BATCH_SIZE):
            batch = order[first : first + BATCH_SIZE]
            x, t = x_train[batch], targets[batch]
            w1, b1, w2, b2 = params
            hidden = np.maximum(x @ w1 + b1, 0)
            logits = hidden @ w2 + b2
            logits -= logits.max(axis=1, keepdims=True)
            probabilities = np.exp(logits)
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            d_logits = (probabilities - t) / len(batch)  # softmax + cross-entropy, mean over the batch
            d_hidden = (d_logits @ w2.T) * (hidden > 0)
            grads = [x.T @ d_hidden, d_hidden.sum(0), hidden.T @ d_logits, d_logits.sum(0)]
            for p, a, g in zip(params, averages, grads):
                a *= RHO
                a += (1 - RHO) * g * g
                p -= LEARNING_RATE * g / (np.sqrt(a) + EPSILON)
    seconds = time.perf_counter() - start

    w1, b1, w2, b2 = params
    predictions = (np.maximum(x_test @ w1 + b1, 0) @ w2 + b2).argmax(axis=1)
    print(json.dumps({"fit_seconds": seconds, "test_accuracy": float((predictions == y_test).mean())}))


if __name__ == "__main__":
    main()
