"""The post's experiments in one command: each a seeded run of mnist_learn.py's lesson, in one table.

    python experiments.py                   # all of them (4 to 7 minutes on 2 cores)
    python experiments.py hidden normalize  # some
    python experiments.py --list            # what each one compares
    python experiments.py --mine            # your own runs of mnist_learn.py (runs.csv), side by side

The table goes to experiments/results.md and results.csv, with one picture per experiment;
a --quick smoke test goes to experiments/quick/ instead, and says so in every row and title.
"""

from mnist_helpers.plumbing import process

process.start(__name__)  # first: Ctrl-C and errors as one sentence from here on (mnist_helpers/plumbing/process.py)


import argparse
import contextlib
import io
import os
import re
import sys
import time
from pathlib import Path

from mnist_helpers.flags import add_data_flag, add_quiet_flag, add_seed_flag, path_arg
from mnist_helpers import runs
from mnist_helpers.errors import UserError
from mnist_helpers.plumbing.files import Plan, said
from mnist_helpers.lesson import RUNS_PICTURE
from mnist_helpers.plumbing.process import Lines
from mnist_helpers.runs import RUNS

MARK = "mnist-learn experiments.py"  # in each picture's PNG: the only pictures a run may replace
from mnist_helpers.data import load_data
from mnist_helpers.runs import CSV_NAME, MARKDOWN_NAME, markdown_table, table_row, read_rows, update_rows

OUT = "experiments"  # where the table and pictures go (a --quick run: into OUT/quick)
LECUN_EPOCHS = 60  # to convergence: by then the training set is learnt completely (train accuracy 1.0000)
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
        "names",
        nargs="*",
        type=experiment_name,
        metavar="NAME",
        help="experiments to run (default all: 4 to 7 minutes on 2 cores, lecun's 60 epochs most of it)",
    )
    add_data_flag(parser)
    add_seed_flag(parser)  # the same default as mnist_learn.py, so its default run is a row here
    parser.add_argument(
        "--out", type=path_arg, metavar="DIR", help=f"results folder (default {OUT}/, or {OUT}/quick/ with --quick)"
    )
    parser.add_argument("--list", action="store_true", help="list the experiments and their settings, run nothing")
    parser.add_argument(
        "--mine",
        action="store_true",
        help=f"train nothing: print your runs of mnist_learn.py (--runs, default {RUNS}) and draw them, PLOTS/{RUNS_PICTURE}",
    )
    parser.add_argument(
        "--runs", type=path_arg, default=Path(RUNS), metavar="FILE", help=f"with --mine: your runs (default {RUNS})"
    )
    parser.add_argument(
        "--plots",
        type=path_arg,
        default=Path("plots"),
        metavar="DIR",
        help="with --mine: where the picture goes (default plots/)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke test: {QUICK_TRAIN:,} images, 1 epoch per run, labelled as such, in {OUT}/quick/",
    )
    add_quiet_flag(parser, "print only the table, not each run's figures as it ends")
    options = parser.parse_args(argv)
    if options.out is None:
        options.out = Path(OUT) / "quick" if options.quick else Path(OUT)
    return options


def list_experiments() -> None:
    for name, (compares, settings) in EXPERIMENTS.items():
        print(f"{name}: {compares}")
        for setting, flags in settings:
            print(f"    {setting:28} python mnist_learn.py {flags}".rstrip())


def show_mine(path: Path, plots: Path) -> None:
    """--mine: the table of your runs, as mnist_learn.py added them to ``path``, and their picture."""
    from mnist_helpers.plotting import runs_figure, save_figure

    picture = Plan(path).writes(plots / RUNS_PICTURE, "--plots", "the picture")
    try:
        rows = runs.read_runs(path)
    except runs.Unreadable as why:
        raise UserError(f"{path} is not a table of your runs: {why}; give --runs the file mnist_learn.py writes.")
    if not rows:
        raise UserError(f"There are no runs in {path} yet; each `python mnist_learn.py` adds its row there.")
    print(f"Your runs in {path}, each by what it changed from the post's settings:")
    print("\n".join(runs.listing(rows, range(len(rows)))))
    replaced = save_figure(runs_figure(rows, last_is_this_run=False), picture)
    print(f"{len(rows)} runs in {path} (every column: open it in a spreadsheet). Picture: {said(picture, replaced)}")


def quick_subset(mnist):
    """--quick: the first few thousand images, handed to the lesson as they are."""
    (x_train, y_train), (x_test, y_test) = mnist
    return (x_train[:QUICK_TRAIN], y_train[:QUICK_TRAIN]), (x_test[:QUICK_TEST], y_test[:QUICK_TEST])


def label(setting: str, quick: bool) -> str:
    """A setting's name as the table and the pictures show it: a quick run says it is one, and its 1 epoch."""
    return f"quick: {setting}, run for 1 epoch" if quick else setting


def run_experiments(names: list, options, data, replaced: set = frozenset()) -> None:
    from mnist_helpers import lesson  # Keras loads here, once the flags, data and output folder are known to be good
    from mnist_helpers.backend import describe
    from mnist_helpers.plotting import experiment_figure, save_figure

    lesson.begin(__name__)  # Keras, quietly
    print(describe())
    rows = []  # the table as last written
    done = {}  # a setting that several experiments share (the default run) is trained once
    started = time.perf_counter()
    for name in names:
        choices = EXPERIMENTS[name][1]
        new_rows, outcomes = [], []
        for i, (setting, flags) in enumerate(choices, 1):
            settings = lesson.settings(*lesson_args(flags, options))  # parsed once, as mnist_learn.py parses them
            key = repr(sorted(vars(settings).items()))  # the same settings, trained once
            again = " (the same run as above)" if key in done else ""
            print(f"{name} {i}/{len(choices)}: {label(setting, options.quick)}{again}", flush=True)
            if key not in done:
                done[key] = train(settings, data, options.quiet)
                if not options.quiet:
                    print(f"  test accuracy {done[key].test_accuracy:.4f}, {done[key].seconds:.1f} s", flush=True)
            outcomes.append(done[key])
            new_rows.append(table_row(name, label(setting, options.quick), done[key]))
            # Save after every run: Ctrl-C keeps what is finished, this session's and the earlier rows not rerun yet.
            notes = [quick_note(data) if options.quick else LECUN_NOTE]
            labels = [label(setting, options.quick) for setting, _ in choices]
            rows = update_rows(options.out, name, new_rows, list(EXPERIMENTS), notes, pending=labels[i:])
        # The picture once the experiment is whole: a stopped rerun leaves the earlier, whole one.
        title = f"Experiment '{name}'" + (f" ({quick_note(data)})" if options.quick else "")
        figure = experiment_figure(title, labels, [o.test_accuracy for o in outcomes], [o.history for o in outcomes])
        save_figure(figure, options.out / f"{name}.png", mark=MARK)
    minutes, seconds = divmod(round(time.perf_counter() - started), 60)
    print()
    print(markdown_table(rows))
    if options.quick:
        print(quick_note(data))
    elif any(row["experiment"] == "lecun" for row in rows):
        print(LECUN_NOTE)
    pictures = [said(f"{name}.png", f"{name}.png" in replaced) for name in names]
    table = said(options.out / MARKDOWN_NAME, MARKDOWN_NAME in replaced)
    print(
        f"{len(done)} runs in {minutes} min {seconds} s. Table: {table}, pictures in {options.out}/: {', '.join(pictures)}"
    )


def quick_note(data) -> str:
    (x_train, _), (x_test, _) = data
    return (
        f"quick run: 1 epoch on {len(x_train):,} training and {len(x_test):,} test images, "
        "a smoke test whose figures say nothing about the real experiments"
    )


def lesson_args(flags: str, options) -> list:
    """mnist_learn.py's flags for one setting, with this session's seed; a quick run is 1 epoch."""
    args = [*flags.split(), "--seed", str(options.seed), "--no-plots"]
    return [*args, "--epochs", "1"] if options.quick else args  # the last --epochs is the one that counts


class EpochLines(io.TextIOBase):
    """Standard output while a run trains, given each line as it ended up (process.Lines): of all the
    lesson prints, one line as each epoch ends (its validation accuracy, read from Keras' progress bar, and
    the seconds so far), so that a run of several minutes shows it is on its way."""

    def __init__(self, stream):
        self.stream, self.started, self.epochs = stream, time.perf_counter(), 0

    def write(self, line: str) -> int:
        shown = re.search(r"val_accuracy: (\d\.\d+)", line)  # an epoch's last bar
        if shown and self.stream:  # None: experiments.py --quiet
            self.epochs += 1
            seconds = time.perf_counter() - self.started
            print(f"  epoch {self.epochs}: val_accuracy {shown[1]}, {seconds:.0f} s in", file=self.stream, flush=True)
        return len(line)


def train(settings, data, quiet: bool = False):
    """One run of mnist_learn.py itself, in this process, on ``data``: its settings and figures."""
    from mnist_helpers.lesson import run_lesson
    from mnist_helpers.model import result as figures

    started = time.perf_counter()
    with contextlib.redirect_stdout(Lines(EpochLines(None if quiet else sys.stdout))):
        run = run_lesson(settings, data=data)
    return figures(run, seconds=time.perf_counter() - started)


def main(argv=None):
    options = parse_args(argv)
    if options.list:
        return list_experiments()
    if options.mine:
        return show_mine(options.runs, options.plots)
    # Check everything a user can get wrong before the first run starts.
    plan = Plan(options.data)
    for output in (CSV_NAME, MARKDOWN_NAME, *(f"{name}.png" for name in EXPERIMENTS)):
        plan.writes(options.out / output, "experiments.py", "the results")
    read_rows(options.out)  # a table there that is not ours stops here
    replaced = outputs_of_ours(options.out)  # and so does any other output that is not
    mnist = load_data(options.data)  # read once; says where the data comes from; stops on missing or bad files
    data = quick_subset(mnist) if options.quick else mnist
    run_experiments(options.names or list(EXPERIMENTS), options, data, replaced)


def outputs_of_ours(folder: Path) -> set:
    """The names of the outputs already in ``folder``, each checked to be one this script wrote: results.md
    starts with its table, each picture carries MARK. A file of the reader's under one of those names stops
    the run before it starts; the ones returned are said as replaced."""
    table = folder / MARKDOWN_NAME
    if os.path.lexists(table):
        try:
            ours = table.is_file() and table.read_text(encoding="utf-8-sig")[:1000].startswith("| experiment ")
        except (OSError, UnicodeDecodeError):
            ours = False
        if not ours:
            raise UserError(
                f"{table} is not a results table written by experiments.py; move it away or choose --out DIR."
            )
    from mnist_helpers.plotting import drawn_by

    for picture in (folder / f"{name}.png" for name in EXPERIMENTS):
        if os.path.lexists(picture) and not drawn_by(picture, MARK):
            raise UserError(f"{picture} was not drawn by experiments.py; move it away or choose --out DIR.")
    return {name for name in (MARKDOWN_NAME, *(f"{name}.png" for name in EXPERIMENTS)) if (folder / name).exists()}


if __name__ == "__main__":
    process.run(main)
