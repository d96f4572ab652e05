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
from .post import POST
from .plumbing.files import BINARY, NONBLOCK, NotAFile, append_lines, cannot_read, exclusive, read_bounded, write_output

RUNS = "runs.csv"  # in the folder the lesson runs in
SETTINGS = ("EPOCHS", "BATCH_SIZE", "HIDDEN_UNITS", "VALIDATION", "SCALE_PIXELS", "SEED", "backend", "keras")
COLUMNS = ("when", *SETTINGS, "updates", "seconds", "test loss", "test accuracy", "val accuracy per epoch")
# The one row format of a run, in runs.csv and in the experiments table (which adds its own columns): how a
# column's text reads back. In memory numbers are numbers, a list a list, a missing or empty cell None;
# other columns are text, a column this project does not know kept as it is.
TYPES = {
    **dict.fromkeys(("EPOCHS", "BATCH_SIZE", "HIDDEN_UNITS", "SEED", "updates"), int),
    **dict.fromkeys(("seconds", "test loss", "test accuracy", "train accuracy", "val accuracy", "test error %"), float),
    "SCALE_PIXELS": lambda text: {"True": True, "False": False}[text],
    "val accuracy per epoch": lambda text: [float(value) for value in text.split()],
}
WRITTEN = {"seconds": "{:.1f}", "test loss": "{:.4f}"}  # as the run printed them; the rest as Python prints them
# What makes a file a table of runs: a log written by an earlier or a later version has these, and may lack
# the other columns (they read as empty) or have more (kept, and given an empty cell in the rows added).
REQUIRED = ("when", "EPOCHS", "BATCH_SIZE", "HIDDEN_UNITS", "test accuracy")
ROW, ROW_FIX = "this run's row", "pass --runs another file or --no-runs"
SHOWN = 5  # runs the comparison lists: this one and the four before it
MOST_BYTES = 64 * 2**20  # a table of runs larger than this is not one (a row is about 150 bytes)


class Unreadable(Exception):
    """runs.csv is there but is not a table of runs; ``str()`` says why."""


def row_of(lesson: dict, backend: str, keras_version: str, updates: int, seconds: float) -> dict:
    """A run's row: its settings, and its figures (test accuracy to the last digit the post's
    ``print('test accuracy:', test_acc)`` shows)."""
    x_train = lesson["x_train"]
    return {
        "when": datetime.now().isoformat(timespec="seconds"),
        **{name: lesson[name] for name in ("EPOCHS", "BATCH_SIZE", "HIDDEN_UNITS", "VALIDATION", "SEED")},
        "SCALE_PIXELS": bool(x_train.dtype.kind == "f" and x_train.size and x_train.max() <= 1),
        "backend": backend,
        "keras": keras_version,
        "updates": updates,
        "seconds": seconds,
        "test loss": float(lesson["test_loss"]),
        "test accuracy": float(lesson["test_acc"]),
        "val accuracy per epoch": [float(a) for a in lesson["history"].history["val_accuracy"]],
    }


def as_text(column: str, value) -> str:
    """A cell of the row format as a file holds it ('' for None); ``typed`` reads it back."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(f"{item:.4f}" for item in value)  # as Keras' progress bar shows an epoch's figure
    return WRITTEN.get(column, "{}").format(value) if isinstance(value, (int, float)) else str(value)


def typed(header, cells, number: int) -> dict:
    """A line of a table as the row format holds it (``TYPES``); Unreadable names a cell that does not read."""
    row = {}
    for column, text in zip(header, cells):
        try:
            row[column] = TYPES[column](text.replace(",", "")) if text and column in TYPES else text or None
        except (ValueError, KeyError):
            kind = "True or False" if column == "SCALE_PIXELS" else "a number"
            raise Unreadable(f"row {number}'s {column} is {text!r}, not {kind}")
    return row


def read_runs(path) -> list[dict]:
    """The rows of ``path`` ([] when there is none yet); Unreadable when it is not a table of runs."""
    return read_table(path)[1]


def read_table(path, *table) -> tuple[tuple, list[dict]]:
    """(the header, as the file names its columns, or () for no file or an empty one; the rows, typed): runs.csv,
    or with ``table`` (parse_table's required columns, columns and name) another table in the row format."""
    try:
        return parse_table(read_bounded(Path(path), MOST_BYTES), *table)
    except FileNotFoundError:
        return (), []
    except NotAFile as kind:
        raise Unreadable(f"it is {kind}, not a file")
    except ValueError as error:  # read_bounded's: more than MOST_BYTES
        raise Unreadable(f"{error}, more than any table of runs")
    except OSError as error:
        raise Unreadable(f"it cannot be read ({error.strerror or error})")


def parse_table(data: bytes, required=REQUIRED, columns=COLUMNS, what="a table of runs") -> tuple[tuple, list[dict]]:
    """The one reader of a table in the row format, runs.csv and results.csv alike: (its header, or () when it
    is empty; its rows, typed, each with every one of ``columns``). Unreadable says why it is not such a table."""
    try:
        text = data.decode("utf-8-sig")  # -sig: a spreadsheet's byte-order mark
        lines = [line for line in csv.reader(io.StringIO(text, newline="")) if line]  # no blank line a spreadsheet left
    except UnicodeDecodeError:
        raise Unreadable("it is not text (damaged bytes)")
    except csv.Error as error:
        raise Unreadable(f"it is not a table ({error})")
    if not lines:
        return (), []
    header = [OLD_NAMES.get(name, name) for name in lines[0]]
    if not set(required) <= set(header) or len(set(header)) < len(header):
        raise Unreadable(f"its columns are not those of {what}")
    if any(len(line) != len(header) for line in lines[1:]):
        raise Unreadable("a row of it does not have a value for each column")
    empty = dict.fromkeys(columns)  # a column this table does not have reads as None
    rows = [typed(header, line, k) for k, line in enumerate(lines[1:], 1) if line != lines[0]]  # a header again
    for number, row in enumerate(rows, 1):
        if missing := [column for column in required if row[column] is None]:
            raise Unreadable(f"row {number} has no {missing[0]}")
    return tuple(header), [{**empty, **row} for row in rows]


def check_appendable(path) -> None:
    """Before the run trains: the folder of ``path`` can be locked (as append_run locks it) and the file, when
    there is one, opened to read and to append; else the one sentence that says so."""
    path = Path(path)
    try:
        if os.name != "nt":  # files.exclusive locks the folder itself (on Windows, a file in it)
            os.close(os.open(path.parent, os.O_RDONLY))
        if path.exists():
            os.close(os.open(path, os.O_RDWR | os.O_APPEND | BINARY | NONBLOCK))
    except OSError as error:
        raise UserError(
            f"Cannot add this run's row to {path} ({error.strerror or error}); change its permissions, "
            "or pass --runs another file or --no-runs."
        )


def append_run(path, row: dict, *table, said=(ROW, ROW_FIX)) -> list[dict]:
    """Add ``row`` at the end of ``path`` (made, with its header, if there is none) and return every row,
    this one last; Unreadable, with the file untouched, when it is not a table of runs (or of ``table``, as
    ``read_table``; ``said``: what the row is and the fix, should the disk be full)."""
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    with exclusive(folder):
        header, rows = read_table(path, *table)
        columns = table[1] if table else COLUMNS
        line = csv_line(row, header or columns)  # the file's own columns, in its order
        # A new file, or an empty one (the same file, its mode and its links kept), gets its header too.
        append_lines(path, line if header else header_line(columns) + line, *said)
    return [*rows, row]


def csv_line(row: dict, columns) -> str:
    """A row of the format as a line of a CSV file, its cells in ``columns``' order (``as_text``)."""
    return header_line([as_text(column, row.get(column)) for column in columns])


def header_line(cells) -> str:
    text = io.StringIO()
    csv.writer(text).writerow(cells)
    return text.getvalue()


# A run is described by what it changed from the post's settings (post.POST), in the lesson's own words.
LINE_WIDTH = 100  # a listing's line; what pairs a run with another goes on a line of its own past it


def setting(name: str, value) -> str:
    """One setting in the lesson's words: 'EPOCHS 2', 'VALIDATION "split"', 'raw pixels' (the normalize lines
    deleted, or --raw-pixels; runs.csv's SCALE_PIXELS column is no constant of the lesson)."""
    if name == "SCALE_PIXELS":
        return "scaled pixels" if value else "raw pixels"
    return f'{name} "{value}"' if name == "VALIDATION" else f"{name} {value}"


def described(row: dict) -> str:
    """A run by what it changed from the post's settings: 'EPOCHS 2, BATCH_SIZE 10, raw pixels'."""
    changed = [setting(name, row[name]) for name, value in POST.items() if row[name] not in (value, None)]
    return ", ".join(changed) or "the post's settings"


def changed(name: str, before, after) -> str:
    """One setting's change in the lesson's words: 'HIDDEN_UNITS 32 → 512', 'scaled → raw pixels'."""
    if name == "SCALE_PIXELS":
        return f"{setting(name, before).split()[0]} → {setting(name, after)}"
    return f"{setting(name, before)} → " + (f'"{after}"' if name == "VALIDATION" else str(after))


def one_change(rows: list[dict], k: int) -> str:
    """Run ``k`` against the latest run before it that differs from it in one setting only, on the same
    backend (the post's "change just one"): 'HIDDEN_UNITS 32 → 512 against #1: +2.34 points'; '' where none does."""
    for j in range(k - 1, -1, -1):
        before, after = rows[j], rows[k]
        differ = [name for name in POST if before[name] != after[name] and None not in (before[name], after[name])]
        if len(differ) == 1 and str(before["backend"]).split()[:1] == str(after["backend"]).split()[:1]:
            (name,) = differ
            change = changed(name, before[name], after[name])
            gain = (after["test accuracy"] - before["test accuracy"]) * 100
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
        seconds = as_text("seconds", row["seconds"])
        line = f"{'→' if k == mine else ' '} #{k + 1:<{digits}}  {when}  {what[k]:<{width}}  test accuracy {row['test accuracy']:.4f}  {seconds:>6} s"
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


# The experiments' results: one row per run, kept as a CSV and a Markdown table side by side. Both files are
# rewritten whole after every run, so an interrupted session keeps every row it finished; running an
# experiment again replaces its rows and keeps the others; under the folder's lock, two sessions writing to
# one folder keep each other's rows.

TABLE_COLUMNS = ("experiment", "setting", "EPOCHS", "BATCH_SIZE", "updates", "train accuracy", "val accuracy")
TABLE_COLUMNS += ("test accuracy", "test error %", "seconds")
OLD_NAMES = {"epochs": "EPOCHS", "batch": "BATCH_SIZE", "train acc": "train accuracy", "val acc": "val accuracy"}
OLD_NAMES["test acc"] = "test accuracy"  # results.csv's columns before the row format was one
SHOWN_AS = {"train accuracy": "{:.4f}", "val accuracy": "{:.4f}", "test accuracy": "{:.4f}", "test error %": "{:.2f}"}
SHOWN_AS.update(updates="{:,}", seconds="{:.1f}")  # how the Markdown table shows the figures
CSV_NAME, MARKDOWN_NAME = "results.csv", "results.md"


def table_row(experiment: str, setting: str, run) -> dict:
    """A row of the experiments table: the run's settings and figures (``run``: epochs, batch_size, updates,
    history, test_accuracy, seconds), in the row format of runs.csv."""
    return {
        "experiment": experiment,
        "setting": setting,
        "EPOCHS": run.epochs,
        "BATCH_SIZE": run.batch_size,
        "updates": run.updates,
        "train accuracy": run.history["accuracy"][-1],  # the running figure over the last epoch, as Keras prints it
        "val accuracy": run.history["val_accuracy"][-1],
        "test accuracy": run.test_accuracy,
        "test error %": 100 * (1 - run.test_accuracy),
        "seconds": run.seconds,
    }


def read_rows(folder) -> list[dict]:
    """The rows saved in ``folder``/results.csv (read as runs.csv is), or none when there is no such file yet."""
    path = Path(folder) / CSV_NAME
    try:
        _, rows = parse_table(
            read_bounded(path, MOST_BYTES), ("experiment", "setting"), TABLE_COLUMNS, "a results table"
        )
    except FileNotFoundError:
        return []
    except NotAFile as kind:
        raise UserError(f"{path} is {kind}, not a results table; move it away or choose --out DIR.")
    except OSError as error:
        raise cannot_read(path, error, "check its permissions or choose --out DIR")
    except (ValueError, Unreadable) as why:
        raise UserError(
            f"{path} is not a results table written by experiments.py ({why}); move it away or choose --out DIR."
        )
    return rows


def update_rows(folder, experiment: str, new_rows: list[dict], order: list[str], notes=(), pending=()) -> list:
    """Replace ``experiment``'s rows in the folder's table by ``new_rows`` and write it again, keeping the
    rows another session wrote meanwhile, and the rows of settings still ``pending`` in this session;
    the table as written."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    with exclusive(folder):
        rows = replace_experiment(read_rows(folder), experiment, new_rows, order, pending)
        write_rows(folder, rows, notes)
    return rows


def write_rows(folder, rows: list[dict], notes: list[str] = ()) -> None:
    """Write ``rows`` as results.csv and results.md (the table, then ``notes`` below it)."""
    folder = Path(folder)
    columns = [*TABLE_COLUMNS, *(column for row in rows for column in row if column not in TABLE_COLUMNS)]
    text = header_line(dict.fromkeys(columns)) + "".join(csv_line(row, dict.fromkeys(columns)) for row in rows)
    write_output(folder / CSV_NAME, lambda temporary: temporary.write_text(text, encoding="utf-8", newline=""))
    table = markdown_table(rows) + "".join(f"\n{note}\n" for note in notes)
    write_output(folder / MARKDOWN_NAME, lambda temporary: temporary.write_text(table, encoding="utf-8"))


def markdown_table(rows: list[dict], columns=TABLE_COLUMNS) -> str:
    """The rows as a Markdown table, numbers right-aligned, columns padded so it also reads as plain text."""
    text = [list(columns)] + [[cell(shown(column, row.get(column))) for column in columns] for row in rows]
    widths = [max(len(line[i]) for line in text) for i in range(len(columns))]
    numeric = [all(_is_number(line[i]) for line in text[1:]) for i in range(len(columns))]

    def line(cells):
        padded = [cell.rjust(w) if right else cell.ljust(w) for cell, w, right in zip(cells, widths, numeric)]
        return "| " + " | ".join(padded) + " |"

    rule = "| " + " | ".join("-" * (w - 1) + ":" if right else "-" * w for w, right in zip(widths, numeric)) + " |"
    return "\n".join([line(text[0]), rule, *(line(cells) for cells in text[1:])]) + "\n"


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def shown(column: str, value) -> str:
    """A figure as the Markdown table shows it: 4 decimals for an accuracy, 1 for seconds, commas in a count."""
    return (
        SHOWN_AS[column].format(value)
        if column in SHOWN_AS and isinstance(value, (int, float))
        else as_text(column, value)
    )


def cell(text: str) -> str:
    """A table cell as Markdown shows it on one line: ``|`` escaped, line breaks as spaces."""
    return " ".join(text.replace("|", "\\|").split())


def replace_experiment(rows: list[dict], experiment: str, new_rows: list[dict], order: list[str], pending=()) -> list:
    """``rows`` with ``experiment``'s rows replaced by ``new_rows``, but those of settings still ``pending``
    (a rerun stopped half way keeps them), experiments kept in ``order``."""
    waiting = [row for row in rows if row["experiment"] == experiment and row["setting"] in pending]
    kept = [row for row in rows if row["experiment"] != experiment] + new_rows + waiting
    rank = {name: i for i, name in enumerate(order)}
    return sorted(kept, key=lambda row: rank.get(row["experiment"], len(rank)))  # stable: settings keep their order
