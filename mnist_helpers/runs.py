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

from .errors import UserError
from .files import exclusive, not_a_file, write_output
from .lifecycle import stops_held

RUNS = "runs.csv"  # in the folder the lesson runs in
SETTINGS = ("EPOCHS", "BATCH_SIZE", "HIDDEN_UNITS", "VALIDATION", "SCALE_PIXELS", "SEED", "backend", "keras")
COLUMNS = ("when", *SETTINGS, "updates", "seconds", "test loss", "test accuracy", "val accuracy per epoch")
# What makes a file a table of runs: a log written by an earlier or a later version has these, and may lack
# the other columns (they read as empty) or have more (kept, and given an empty cell in the rows added).
REQUIRED = ("when", "EPOCHS", "BATCH_SIZE", "HIDDEN_UNITS", "test accuracy")
SHOWN = 5  # runs the comparison lists: this one and the four before it
MOST_BYTES = 64 * 2**20  # a table of runs larger than this is not one (a row is about 150 bytes)
BINARY = getattr(os, "O_BINARY", 0)  # Windows: bytes as they are, no line endings translated
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
    return _read_table(path)[1]


def _read_table(path) -> tuple[tuple, list[dict]]:
    """(the header, as the file names its columns, or () for no file or an empty one; the rows)."""
    try:
        text = _read_bounded(Path(path)).decode("utf-8-sig")  # -sig: a spreadsheet's byte-order mark
    except FileNotFoundError:
        return (), []
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
        return (), []
    header = lines[0]
    if not set(REQUIRED) <= set(header) or len(set(header)) < len(header):
        raise Unreadable("its columns are not those of a table of runs")
    if any(len(line) != len(header) for line in lines[1:]):
        raise Unreadable("a row of it does not have a value for each column")
    empty = dict.fromkeys(COLUMNS, "")  # a column this log does not have reads as empty
    rows = [{**empty, **dict(zip(header, line))} for line in lines[1:] if line != header]
    for number, row in enumerate(rows, 1):  # the comparison and the picture read these as numbers
        for column in FIGURES:
            if not row[column] and column not in REQUIRED:
                continue
            try:
                count = len([float(value) for value in row[column].split()])
            except ValueError:
                count = 0
            if count == 0 or count > 1 and column != "val accuracy per epoch":
                raise Unreadable(f"row {number}'s {column} is {row[column]!r}, not a number")
    return tuple(header), rows


def _read_bounded(path: Path) -> bytes:
    """The bytes of ``path``, read only when it is a regular file at the moment it is opened (a FIFO put in
    its place would wait forever, a link to /dev/zero never end), and only up to MOST_BYTES."""
    descriptor = os.open(path, os.O_RDONLY | BINARY | getattr(os, "O_NONBLOCK", 0))  # a FIFO opens at once
    with os.fdopen(descriptor, "rb") as file:
        kind = not_a_file(os.fstat(file.fileno()).st_mode)
        if kind:
            raise Unreadable(f"it is {kind}, not a file")
        data = file.read(MOST_BYTES + 1)
    if len(data) > MOST_BYTES:
        raise Unreadable(f"it is larger than {MOST_BYTES // 2**20} MB, more than any table of runs")
    return data


def check_appendable(path) -> None:
    """Before the run trains: the folder of ``path`` can be locked (as append_run locks it) and the file, when
    there is one, opened to read and to append; else the one sentence that says so."""
    path = Path(path)
    try:
        if os.name != "nt":  # files.exclusive locks the folder itself (on Windows, a file in it)
            os.close(os.open(path.parent, os.O_RDONLY))
        if path.exists():
            os.close(os.open(path, os.O_RDWR | os.O_APPEND | BINARY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as error:
        raise UserError(
            f"Cannot add this run's row to {path} ({error.strerror or error}); change its permissions, "
            "or pass --runs another file or --no-runs."
        )


def append_run(path, row: dict) -> list[dict]:
    """Add ``row`` at the end of ``path`` (made, with its header, if there is none) and return every row,
    this one last; Unreadable, with the file untouched, when it is not a table of runs."""
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    with exclusive(folder):
        header, rows = _read_table(path)
        line = _csv_line(row, header or COLUMNS)  # the file's own columns, in its order
        if not path.exists():
            write_output(
                path,
                lambda temporary: temporary.write_text(
                    _csv_line(dict(zip(COLUMNS, COLUMNS)), COLUMNS) + line, encoding="utf-8", newline=""
                ),
            )
        else:  # an empty file gets its header here too: the same file, its mode and its links kept
            _append_whole(path, line if header else _csv_line(dict(zip(COLUMNS, COLUMNS)), COLUMNS) + line)
    return [*rows, row]


def _append_whole(path: Path, text: str) -> None:
    """``text`` added at the end of ``path`` in one write, on a line of its own, whole or not at all: a write
    that fails (a full disk) cuts the file back to its length before, and is said, naming the file."""
    with stops_held():
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | BINARY)
        try:
            size = os.fstat(descriptor).st_size
            if size:
                os.lseek(descriptor, size - 1, os.SEEK_SET)
                if os.read(descriptor, 1) not in (b"\n", b"\r"):  # a spreadsheet leaves its last row unended
                    text = "\r\n" + text
            data, written = text.encode("utf-8"), 0
            try:
                while written < len(data):
                    written += os.write(descriptor, data[written:])
            except OSError as error:
                os.ftruncate(descriptor, size)
                raise UserError(
                    f"Could not add this run's row to {path} ({error.strerror or error}); it is as it was: "
                    "make room on its disk, or pass --runs another file or --no-runs."
                )
        finally:
            os.close(descriptor)


def _csv_line(row: dict, columns) -> str:
    text = io.StringIO()
    csv.writer(text).writerow([row.get(column, "") for column in columns])
    return text.getvalue()


# The post's settings, as mnist_learn.py has them before a reader edits it: a run is described by what it
# changed from these, in the lesson's own words (tests/test_runs.py checks them against the lesson).
POST = {
    "EPOCHS": "5",
    "BATCH_SIZE": "128",
    "HIDDEN_UNITS": "32",
    "VALIDATION": "test",
    "SCALE_PIXELS": "True",
    "SEED": "1337",
}
LINE_WIDTH = 100  # a listing's line; what pairs a run with another goes on a line of its own past it


def setting(name: str, value: str) -> str:
    """One setting in the lesson's words: 'EPOCHS 2', 'VALIDATION "split"', 'raw pixels' (the normalize lines
    deleted, or --raw-pixels; runs.csv's SCALE_PIXELS column is no constant of the lesson)."""
    if name == "SCALE_PIXELS":
        return "scaled pixels" if value == "True" else "raw pixels"
    return f'{name} "{value}"' if name == "VALIDATION" else f"{name} {value}"


def described(row: dict) -> str:
    """A run by what it changed from the post's settings: 'EPOCHS 2, BATCH_SIZE 10, raw pixels'."""
    changed = [setting(name, row[name]) for name, value in POST.items() if row[name] not in (value, "")]
    return ", ".join(changed) or "the post's settings"


def changed(name: str, before: str, after: str) -> str:
    """One setting's change in the lesson's words: 'HIDDEN_UNITS 32 → 512', 'scaled → raw pixels'."""
    if name == "SCALE_PIXELS":
        return f"{setting(name, before).split()[0]} → {setting(name, after)}"
    return f"{setting(name, before)} → " + (f'"{after}"' if name == "VALIDATION" else after)


def one_change(rows: list[dict], k: int) -> str:
    """Run ``k`` against the latest run before it that differs from it in one setting only, on the same
    backend (the post's "change just one"): 'HIDDEN_UNITS 32 → 512 against #1: +2.34 points'; '' where none does."""
    for j in range(k - 1, -1, -1):
        before, after = rows[j], rows[k]
        differ = [name for name in POST if before[name] != after[name] and "" not in (before[name], after[name])]
        if len(differ) == 1 and before["backend"].split()[:1] == after["backend"].split()[:1]:
            (name,) = differ
            change = changed(name, before[name], after[name])
            gain = (float(after["test accuracy"]) - float(before["test accuracy"])) * 100
            return f"{change} against #{j + 1}: {gain:+.2f} points"
    return ""


def listing(rows: list[dict], numbers: range, mine: int | None = None) -> list[str]:
    """A line for each run of ``numbers`` (0-based; ``mine`` marked →): its number, when, what it changed from
    the post's settings, its test accuracy and time, and the run before it that differs in one thing only."""
    what = {k: described(rows[k]) for k in numbers}
    width, today = max(map(len, what.values())), datetime.now().date().isoformat()
    digits = len(str(numbers[-1] + 1))
    lines = []
    for k in numbers:
        row = rows[k]
        day, _, clock = row["when"].partition("T")
        when = clock[:5] if day == today else f"{day} {clock[:5]}"
        accuracy = float(row["test accuracy"])
        line = f"{'→' if k == mine else ' '} #{k + 1:<{digits}}  {when}  {what[k]:<{width}}  test accuracy {accuracy:.4f}  {row['seconds']:>6} s"
        paired = one_change(rows, k)
        if paired and len(line) + 2 + len(paired) <= LINE_WIDTH:
            lines.append(f"{line}  {paired}")
        else:
            lines += [line, *([" " * (digits + 4) + paired] if paired else [])]
    return lines


def comparison(rows: list[dict], path) -> list[str]:
    """The lines a run prints after its figures: the last SHOWN runs of ``rows`` (this one last, marked),
    each by what it changed from the post's settings, paired with a run that differs from it in one thing."""
    mine = len(rows) - 1
    if mine == 0:
        return [
            f"Your runs: this is the first row of {path} ({Path(path).resolve().parent}).",
            "  Change EPOCHS, BATCH_SIZE or HIDDEN_UNITS, run again, and the runs are compared here.",
        ]
    first = max(0, mine - SHOWN + 1)
    return [
        f"Your runs (the last {mine + 1 - first} of {len(rows)} in {path}; python experiments.py --mine shows all):",
        *listing(rows, range(first, mine + 1), mine),
    ]
