"""Your runs, side by side: each run of mnist_learn.py remembered as a row of runs.csv, compared with
the runs before it, and drawn (plotting.runs_figure).

The post's reader changes EPOCHS, BATCH_SIZE or HIDDEN_UNITS and runs again; the rows keep what each
run was and gave. Rows are only ever appended: the reader's file is never rewritten or truncated, and
one that is not a table of runs (another program's columns, damaged bytes) is left exactly as it is,
the run saying why its row was kept out. Appending happens under the folder's lock (files.exclusive),
so two runs ending at once in one folder both keep their rows.
"""

import csv
import io
import os
from datetime import datetime
from pathlib import Path

from .files import exclusive, write_output
from .lifecycle import stops_held

RUNS = "runs.csv"  # in the folder the lesson runs in
SETTINGS = ("EPOCHS", "BATCH_SIZE", "HIDDEN_UNITS", "VALIDATION", "SCALE_PIXELS", "SEED", "backend", "keras")
COLUMNS = ("when", *SETTINGS, "updates", "seconds", "test loss", "test accuracy", "val accuracy per epoch")
SHOWN = 5  # runs the comparison lists: this one and the four before it
FIGURES = ("seconds", "test accuracy", "val accuracy per epoch")  # numbers (the last, one per epoch) read back


class Unreadable(Exception):
    """runs.csv is there but is not a table of runs; ``str()`` says why."""


def row_of(lesson: dict, backend: str, keras_version: str, updates: int, seconds: float) -> dict:
    """A run's row: its settings, and its figures as the run printed them (test accuracy as the post's
    ``print('test accuracy:', test_acc)`` shows it, the rest as Keras' progress bar and the results line)."""
    x_train = lesson["x_train"]
    return {
        "when": datetime.now().isoformat(timespec="seconds"),
        **{name: str(lesson[name]) for name in ("EPOCHS", "BATCH_SIZE", "HIDDEN_UNITS", "VALIDATION")},
        "SCALE_PIXELS": str(bool(x_train.dtype.kind == "f" and x_train.size and x_train.max() <= 1)),
        "SEED": str(lesson["SEED"]),
        "backend": backend,
        "keras": keras_version,
        "updates": str(updates),
        "seconds": f"{seconds:.1f}",
        "test loss": f"{lesson['test_loss']:.4f}",
        "test accuracy": str(lesson["test_acc"]),
        "val accuracy per epoch": " ".join(f"{a:.4f}" for a in lesson["history"].history["val_accuracy"]),
    }


def read_runs(path) -> list[dict]:
    """The rows of ``path`` ([] when there is none yet); Unreadable when it is not a table of runs."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig: a spreadsheet's byte-order mark
    except FileNotFoundError:
        return []
    except UnicodeDecodeError:
        raise Unreadable("it is not text (damaged bytes)")
    except OSError as error:
        raise Unreadable(f"it cannot be read ({error.strerror or error})")
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise Unreadable(f"it is not a table ({error})")
    lines = [line for line in lines if line]  # a blank line a spreadsheet left
    if not lines:
        return []
    if tuple(lines[0]) != COLUMNS:
        raise Unreadable("its columns are not those of a table of runs")
    if any(len(line) != len(COLUMNS) for line in lines[1:]):
        raise Unreadable("a row of it does not have a value for each column")
    rows = [dict(zip(COLUMNS, line)) for line in lines[1:] if tuple(line) != COLUMNS]
    for number, row in enumerate(rows, 1):  # the comparison and the picture read these as numbers
        for column in FIGURES:
            try:
                count = len([float(value) for value in row[column].split()])
            except ValueError:
                count = 0
            if count == 0 or count > 1 and column != "val accuracy per epoch":
                raise Unreadable(f"row {number}'s {column} is {row[column]!r}, not a number")
    return rows


def append_run(path, row: dict) -> list[dict]:
    """Add ``row`` at the end of ``path`` (made, with its header, if there is none) and return every row,
    this one last; Unreadable, with the file untouched, when it is not a table of runs."""
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    with exclusive(folder):
        rows = read_runs(path)
        line = _csv_line(row)
        if not path.exists() or path.stat().st_size == 0:
            write_output(
                path,
                lambda temporary: temporary.write_text(
                    _csv_line(dict(zip(COLUMNS, COLUMNS))) + line, encoding="utf-8", newline=""
                ),
            )
        else:
            with open(path, "rb") as file:
                file.seek(-1, os.SEEK_END)
                ends_a_line = file.read(1) in (b"\n", b"\r")
            with stops_held(), open(path, "a", encoding="utf-8", newline="") as file:  # one write, whole or not
                file.write(line if ends_a_line else "\r\n" + line)
    return [*rows, row]


def _csv_line(row: dict) -> str:
    text = io.StringIO()
    csv.writer(text).writerow([row[column] for column in COLUMNS])
    return text.getvalue()


def changes(before: dict | None, after: dict) -> str:
    """What differs between two runs, in words: 'EPOCHS 5 → 2, BATCH_SIZE 128 → 10'; for a first run,
    its main settings."""
    if before is None:
        return ", ".join(f"{name} {after[name]}" for name in ("EPOCHS", "BATCH_SIZE", "HIDDEN_UNITS"))
    changed = [f"{name} {before[name]} → {after[name]}" for name in SETTINGS if before[name] != after[name]]
    return ", ".join(changed) or "the same settings again"


def comparison(rows: list[dict], path) -> list[str]:
    """The lines a run prints after its figures: the last SHOWN runs of ``rows`` (this one last, marked),
    each with what changed since the one before it, its test accuracy and its time."""
    mine = len(rows) - 1
    if mine == 0:
        return [
            f"Your runs: this is the first row of {path} ({Path(path).resolve().parent}).",
            "  Change EPOCHS, BATCH_SIZE or HIDDEN_UNITS, run again, and the runs are compared here.",
        ]
    first = max(0, mine - SHOWN + 1)
    lines = [
        f"Your runs (the last {mine + 1 - first} of {len(rows)} in {path}; python experiments.py --mine shows all):"
    ]
    what = [changes(rows[k - 1] if k else None, rows[k]) for k in range(first, mine + 1)]
    width, today = max(map(len, what)), datetime.now().date().isoformat()
    for k, said in zip(range(first, mine + 1), what):
        row = rows[k]
        day, _, clock = row["when"].partition("T")
        when = clock[:5] if day == today else f"{day} {clock[:5]}"
        accuracy = float(row["test accuracy"])
        lines.append(
            f"{'→' if k == mine else ' '} #{k + 1:<3}{when}  {said:<{width}}  test accuracy {accuracy:.4f}  {row['seconds']:>6} s"
        )
    return lines
