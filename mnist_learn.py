"""Your first neural network: 784 pixels → Dense(32, relu) → Dense(10, softmax), learning MNIST.

The companion to the post, in its order: load, reshape, encode labels, normalize, define,
compile, fit, evaluate. Change a constant below (or pass its flag) and run it again:

    python mnist_learn.py
    python mnist_learn.py --epochs 2 --batch-size 10 --hidden-units 512
"""

import argparse
import math
from pathlib import Path
from types import SimpleNamespace

import mnist_helpers.quiet_tensorflow  # noqa: F401  (first: hides TensorFlow's start-up log lines)
import keras

from mnist_helpers.cli import add_data_flag, bounded_int, positive_int, run
from mnist_helpers.files import ensure_writable_folder
from mnist_helpers.mnist_data import load_data
from mnist_helpers.model_file import keras_file, save_model
from mnist_helpers.shapes import check_fit_inputs, shape_table

EPOCHS = 5  # passes over the whole training set
BATCH_SIZE = 128  # images per gradient update
HIDDEN_UNITS = 32  # neurons in the hidden layer; the post suggests 64, 512 or 784 too
SEED = 1337  # the same seed repeats a run number for number
PLOTS = "plots"  # where the pictures of the run go
VALIDATION = "test"  # "test" validates on the test set, as the post does; "split" holds out 10% of training
CALLS_PER_EPOCH = 4  # speed only: Python hands TensorFlow each epoch in 4 runs of batches; the bar moves 4 times
EVALUATION_BATCH_SIZE = 10_000  # speed only: measuring changes no weights, so one big batch gives the same figures


def train_and_evaluate(args, log=print):
    """The whole lesson. Returns the model, its history, the test data, the test figures and the update count."""
    # The post's np.random.seed(1337) no longer makes Keras 3 repeatable; this seeds Python,
    # NumPy and TensorFlow (initial weights and the shuffling of batches) in one call.
    keras.utils.set_random_seed(args.seed)

    # 1. Load: uint8 images (samples, 28, 28) with labels 0-9, as keras.datasets.mnist returns them.
    (x_train, y_train), (x_test, y_test) = load_data(args.data, log=log)
    log("Shapes as loaded:")
    log(shape_table({"x_train": x_train, "x_train[0]": x_train[0], "y_test": y_test, "y_test[0]": y_test[0]}))

    # 2. Reshape: the first layer takes each image as one flat vector of 28 * 28 = 784 pixels.
    x_train = x_train.reshape((len(x_train), 28 * 28))
    x_test = x_test.reshape((len(x_test), 28 * 28))

    # 3. Encode labels: 3 becomes [0, 0, 0, 1, 0, 0, 0, 0, 0, 0], one column per output neuron.
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test = keras.utils.to_categorical(y_test, 10)

    # 4. Normalize: float32 pixels in [0, 1]. The post scales only x_train and so evaluates
    #    on raw 0-255 test pixels; the test set must get the same treatment as the training set.
    #    keras.ops makes TensorFlow tensors of them here, once: the post's NumPy version,
    #    x_train.astype("float32") / 255, gives the same numbers, but fit copies it again (188 MB).
    x_train = keras.ops.cast(x_train, "float32")
    x_test = keras.ops.cast(x_test, "float32")
    if not args.raw_pixels:
        x_train = x_train / 255
        x_test = x_test / 255
    log("Shapes after reshape, to_categorical and scaling:")
    log(shape_table({"x_train": x_train, "x_train[0]": x_train[0], "y_test": y_test, "y_test[0]": y_test[0]}))

    # Validation data: the post uses the test set; "split" keeps the test set unseen until the end.
    if args.validation == "split":
        held_out = len(x_train) // 10
        x_train, x_val = x_train[:-held_out], x_train[-held_out:]
        y_train, y_val = y_train[:-held_out], y_train[-held_out:]
    else:
        x_val, y_val = x_test, y_test
    updates_per_epoch = math.ceil(len(x_train) / args.batch_size)  # one gradient update per batch

    # 5. Define. keras.Input declares the 784 inputs (the post's input_shape= warns in Keras 3).
    model = keras.Sequential(
        [
            keras.Input(shape=(28 * 28,)),
            keras.layers.Dense(args.hidden_units, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )

    # 6. Compile: what to minimize (loss), how to update the weights (optimizer), what to report.
    model.compile(
        optimizer="rmsprop",
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=math.ceil(updates_per_epoch / CALLS_PER_EPOCH),  # speed only: batches per call
    )

    # 7. Fit. First a check that turns the post's two shape errors into one clear sentence.
    check_fit_inputs(model, x_train, y_train, "x_train", "y_train")
    check_fit_inputs(model, x_test, y_test, "x_test", "y_test")
    log(
        f"Training on {len(x_train):,} images, validating on {len(x_val):,} ({args.validation} set): "
        f"{args.epochs} epochs × {updates_per_epoch:,} batches of {args.batch_size} "
        f"= {args.epochs * updates_per_epoch:,} gradient updates."
    )
    verbose = 0 if args.quiet else 1
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_data=(x_val, y_val),
        validation_batch_size=EVALUATION_BATCH_SIZE,
        verbose=verbose,
    )

    # 8. Evaluate on the test set (no progress bar: it is one batch, and main prints the figures).
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    return SimpleNamespace(
        model=model,
        history=history.history,
        x_test=x_test,
        y_test=y_test,
        test_loss=test_loss,
        test_accuracy=test_accuracy,
        updates=args.epochs * updates_per_epoch,
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--epochs", type=positive_int, default=EPOCHS, help=f"passes over the training set (default {EPOCHS})"
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=BATCH_SIZE, help=f"images per update (default {BATCH_SIZE})"
    )
    parser.add_argument(
        "--hidden-units",
        type=bounded_int(1, 4096),
        default=HIDDEN_UNITS,
        help=f"hidden neurons (default {HIDDEN_UNITS})",
    )
    parser.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=SEED, help=f"random seed (default {SEED})")
    add_data_flag(parser)
    parser.add_argument(
        "--validation", choices=("test", "split"), default=VALIDATION, help=f"validation data (default {VALIDATION})"
    )
    parser.add_argument("--raw-pixels", action="store_true", help="skip scaling pixels to [0, 1], to see what it buys")
    parser.add_argument("--save-model", type=keras_file, metavar="PATH", help="save the trained model (a .keras file)")
    parser.add_argument(
        "--plots", type=Path, default=Path(PLOTS), metavar="DIR", help=f"folder for the pictures (default {PLOTS}/)"
    )
    parser.add_argument("--no-plots", action="store_true", help="draw no pictures (Matplotlib is then never loaded)")
    parser.add_argument("--quiet", action="store_true", help="print only the results")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    # Check output folders now, not after minutes of training.
    if args.save_model:
        ensure_writable_folder(args.save_model.parent, "the model")
    if not args.no_plots:
        ensure_writable_folder(args.plots, "the pictures")
    log = (lambda *lines: None) if args.quiet else print
    result = train_and_evaluate(args, log)
    print(f"test loss: {result.test_loss:.4f}")
    print(f"test accuracy: {result.test_accuracy:.4f}")
    if args.save_model:
        save_model(result.model, args.save_model)
        print(f"Saved the trained model to {args.save_model}.")
    if not args.no_plots:
        from mnist_helpers.plotting import save_training_pictures  # Matplotlib loads only here

        probabilities = result.model.predict(result.x_test, verbose=0)
        hidden_weights = result.model.layers[0].get_weights()[0]
        paths = save_training_pictures(
            args.plots, result.history, result.x_test, result.y_test.argmax(axis=1), probabilities, hidden_weights
        )
        print(f"Pictures in {args.plots}/: {', '.join(path.name for path in paths)}")


if __name__ == "__main__":
    run(main)
