"""The experiments' results: one row per run, kept as a CSV and a Markdown table side by side.

Both files are rewritten (atomically) after every run, so an interrupted session keeps every row
it finished; running an experiment again replaces that experiment's rows and keeps the others.
Each rewrite reads the table again under a lock on the folder, so two sessions writing to the same
folder at once keep each other's rows.
"""

import csv
from pathlib import Path

from .errors import UserError
from .files import exclusive, write_output

COLUMNS = (
    "experiment",
    "setting",
    "epochs",
    "batch",
    "updates",
    "train acc",
    "val acc",
    "test acc",
    "test error %",
    "seconds",
)
CSV_NAME, MARKDOWN_NAME = "results.csv", "results.md"


def make_row(experiment: str, setting: str, args, result) -> dict:
    """A table row: the lesson's flags (``args``) and what the run gave (history, test accuracy, updates, seconds)."""
    history = result.history
    return {
        "experiment": experiment,
        "setting": setting,
        "epochs": str(args.epochs),
        "batch": str(args.batch_size),
        "updates": f"{result.updates:,}",
        "train acc": f"{history['accuracy'][-1]:.4f}",  # the running figure over the last epoch, as Keras prints it
        "val acc": f"{history['val_accuracy'][-1]:.4f}",
        "test acc": f"{result.test_accuracy:.4f}",
        "test error %": f"{100 * (1 - result.test_accuracy):.2f}",
        "seconds": f"{result.seconds:.1f}",
    }


def read_rows(folder) -> list[dict]:
    """The rows saved in ``folder``/results.csv, or none when there is no such file yet."""
    path = Path(folder) / CSV_NAME
    if not path.exists():
        return []
    if not path.is_file():  # a FIFO would wait forever
        raise UserError(f"{path} is not a regular file; move it away or choose --out DIR.")
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:  # -sig: a spreadsheet's byte-order mark
            reader = csv.DictReader(file)
            rows = [row for row in reader if tuple(row.values()) != COLUMNS]  # a header pasted in again
        if tuple(reader.fieldnames or ()) != COLUMNS or any(None in row or None in row.values() for row in rows):
            raise ValueError("other columns")
    except OSError as error:
        raise UserError(f"Cannot read {path}: {error.strerror}; check its permissions or choose --out DIR.")
    except (UnicodeDecodeError, ValueError, csv.Error):
        raise UserError(f"{path} is not a results table written by experiments.py; move it away or choose --out DIR.")
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

    def write_csv(temporary):
        with open(temporary, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    write_output(folder / CSV_NAME, write_csv)
    table = markdown_table(rows) + "".join(f"\n{note}\n" for note in notes)
    write_output(folder / MARKDOWN_NAME, lambda temporary: temporary.write_text(table, encoding="utf-8"))


def markdown_table(rows: list[dict], columns=COLUMNS) -> str:
    """The rows as a Markdown table, numbers right-aligned, columns padded so it also reads as plain text."""
    text = [list(columns)] + [[cell(row[column]) for column in columns] for row in rows]
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
