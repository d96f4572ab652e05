"""The post's experiments in one command: each a seeded run of mnist_learn.py's lesson, in one table.

    python experiments.py                   # all of them (about 3 minutes on 2 cores)
    python experiments.py hidden normalize  # some
    python experiments.py --list            # what each one compares

The table goes to experiments/results.md and results.csv, with one picture per experiment.
"""

import argparse
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from mnist_helpers.cli import add_data_flag, bounded_int, run
from mnist_helpers.files import ensure_writable_folder
from mnist_helpers.mnist_data import load_data
from mnist_helpers.results_table import (
    MARKDOWN_NAME,
    make_row,
    markdown_table,
    read_rows,
    replace_experiment,
    write_rows,
)

OUT = "experiments"  # where the table and pictures go
SEED = 1337  # the seed of every run: the same as mnist_learn.py, so its default run is a row here
LECUN_EPOCHS = 60  # to convergence: from ~30 epochs on, the test error stays at 1.60-1.62%
QUICK_TRAIN, QUICK_TEST = 3000, 1000  # --quick: this many images, one epoch per run

# name: (what it compares, [(setting, the mnist_learn.py flags that make it)]). Flags not given keep
# mnist_learn.py's defaults: 5 epochs, batch 128, 32 hidden units, scaled pixels, validation on the test set.
EXPERIMENTS = {
    "normalize": (
        "raw 0-255 pixels against pixels scaled to [0, 1], at the post's two schedules",
        [
            ("raw, 2 × 10", "--raw-pixels --epochs 2 --batch-size 10"),
            ("scaled, 2 × 10", "--epochs 2 --batch-size 10"),
            ("raw, 5 × 128", "--raw-pixels"),
            ("scaled, 5 × 128", ""),
        ],
    ),
    "batch": (
        "2 epochs of batch 10 (12,000 updates) against 5 epochs of batch 128 (2,345 updates)",
        [("2 epochs × batch 10", "--epochs 2 --batch-size 10"), ("5 epochs × batch 128", "")],
    ),
    "hidden": (
        "32, 64, 512 and 784 hidden units",
        [(f"{units} units", f"--hidden-units {units}") for units in (32, 64, 512, 784)],
    ),
    "validation": (
        "validating on the test set, as the post does, against a held-out 10% of the training set",
        [("on the test set (the post)", "--validation test"), ("on a held-out 10%", "--validation split")],
    ),
    "lecun": (
        "800 hidden units, cross-entropy, against the published 1.6% test error of that network",
        [("800 units", f"--hidden-units 800 --epochs {LECUN_EPOCHS}")],
    ),
}
LECUN_NOTE = (
    "lecun: the MNIST page (yann.lecun.com/exdb/mnist) lists a 2-layer NN, 800 hidden units, "
    "cross-entropy loss, no preprocessing, at 1.6% test error (Simard, Steinkraus and Platt, 2003)."
)


def experiment_name(text: str) -> str:
    """argparse type: one of the experiments' names."""
    if text not in EXPERIMENTS:
        raise argparse.ArgumentTypeError(f"no experiment called {text!r}; choose from {', '.join(EXPERIMENTS)}")
    return text


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", type=experiment_name, metavar="NAME", help="experiments to run (default all)"
    )
    add_data_flag(parser)
    parser.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--out", type=Path, default=Path(OUT), metavar="DIR", help=f"results folder (default {OUT}/)")
    parser.add_argument("--list", action="store_true", help="list the experiments and their settings, run nothing")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke test: {QUICK_TRAIN:,} images, 1 epoch per run (settings keep their names)",
    )
    parser.add_argument("--quiet", action="store_true", help="no Keras progress bars")
    return parser.parse_args(argv)


def list_experiments() -> None:
    for name, (compares, settings) in EXPERIMENTS.items():
        print(f"{name}: {compares}")
        for setting, flags in settings:
            print(f"    {setting:28} python mnist_learn.py {flags}".rstrip())


def quick_subset(mnist, folder: str) -> str:
    """--quick: the first few thousand images, saved where the lesson can load them like any MNIST."""
    (x_train, y_train), (x_test, y_test) = mnist
    subset = Path(folder) / "mnist_quick.npz"
    np.savez(
        subset,
        x_train=x_train[:QUICK_TRAIN],
        y_train=y_train[:QUICK_TRAIN],
        x_test=x_test[:QUICK_TEST],
        y_test=y_test[:QUICK_TEST],
    )
    return subset


def run_experiments(names: list, options, data, rows: list) -> None:
    import mnist_learn  # TensorFlow loads here, once the flags, data and output folder are known to be good
    from mnist_helpers.plotting import experiment_figure, save_figure

    done = {}  # a setting that several experiments share (the default run) is trained once
    started = time.perf_counter()
    for name in names:
        settings = EXPERIMENTS[name][1]
        new_rows, outcomes = [], []
        for i, (setting, flags) in enumerate(settings, 1):
            args = lesson_args(mnist_learn, flags, options, data)
            key = repr(sorted(vars(args).items()))
            again = " (the same run as above)" if key in done else ""
            print(
                f"{name} {i}/{len(settings)}: {setting}, {args.epochs} epochs × batch {args.batch_size}{again}",
                flush=True,
            )
            if key not in done:
                done[key] = train(mnist_learn, args)
            outcomes.append(done[key])
            new_rows.append(make_row(name, setting, args, done[key]))
            # Save after every run: Ctrl-C keeps what is finished.
            rows = replace_experiment(rows, name, new_rows, list(EXPERIMENTS))
            write_rows(options.out, rows, notes=[LECUN_NOTE])
            labels = [setting for setting, _ in settings[:i]]
            figure = experiment_figure(name, labels, [o.test_accuracy for o in outcomes], [o.history for o in outcomes])
            save_figure(figure, options.out / f"{name}.png")
    minutes, seconds = divmod(round(time.perf_counter() - started), 60)
    print()
    print(markdown_table(rows))
    if any(row["experiment"] == "lecun" for row in rows):
        print(LECUN_NOTE)
    print(
        f"{len(done)} runs in {minutes} min {seconds} s. Table: {options.out / MARKDOWN_NAME}, pictures: {options.out}/"
    )


def lesson_args(mnist_learn, flags: str, options, data):
    """The arguments mnist_learn.py would get for one setting's flags, with this session's seed and data."""
    data_flag = [] if data is None else ["--data", str(data)]
    args = mnist_learn.parse_args([*flags.split(), *data_flag, "--seed", str(options.seed), "--no-plots"])
    if options.quick:
        args.epochs = 1
    args.quiet = options.quiet
    return args


def train(mnist_learn, args) -> SimpleNamespace:
    """One run of the lesson: the same numbers mnist_learn.py prints with these flags (the lesson seeds itself)."""
    import keras

    keras.backend.clear_session()  # frees the previous runs' models and graphs
    started = time.perf_counter()
    result = mnist_learn.train_and_evaluate(args, log=lambda *lines: None)
    return SimpleNamespace(
        history=result.history,
        test_accuracy=result.test_accuracy,
        updates=result.updates,
        seconds=time.perf_counter() - started,
    )


def main(argv=None):
    options = parse_args(argv)
    if options.list:
        return list_experiments()
    # Check everything a user can get wrong before the first run starts.
    ensure_writable_folder(options.out, "the results")
    rows = read_rows(options.out)  # the table so far; one that is not ours stops here
    mnist = load_data(options.data)  # says where the data comes from; stops on missing or bad files
    with tempfile.TemporaryDirectory() as scratch:
        data = quick_subset(mnist, scratch) if options.quick else options.data
        run_experiments(options.names or list(EXPERIMENTS), options, data, rows)


if __name__ == "__main__":
    run(main)
