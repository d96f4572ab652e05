"""What fit does, by hand: the post's training loop for the same network, written out in NumPy.

mnist_learn.py trains 784 pixels → Dense(32, relu) → Dense(10, softmax) with one call, model.fit.
This script does the same work step by step, in the order the post's "Training Loop" section gives
it, with no TensorFlow at all: pick a batch, forward pass, loss, backward pass, update the weights.

    python mnist_by_hand.py
    python mnist_by_hand.py --epochs 2 --batch-size 10 --hidden-units 512
"""

from mnist_helpers.plumbing import process

process.start(__name__)  # first: Ctrl-C and errors as one sentence from here on (mnist_helpers/plumbing/process.py)


import argparse
import os

# One BLAS thread: at these matrix sizes (128 × 784 by 784 × 32) a second thread costs more than it
# gives, and on a busy machine the two fight over one core (bench/README.md has the figures). Read
# when NumPy loads: OpenBLAS (Linux, Windows, Intel Macs) and Accelerate (Apple silicon).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("VECLIB_MAXIMUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread count it reads)

from mnist_helpers.flags import add_quiet_flag, add_training_flags, printer
from mnist_helpers.model import Result, plan, updates, network_line
from mnist_helpers.data import show_shapes, load_data

EPOCHS = 5  # the same constants as mnist_learn.py
BATCH_SIZE = 128
HIDDEN_UNITS = 32

LEARNING_RATE = 0.001  # RMSprop as Keras sets it when you write optimizer="rmsprop"
RHO = 0.9  # how much of the running average of squared gradients each step keeps
EPSILON = 1e-7  # keeps the division finite where a gradient has always been 0


def glorot_uniform(rng, fan_in: int, fan_out: int) -> np.ndarray:
    """Keras' first weights for a Dense layer: uniform in ±sqrt(6 / (inputs + outputs))."""
    limit = np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def initial_weights(rng, hidden_units: int) -> list:
    """w1, b1, w2, b2: what Sequential builds for Dense(hidden_units) and Dense(10); biases start at 0."""
    return [
        glorot_uniform(rng, 28 * 28, hidden_units),
        np.zeros(hidden_units, np.float32),
        glorot_uniform(rng, hidden_units, 10),
        np.zeros(10, np.float32),
    ]


def forward(weights, x):
    """The network on a batch x: the hidden layer's output and the ten probabilities, y'."""
    w1, b1, w2, b2 = weights
    hidden = np.maximum(np.dot(x, w1) + b1, 0)  # relu(dot(w, x) + b), the post's formula
    logits = np.dot(hidden, w2) + b2
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))  # softmax: ten positive numbers ...
    return hidden, exp / exp.sum(axis=1, keepdims=True)  # ... that add up to 1


def loss_and_gradients(weights, x, y):
    """Forward pass, loss and backward pass on one batch: the loss, its gradient for each weight, and y'."""
    w1, b1, w2, b2 = weights
    # The network fits itself to the data x to obtain predictions y' (the forward pass).
    hidden, y_pred = forward(weights, x)
    # It computes the loss on the batch, the distance between y' and y: categorical cross-entropy.
    loss = -np.mean(np.sum(y * np.log(np.clip(y_pred, EPSILON, 1 - EPSILON)), axis=1))
    # It computes the gradient of the loss with regard to the weights (the backward pass): the chain
    # rule, from the loss back to the first layer, one line per step.
    d_logits = (y_pred - y) / len(x)  # through the mean, the cross-entropy and the softmax together
    d_w2 = np.dot(hidden.T, d_logits)
    d_b2 = d_logits.sum(axis=0)
    d_hidden = np.dot(d_logits, w2.T) * (hidden > 0)  # back through relu: only where it let the signal through
    d_w1 = np.dot(x.T, d_hidden)
    d_b1 = d_hidden.sum(axis=0)
    return loss, [d_w1, d_b1, d_w2, d_b2], y_pred


def rmsprop_update(weights, averages, gradients, learning_rate: float = LEARNING_RATE) -> None:
    """Move every weight in the opposite direction from its gradient, scaled by RMSprop (in place)."""
    for weight, average, gradient in zip(weights, averages, gradients):
        average *= RHO
        average += (1 - RHO) * gradient**2
        weight -= learning_rate * gradient / np.sqrt(average + EPSILON)


def hits(y_pred, y) -> int:
    """How many predictions name the right digit."""
    return int(np.sum(y_pred.argmax(axis=1) == y.argmax(axis=1)))


def evaluate(weights, x, y) -> tuple[float, float]:
    """Loss and accuracy on a whole set, the weights unchanged."""
    loss, _, y_pred = loss_and_gradients(weights, x, y)
    return float(loss), hits(y_pred, y) / len(x)


def train(settings, data=None):
    """The loop. Returns the trained weights, the history and the test figures, as a run of mnist_learn.py leaves them."""
    log = printer(settings.quiet)
    (x_train, y_train), (x_test, y_test) = data or load_data(settings.data, log=log)
    rng = np.random.default_rng(settings.seed)  # the first weights and the order of the batches
    show_shapes("Shapes as loaded:", x_train, y_test, log)

    # The same preparation as mnist_learn.py: reshape, encode, normalize.
    x_train = x_train.reshape((len(x_train), 28 * 28)).astype("float32") / 255
    x_test = x_test.reshape((len(x_test), 28 * 28)).astype("float32") / 255
    y_train = np.eye(10, dtype="float32")[y_train]  # what to_categorical does
    y_test = np.eye(10, dtype="float32")[y_test]
    show_shapes("Shapes after reshape, to_categorical and scaling:", x_train, y_test, log)

    weights = initial_weights(rng, settings.hidden_units)
    log(network_line(28 * 28, [(settings.hidden_units, "relu"), (10, "softmax")], sum(w.size for w in weights)))
    averages = [np.zeros_like(weight) for weight in weights]  # RMSprop's running average of squared gradients
    plan(settings.epochs, settings.batch_size, x_train, len(x_test), "test", log)
    history = {"accuracy": [], "loss": [], "val_accuracy": [], "val_loss": []}
    for epoch in range(1, settings.epochs + 1):
        order = rng.permutation(len(x_train))  # a new shuffled order every epoch, as fit does
        total_loss, right = 0.0, 0
        for start in range(0, len(order), settings.batch_size):
            # The network picks out a batch of training samples x and corresponding targets y.
            batch = order[start : start + settings.batch_size]
            x, y = x_train[batch], y_train[batch]
            # Forward pass, loss, backward pass.
            loss, gradients, y_pred = loss_and_gradients(weights, x, y)
            # The network updates all the weights in the opposite direction from the gradient.
            rmsprop_update(weights, averages, gradients)
            total_loss, right = total_loss + loss * len(x), right + hits(y_pred, y)  # fit's running figures
        val_loss, val_accuracy = evaluate(weights, x_test, y_test)
        for name, value in zip(history, (right / len(order), total_loss / len(order), val_accuracy, val_loss)):
            history[name].append(value)
        log(
            f"Epoch {epoch}/{settings.epochs} - accuracy: {history['accuracy'][-1]:.4f} - loss: "
            f"{history['loss'][-1]:.4f} - val_accuracy: {val_accuracy:.4f} - val_loss: {val_loss:.4f}"
        )
    test_loss, test_accuracy = evaluate(weights, x_test, y_test)
    return Result(
        weights, history, test_loss, test_accuracy, updates(settings.epochs, settings.batch_size, len(x_train))
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_training_flags(parser, epochs=EPOCHS, batch_size=BATCH_SIZE, hidden_units=HIDDEN_UNITS)
    add_quiet_flag(parser)
    settings = parser.parse_args(argv)
    settings.validation = "test"  # validated on the test set, as mnist_learn.py by default
    return settings


def main(argv=None):
    settings = parse_args(argv)
    result = train(settings)
    print(f"test loss: {result.test_loss:.4f}")
    print(f"test accuracy: {result.test_accuracy:.4f}")


if __name__ == "__main__":
    process.run(main)
