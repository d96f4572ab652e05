"""Your first neural network, as the post builds it: MNIST's 784 pixels in, 10 digit scores out.

The post's lines in the design order: load, reshape, encode, normalize, define, compile, fit,
evaluate. Change a constant below (or pass its flag) and run it again:

    python mnist_learn.py
    python mnist_learn.py --epochs 2 --batch-size 10 --hidden-units 512
"""

import mnist_helpers.keras_setup  # noqa: F401  (first: Ctrl-C, a quiet start-up, a progress bar; see its docstring)
import keras
from keras.layers import Dense
from keras.models import Sequential
from keras.utils import to_categorical

from mnist_helpers import backend, lesson_cli
from mnist_helpers.mnist_data import load_data
from mnist_helpers.shapes import check_fit_inputs, network_summary

EPOCHS = 5  # passes over the whole training set
BATCH_SIZE = 128  # images per gradient update
HIDDEN_UNITS = 32  # neurons in the hidden layer; the post suggests 64, 512 or 784 too
VALIDATION = "test"  # "test" validates on the test set, as the post does; "split" holds out 10% of training

# Speed: the one setting that changes how fast a run is, and nothing it computes or shows.
STEPS_PER_EXECUTION = 100  # batches per call from Python into TensorFlow (the progress bar moves every 100)


def train(settings, data=None):
    """The lesson. ``settings`` holds the constants above (``lesson_cli.parse_args`` makes them from the
    flags); ``data`` is MNIST as ``load_data`` returns it, read from ``settings.data`` when None.
    Returns the trained model, its history and the test figures."""
    log = lesson_cli.printer(settings.quiet)

    # 1. Load: uint8 images (samples, 28, 28) and their labels 0-9, as keras.datasets.mnist gives them.
    (x_train, y_train), (x_test, y_test) = data or load_data(settings.data, log=log)
    # The post's np.random.seed(1337) no longer makes Keras 3 repeatable; this seeds NumPy, Python and TensorFlow.
    keras.utils.set_random_seed(settings.seed)
    lesson_cli.show_shapes("Shapes as loaded:", x_train, y_test, log)

    # 2. Reshape: the first layer takes each image as one flat vector of 28 * 28 = 784 pixels.
    x_train = x_train.reshape((len(x_train), 28 * 28))  # the post writes 60000: the same on MNIST, any count here
    x_test = x_test.reshape((len(x_test), 28 * 28))

    # 3. Encode: label 3 becomes [0, 0, 0, 1, 0, 0, 0, 0, 0, 0], one column per output neuron.
    y_train = to_categorical(y_train)
    y_test = to_categorical(y_test)

    # 4. Normalize: float32 pixels from 0-255 down to 0-1 (--raw-pixels keeps 0-255, to see what this buys).
    if settings.raw_pixels:
        x_train, x_test = x_train.astype("float32"), x_test.astype("float32")
    else:
        x_train = x_train.astype("float32") / 255
        x_test = x_test.astype("float32") / 255  # the post never scales x_test, and so tests on 0-255 pixels
    lesson_cli.show_shapes("Shapes after reshape, to_categorical and scaling:", x_train, y_test, log)

    # Validation data: the post validates on the test set; "split" keeps the test set unseen until the end.
    x_val, y_val = x_test, y_test
    if settings.validation == "split":
        held_out = len(x_train) // 10
        x_train, x_val = x_train[:-held_out], x_train[-held_out:]
        y_train, y_val = y_train[:-held_out], y_train[-held_out:]

    # 5. Define: a hidden layer computing relu(dot(w, x) + b), then ten outputs that sum to 1.
    model = Sequential()
    model.add(keras.Input(shape=(784,)))  # the post's input_shape=(784,) warns in Keras 3
    model.add(Dense(settings.hidden_units, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    log(network_summary(model))

    # 6. Compile: what to minimize (loss), how to update the weights (optimizer), what to report.
    model.compile(
        optimizer="rmsprop",
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=STEPS_PER_EXECUTION,
    )

    # 7. Fit: EPOCHS passes over the training images in batches of BATCH_SIZE, validated after each.
    check_fit_inputs(model, x_train, y_train, "x_train", "y_train")  # the post's shape errors, in one sentence
    check_fit_inputs(model, x_test, y_test, "x_test", "y_test")
    updates = lesson_cli.show_plan(settings, len(x_train), len(x_val), log)
    history = model.fit(
        x_train,
        y_train,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        validation_data=(x_val, y_val),
        verbose=settings.verbose,
    )

    # 8. Evaluate on the test set.
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=settings.verbose)
    return lesson_cli.Result(model, history.history, test_loss, test_acc, updates)


def parse_args(argv=None):
    """The flags, each mirroring a constant above."""
    return lesson_cli.parse_args(
        argv,
        __doc__,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        hidden_units=HIDDEN_UNITS,
        validation=VALIDATION,
    )


def main(argv=None):
    settings = parse_args(argv)
    lesson_cli.check_outputs(settings)  # output folders first, not after minutes of training
    lesson_cli.printer(settings.quiet)(backend.describe())  # "Keras 3.15.1 on TensorFlow 2.21.0."
    result = train(settings)
    lesson_cli.report_results(settings, result)


if __name__ == "__main__":
    lesson_cli.run(main)
