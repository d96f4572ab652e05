"""The lesson's training as hand-written TensorFlow, one compiled function per epoch: what TensorFlow
itself needs on this machine, without Keras' fit around it.

The same training as mnist_by_hand.py, with its settings and starting weights
(784 → 32 relu → 10 softmax, cross-entropy, RMSprop with Keras' settings, 5 epochs of 128-image
batches reshuffled every epoch), plus what the lesson's fit also does: the test set's loss and
accuracy after every epoch. The seconds include building the graphs, as fit's do. Prints them and
the test accuracy as JSON.
"""

import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mnist_helpers.backend  # noqa: E402, F401
import tensorflow as tf  # noqa: E402

from mnist_by_hand import BATCH_SIZE, EPOCHS, EPSILON, HIDDEN_UNITS, LEARNING_RATE, RHO, initial_weights  # noqa: E402

from mnist_helpers.flags import silent  # noqa: E402
from mnist_helpers.data import load_data  # noqa: E402


def main():
    (x_train, y_train), (x_test, y_test) = load_data(log=silent)
    x_train = tf.cast(x_train.reshape(len(x_train), 784), tf.float32) / 255
    x_test = tf.cast(x_test.reshape(len(x_test), 784), tf.float32) / 255
    y_train, y_test = tf.one_hot(y_train, 10), tf.one_hot(y_test, 10)
    params = [tf.Variable(p) for p in initial_weights(np.random.default_rng(1337), HIDDEN_UNITS)]
    averages = [tf.Variable(tf.zeros_like(p)) for p in params]
    batches = -(-len(x_train) // BATCH_SIZE)

    def loss_and_accuracy(x, y):
        w1, b1, w2, b2 = params
        logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, logits))
        hits = tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1))
        return loss, tf.reduce_mean(tf.cast(hits, tf.float32))

    @tf.function
    def epoch(order):
        for first in tf.range(0, batches * BATCH_SIZE, BATCH_SIZE):
            batch = order[first : first + BATCH_SIZE]
            x, y = tf.gather(x_train, batch), tf.gather(y_train, batch)
            with tf.GradientTape() as tape:
                loss, _ = loss_and_accuracy(x, y)
            for p, a, g in zip(params, averages, tape.gradient(loss, params)):
                a.assign(RHO * a + (1 - RHO) * g * g)
                p.assign_sub(LEARNING_RATE * g / tf.sqrt(a + EPSILON))
        return loss_and_accuracy(x_test, y_test)

    start = time.perf_counter()
    for _ in range(EPOCHS):
        _, accuracy = epoch(tf.random.shuffle(tf.range(len(x_train))))
        accuracy = float(accuracy)  # waits for the epoch to finish
    seconds = time.perf_counter() - start
    print(json.dumps({"fit_seconds": seconds, "test_accuracy": accuracy}))
    sys.stdout.flush()
    os._exit(0)  # skip the interpreter's clean-up with TensorFlow loaded, as the lesson does


if __name__ == "__main__":
    main()
