"""Why raw 0-255 pixels reach about 85% here and reached 57% / 62% in the post.

    MNIST_DATA=/path/to/mnist python bench/raw_pixels.py [--epochs 2] [--batch-size 10]

Runs the lesson (mnist_learn.py in this process, --raw-pixels) twice on the same seed: once as it is, and once
with the loss computed as Keras 2.1 (the post's Keras, 2018) computed categorical cross-entropy from
a softmax: from the probabilities, clipped to [1e-7, 1 - 1e-7]. Keras 3 instead takes the logits
under the softmax and computes the loss from them (keras/src/backend/tensorflow/nn.py, _get_logits).
With raw pixels the first layer's outputs are in the hundreds, the softmax saturates, and a clipped
probability has a zero gradient: those images stop teaching the network anything.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mnist_helpers.flags import silent  # noqa: E402
from mnist_helpers.data import load_data  # noqa: E402
from mnist_helpers.lesson import begin, run_lesson, settings  # noqa: E402
from mnist_helpers.model import result  # noqa: E402

begin(__name__)
import keras  # noqa: E402


def keras_2_crossentropy(y_true, y_pred):
    """Keras 2.1's categorical_crossentropy on a softmax output (keras/backend/tensorflow_backend.py)."""
    y_pred = y_pred / keras.ops.sum(y_pred, axis=-1, keepdims=True)
    y_pred = keras.ops.clip(y_pred, 1e-7, 1 - 1e-7)
    return -keras.ops.sum(y_true * keras.ops.log(y_pred), axis=-1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", default="2")
    parser.add_argument("--batch-size", default="10")
    parser.add_argument("--seeds", default="1337,1,2,3", help="comma-separated seeds, each run both ways")
    options = parser.parse_args()
    data = load_data(log=silent)
    compile_as_written = keras.Model.compile
    runs = [
        (seed, name, loss)
        for seed in options.seeds.split(",")
        for name, loss in (
            ("Keras 3 (from the logits)", None),
            ("Keras 2.1 (clipped probabilities)", keras_2_crossentropy),
        )
    ]
    for seed, name, loss in runs:

        def compile_with(self, *args, loss_fn=loss, **kwargs):
            if loss_fn is not None:
                kwargs["loss"] = loss_fn
            return compile_as_written(self, *args, **kwargs)

        keras.Model.compile = compile_with
        flags = ["--raw-pixels", "--epochs", options.epochs, "--batch-size", options.batch_size, "--quiet"]
        flags += ["--seed", seed, "--no-plots"]
        run = result(run_lesson(settings(*flags), data=data))
        history = run.history
        per_epoch = ", ".join(f"{accuracy:.4f}" for accuracy in history["accuracy"])
        print(
            f"seed {seed}, {name}: training accuracy per epoch {per_epoch}; "
            f"final training loss {history['loss'][-1]:.4f}; "
            f"test accuracy {run.test_accuracy:.4f}",
            flush=True,
        )
    keras.Model.compile = compile_as_written


if __name__ == "__main__":
    main()
