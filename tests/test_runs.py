"""Your runs, side by side (mnist_helpers/runs.py): each run of the lesson a row of runs.csv, the
comparison it prints, the picture, and a reader's file that is not a table of runs left alone."""

import errno
import io
import multiprocessing
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from support import ROOT, as_data, edited_lesson

import experiments
from mnist_helpers import runs
from mnist_helpers.errors import UserError
from mnist_helpers.lesson import parser_for, constants, run_lesson, settings

SHORT = ("--epochs", 1, "--no-plots")
pytestmark = pytest.mark.xdist_group("runs")  # the tests share two runs of the lesson


@pytest.fixture(scope="module")
def two_runs(digits, tmp_path_factory):
    """Two runs of the lesson in one folder, the second with other constants: (folder, what each printed)."""
    folder = tmp_path_factory.mktemp("runs")
    printed = []
    for flags in (SHORT, ("--epochs", 2, "--batch-size", 64, "--no-plots")):
        out = capture(
            lambda flags=flags: run_lesson(settings(*flags, "--runs", folder / "runs.csv"), data=as_data(digits))
        )
        printed.append(out)
    return folder, printed


def capture(run) -> str:
    import contextlib
    import io

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        run()
    return text.getvalue()


def test_each_run_adds_a_row_of_its_settings_and_the_figures_it_printed(two_runs):
    folder, printed = two_runs
    rows = runs.read_runs(folder / "runs.csv")
    assert len(rows) == 2
    for row, out, (epochs, batch) in zip(rows, printed, [(1, 128), (2, 64)]):  # numbers read back as numbers
        assert (row["EPOCHS"], row["BATCH_SIZE"], row["HIDDEN_UNITS"], row["VALIDATION"], row["SEED"]) == (
            epochs,
            batch,
            32,
            "test",
            1337,
        )
        assert row["SCALE_PIXELS"] is True and row["keras"] and row["backend"].split()[0] in ("tensorflow", "jax")
        assert f"test accuracy: {row['test accuracy']}\n" in out  # the post's print, to the last digit
        assert f"test loss {row['test loss']:.4f}." in out
        bars = re.findall(r"val_accuracy: (\d\.\d{4})", out)  # Keras' progress bar, once an epoch
        assert [f"{a:.4f}" for a in row["val accuracy per epoch"]] == bars[-epochs:] and len(bars) >= epochs
        assert row["updates"] == epochs * -(-600 // batch)
        assert row["seconds"] > 0


def test_the_first_run_says_where_its_row_went_and_the_second_compares(two_runs):
    folder, (first, second) = two_runs
    assert f"Your runs: this is the first row of {folder / 'runs.csv'} ({folder})." in first
    rows = runs.read_runs(folder / "runs.csv")
    listed = second[second.index("Your runs (") :].splitlines()
    assert listed[0].startswith(f"Your runs (the last 2 of 2 in {folder / 'runs.csv'}")
    assert listed[1].startswith("  #1 ") and f"test accuracy {float(rows[0]['test accuracy']):.4f}" in listed[1]
    assert listed[1].split()[2:4] == ["EPOCHS", "1"]  # what it changed from the post's settings
    assert listed[2].startswith("→ #2 ") and " EPOCHS 2, BATCH_SIZE 64 " in listed[2]
    assert listed[2].endswith(f"{rows[1]['seconds']} s")  # two changes: paired with no run
    assert listed[3] == (  # then the next of the post's experiments (check.py, issue 44)
        "1 of the post's 7 experiments done; next: 1. raw 2 × 10: `python mnist_learn.py --raw-pixels --epochs 2 "
        "--batch-size 10` (or delete the two normalize lines, EPOCHS = 2, BATCH_SIZE = 10)."
    )


def a_run(accuracy: float, **settings) -> dict:
    """A row of runs.csv with the post's settings but ``settings``, and this test accuracy."""
    return {
        **dict.fromkeys(runs.COLUMNS),
        **dict(runs.POST, when="2026-12-06T10:00:00", backend="tensorflow 2.21.0", seconds=20.5),
        **settings,
        "test accuracy": accuracy,
    }


def test_each_run_is_described_by_what_it_changed_from_the_post_and_paired_with_a_run_one_change_away():
    """The issue's reader: the defaults, then EPOCHS = 2 and BATCH_SIZE = 10, then back with HIDDEN_UNITS = 512,
    then the normalize lines deleted (HIDDEN_UNITS back to 32). Each run is said by what differs from the
    post's settings, in the lesson's words (its constants, and 'raw pixels'), and a run is compared with the
    latest one before it that differs in one thing only."""
    rows = [
        a_run(0.9564),
        a_run(0.9601, EPOCHS=2, BATCH_SIZE=10),
        a_run(0.9808, HIDDEN_UNITS=512),
        a_run(0.9108, SCALE_PIXELS=False),
        a_run(0.9001, SCALE_PIXELS=False, EPOCHS=2, BATCH_SIZE=10, backend="jax 0.8.1"),
    ]
    lines = runs.comparison(rows, "runs.csv")[1:]
    text = "\n".join(lines)
    assert "  the post's settings  " in lines[0] and "EPOCHS 2, BATCH_SIZE 10 " in lines[1]
    assert "HIDDEN_UNITS 512 " in lines[2] and "HIDDEN_UNITS 32 → 512 against #1: +2.44 points" in text
    assert " raw pixels " in text and "scaled → raw pixels against #1: -4.56 points" in text
    assert "HIDDEN_UNITS 512 → 32" not in text and "EPOCHS 2 → 5" not in text  # not one change from #2 or #3
    assert "against #2" not in text and "against #4" not in text  # two changes, or another backend
    lesson = constants()
    named = set(re.findall(r"\b[A-Z][A-Z_]+[A-Z]\b", text))
    assert named <= set(lesson), named  # every name a constant of mnist_learn.py
    assert {name: lesson[name] for name in runs.POST if name in lesson} == {
        name: value for name, value in runs.POST.items() if name != "SCALE_PIXELS"
    }
    listed = runs.listing([*rows] * 250, range(1000))  # from run #1000 on, the number stands apart from the time
    assert all(len(line) <= runs.LINE_WIDTH for line in listed) and listed[-1].startswith("  #1000  2026-12-06 ")


def test_an_edited_constant_gives_the_same_row_as_its_flag(two_runs, digits, tmp_path):
    edited = edited_lesson(tmp_path, "EPOCHS = 5 ", "EPOCHS = 1 ")
    run_lesson(
        settings("--no-plots", "--runs", tmp_path / "runs.csv", lesson_file=edited),
        data=as_data(digits),
        lesson_file=edited,
    )
    (edit,) = runs.read_runs(tmp_path / "runs.csv")
    flag = runs.read_runs(two_runs[0] / "runs.csv")[0]  # --epochs 1, in this process too
    same = [column for column in runs.COLUMNS if column not in ("when", "seconds")]
    assert {c: edit[c] for c in same} == {c: flag[c] for c in same}


def test_quiet_prints_no_comparison_and_no_runs_writes_no_row(digits, tmp_path, capsys):
    run_lesson(settings(*SHORT, "--quiet", "--runs", tmp_path / "runs.csv"), data=as_data(digits))
    assert "Your runs" not in capsys.readouterr().out
    assert len(runs.read_runs(tmp_path / "runs.csv")) == 1
    os.chdir(tmp_path)
    try:
        run_lesson(settings(*SHORT), data=as_data(digits))  # a run inside a program (tests, experiments.py): no row
    finally:
        os.chdir(ROOT)
    assert len(runs.read_runs(tmp_path / "runs.csv")) == 1
    script = parser_for({**constants(), "__name__": "__main__"})  # as `python mnist_learn.py` reads its flags
    assert script.parse_args([]).runs == Path("runs.csv") and script.parse_args(["--no-runs"]).runs is None


UNREADABLE = {  # a file of that name that is not a table of runs: why the row is kept out of it
    b"\x89PNG\r\n\x1a\n\x00\x00binary": "it is not text",
    b"name,score\nalice,3\n": "its columns are not those of a table of runs",
    b"when,EPOCHS\n\xff\xfe\xfa": "it is not text",
    ",".join(runs.COLUMNS).encode()
    + b"\r\n2026-12-06T10:00:00,5\r\n": "a row of it does not have a value for each column",
    # A figure edited in a spreadsheet to words: the picture of the runs drew it as a number (a traceback).
    ",".join(runs.COLUMNS).encode()
    + b"\r\n2026-12-06T10:00:00,5,128,32,test,True,1337,tensorflow 2.21.0,3.15.1,2345,fast,0.1493,"
    b"0.9563999772071838,0.9 0.93 0.94 0.95 0.9564\r\n": "row 1's seconds is 'fast', not a number",
}


def a_row(tag: str) -> dict:
    """A row of runs.csv named ``tag`` (in its "when"), its settings and figures as a run writes them."""
    figures = {"seconds": 6.3, "test loss": 0.1493, "test accuracy": 0.9564, "val accuracy per epoch": [0.9262, 0.9564]}
    return {**dict(runs.POST, when=tag, backend="tensorflow 2.21.0", keras="3.15.1", updates=2345), **figures}


def test_a_file_that_is_not_a_table_of_runs_is_left_as_it_is(digits, tmp_path, capsys):
    """Not a table, another program's columns, damaged bytes, a row cut short, a figure that is not a number:
    the file stays byte for byte,
    and the run says why its row was kept out, then ends as a good run ends, with its figures."""
    for k, (content, why) in enumerate(UNREADABLE.items()):
        path = tmp_path / str(k) / "runs.csv"
        path.parent.mkdir()
        path.write_bytes(content)
        with pytest.raises(runs.Unreadable, match=why):
            runs.append_run(path, a_row("x"))
        assert path.read_bytes() == content and sorted(p.name for p in path.parent.iterdir()) == ["runs.csv"]
    lesson = run_lesson(settings(*SHORT, "--runs", tmp_path / "0" / "runs.csv"), data=as_data(digits))  # ends, no error
    out = capsys.readouterr().out
    assert (
        f"Your runs: {tmp_path / '0' / 'runs.csv'} is left as it is and this run's row kept out of it: it is not text"
        in out
    )
    assert f"test accuracy: {lesson['test_acc']}" in out
    assert (tmp_path / "0" / "runs.csv").read_bytes() == list(UNREADABLE)[0]


def test_a_spreadsheets_file_keeps_its_rows_and_gets_one_more(tmp_path):
    """Saved from a spreadsheet: a byte-order mark, and no line break after the last row."""
    path = tmp_path / "runs.csv"
    runs.append_run(path, a_row("first"))
    saved = b"\xef\xbb\xbf" + path.read_bytes().rstrip(b"\r\n")
    path.write_bytes(saved)
    rows = runs.append_run(path, a_row("second"))
    assert path.read_bytes().startswith(saved + b"\r\n")  # appended, not rewritten
    assert [row["when"] for row in rows] == [row["when"] for row in runs.read_runs(path)] == ["first", "second"]


def test_a_log_from_an_earlier_or_a_later_version_loads_and_keeps_its_columns(tmp_path):
    """A log with a column this version does not know, and one without columns it has but does not need:
    both load; the next row keeps the file's own columns (the unknown one empty), nothing earlier is
    rewritten, and the comparison and the picture take the rows (issue 42)."""
    from mnist_helpers.plotting import runs_figure

    later, earlier = tmp_path / "later.csv", tmp_path / "earlier.csv"
    runs.append_run(later, a_row("first"))
    lines = later.read_text(encoding="utf-8").splitlines()
    later.write_text(f"{lines[0]},notes\r\n{lines[1]},kept by hand\r\n", encoding="utf-8", newline="")
    kept = [c for c in runs.COLUMNS if c not in ("keras", "updates", "seconds", "val accuracy per epoch")]
    row = a_row("first")
    with open(earlier, "w", encoding="utf-8", newline="") as file:
        file.write(",".join(kept) + "\r\n" + ",".join(runs.as_text(c, row[c]) for c in kept) + "\r\n")
    for path, extra in ((later, {"notes": "kept by hand"}), (earlier, {"seconds": None, "keras": None})):
        before = path.read_bytes()
        (first,) = runs.read_runs(path)
        assert first.items() >= extra.items() and first["when"] == "first"
        rows = runs.append_run(path, a_row("second"))
        assert path.read_bytes().startswith(before)  # appended, nothing rewritten
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        last = path.read_text(encoding="utf-8").splitlines()[-1].split(",")
        assert len(last) == len(header) and dict(zip(header, last))["when"] == "second"
        assert [r["when"] for r in runs.read_runs(path)] == ["first", "second"]
        assert "notes" not in header or dict(zip(header, last))["notes"] == ""
        assert len(runs.comparison(rows, path)) == 3
        runs_figure(runs.read_runs(path)).savefig(io.BytesIO(), format="png")


def test_the_picture_draws_a_cells_text_as_text_and_a_row_without_a_backend(tmp_path):
    """A setting edited to '$\\frac{$' went to Matplotlib's mathtext (a parse error), an empty backend cell
    gave an IndexError: both in the lesson after training and in experiments.py --mine (issue 43)."""
    from mnist_helpers.plotting import runs_figure

    rows = [dict(a_row("one"), EPOCHS="$\\frac{$", backend=""), dict(a_row("two"), backend="jax 0.8.1")]
    figure = runs_figure(rows)
    figure.savefig(io.BytesIO(), format="png")
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("#1: \\$\\frac{\\$ epochs") and labels[0].endswith("backend unknown"), labels


def test_an_empty_log_is_added_to_in_place_keeping_its_mode_and_links(tmp_path):
    """An empty runs.csv of mode 600 with a second name (a hard link) was replaced by a new file of mode 644,
    the link split (issue 43 N9): appending keeps the file, its mode and its links."""
    path = tmp_path / "runs.csv"
    path.touch(mode=0o600)
    os.chmod(path, 0o600)
    os.link(path, tmp_path / "keep.csv")
    before = path.stat()
    runs.append_run(path, a_row("first"))
    after = path.stat()
    assert (after.st_ino, after.st_mode, after.st_nlink) == (before.st_ino, before.st_mode, 2)
    assert [row["when"] for row in runs.read_runs(tmp_path / "keep.csv")] == ["first"]


def test_an_append_that_fails_half_way_leaves_the_log_as_it_was_and_names_it(tmp_path, monkeypatch):
    """A full disk cut runs.csv in the middle of a row and blamed 'standard output or a file' (issue 43 N4):
    the append is whole or absent, the file back to its bytes before, the message names it."""
    path = tmp_path / "runs.csv"
    runs.append_run(path, a_row("first"))
    before = path.read_bytes()
    real_write = os.write

    def full_disk(descriptor, data):
        real_write(descriptor, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(runs.os, "write", full_disk)
    with pytest.raises(UserError, match=f"Could not add this run's row to {re.escape(str(path))} .No space left"):
        runs.append_run(path, a_row("second"))
    assert path.read_bytes() == before


def test_a_log_that_is_no_regular_file_is_refused_at_once(tmp_path):
    """A FIFO named runs.csv hung experiments.py --mine and the lesson; a link to /dev/zero read until memory
    ran out (issue 43 N3): only a regular file is read, and only up to its bound."""
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    for path, said in ((fifo, "it is a FIFO, not a file"), (zero, "it is a device, not a file")):
        with pytest.raises(runs.Unreadable, match=said):
            runs.read_runs(path)
        with pytest.raises(UserError, match=f"{re.escape(str(path))} is not a table of your runs: {said}"):
            experiments.main(["--mine", "--runs", str(path), "--plots", str(tmp_path / "p")])


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError(errno.ENOSPC, "No space left on device")])
def test_a_run_stopped_or_failing_while_it_draws_adds_no_row(digits, tmp_path, monkeypatch, stop):
    """The row was written before the pictures: Ctrl-C at 'Drawing the pictures...' or a full disk for them
    left it in (issue 43 N5). The row is the run's last write."""
    from mnist_helpers import plotting

    def stopped(*args):
        raise stop

    monkeypatch.setattr(plotting, "save_run_pictures", stopped)
    with pytest.raises(stop if isinstance(stop, type) else type(stop)):
        run_lesson(
            settings("--epochs", 1, "--runs", tmp_path / "runs.csv", "--plots", tmp_path / "p"), data=as_data(digits)
        )
    assert not (tmp_path / "runs.csv").exists() or runs.read_runs(tmp_path / "runs.csv") == []


@pytest.mark.parametrize("refused", ["the file", "the folder"])
def test_a_log_that_cannot_be_added_to_is_said_before_training(digits, tmp_path, monkeypatch, capsys, refused):
    """`chmod 444 runs.csv`, or its folder 333 (written, not read): the lesson trained, saved the model and then
    ended with exit 1 and no pictures (issue 43 N7). Said before training, like every other output. As root
    every open succeeds, so the test has the open refused as a user's is."""
    path = tmp_path / "runs.csv"
    runs.append_run(path, a_row("first"))
    real_open = os.open
    denied = path if refused == "the file" else tmp_path

    def open_as_a_user(name, flags, *mode):
        if Path(name) == denied and (flags & (os.O_WRONLY | os.O_RDWR) or name == tmp_path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real_open(name, flags, *mode)

    monkeypatch.setattr(runs.os, "open", open_as_a_user)
    with pytest.raises(UserError, match=f"Cannot add this run's row to {re.escape(str(path))} .Permission denied"):
        run_lesson(settings(*SHORT, "--runs", path), data=as_data(digits))
    assert "Training on" not in capsys.readouterr().out


def append_rows(path, count, tag):
    for k in range(count):
        runs.append_run(path, a_row(f"{tag}{k}"))


def test_runs_ending_at_once_in_one_folder_all_keep_their_rows(tmp_path):
    path = tmp_path / "runs.csv"
    context = multiprocessing.get_context("spawn" if sys.platform == "win32" else "fork")
    workers = [context.Process(target=append_rows, args=(path, 40, tag)) for tag in "abc"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    rows = runs.read_runs(path)
    assert sorted(row["when"] for row in rows) == sorted(f"{tag}{k}" for tag in "abc" for k in range(40))
    assert all(row == a_row(row["when"]) for row in rows)  # no row torn or mixed with another


def test_a_folder_that_cannot_take_the_runs_is_said_before_training(digits, tmp_path, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(UserError, match=r"Cannot write your runs to .*a-file"):
        run_lesson(settings(*SHORT, "--runs", tmp_path / "a-file" / "runs.csv"), data=as_data(digits))
    assert "Training on" not in capsys.readouterr().out


def test_a_failed_run_writes_no_row(digits, tmp_path):
    broken = edited_lesson(tmp_path, "x_test = x_test.reshape((len(x_test), 28 * 28))\n", "")
    with pytest.raises(UserError):
        run_lesson(
            settings(*SHORT, "--runs", tmp_path / "runs.csv", lesson_file=broken),
            data=as_data(digits),
            lesson_file=broken,
        )
    assert not (tmp_path / "runs.csv").exists()


def test_the_picture_has_a_line_per_run_labelled_by_its_settings(two_runs, tmp_path):
    from mnist_helpers.plotting import runs_figure

    folder, _ = two_runs
    rows = runs.read_runs(folder / "runs.csv")
    raw = dict(rows[1], SCALE_PIXELS=False, VALIDATION="split", SEED=7)
    figure = runs_figure([*rows, raw])
    curves = figure.axes[0]
    assert len(curves.lines) == 3
    assert [text.get_text() for text in curves.get_legend().get_texts()] == [
        "#1: 1 epochs × batch 128, 32 units",
        "#2: 2 epochs × batch 64, 32 units",
        "#3: 2 epochs × batch 64, 32 units, raw pixels, split validation, seed 7 (this run)",
    ]
    assert [len(line.get_xdata()) for line in curves.lines] == [1, 2, 2]
    other = "torch 2.13.0" if not rows[0]["backend"].startswith("torch") else "jax 0.12.1"
    labels = [
        text.get_text() for text in runs_figure([*rows, dict(rows[1], backend=other)]).axes[0].get_legend().get_texts()
    ]
    assert labels[0].endswith(f", {rows[0]['backend'].split()[0]}") and labels[2].endswith(
        f", {other.split()[0]} (this run)"
    )


def test_experiments_mine_prints_the_table_and_draws_it_without_training(two_runs, tmp_path, capsys):
    folder, _ = two_runs
    shutil.copy(folder / "runs.csv", tmp_path / "mine.csv")
    experiments.main(["--mine", "--runs", str(tmp_path / "mine.csv"), "--plots", str(tmp_path / "p")])
    out = capsys.readouterr().out
    rows = runs.read_runs(tmp_path / "mine.csv")
    assert all(f"test accuracy {float(row['test accuracy']):.4f}" in out for row in rows)
    assert all(len(line) <= runs.LINE_WIDTH for line in out.splitlines()[1:-1])  # the runs, between two lines
    assert out.strip().endswith(
        f"2 runs in {tmp_path / 'mine.csv'} (every column: open it in a spreadsheet). Picture: {tmp_path / 'p' / 'runs.png'}"
    )
    assert (tmp_path / "p" / "runs.png").stat().st_size > 10_000
    with pytest.raises(UserError, match="There are no runs in"):
        experiments.main(["--mine", "--runs", str(tmp_path / "none.csv"), "--plots", str(tmp_path / "p")])


def test_a_row_the_picture_cannot_draw_is_left_out_and_said(tmp_path):
    """Issue 43 N6: a figure edited to 'nan', 'inf' or '1e308' reads as a number; the picture drew it anyway,
    a line of nothing or a time axis to 1e308 that squashed every other run. Such a row is left out of the
    picture, and the picture says which."""
    from mnist_helpers.plotting import runs_figure

    path = tmp_path / "runs.csv"
    for tag in ("one", "two", "three", "four"):
        runs.append_run(path, a_row(tag))
    text = path.read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace(",6.3,", ",1e308,")  # #2: seconds
    text[3] = text[3].replace(",0.9564,", ",nan,")  # #3: test accuracy
    path.write_text("\r\n".join(text) + "\r\n", encoding="utf-8", newline="")
    rows = runs.read_runs(path)
    figure = runs_figure(rows)
    figure.savefig(io.BytesIO(), format="png")
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert [label.split(":")[0] for label in labels] == ["#1", "#4"]
    assert "left out: #2, #3" in figure._suptitle.get_text()
    assert max(figure.axes[1].get_xlim()) < 100  # the time axis is the drawn runs'
    import experiments  # and through the command that draws it: python experiments.py --mine

    experiments.main(["--mine", "--runs", str(path), "--plots", str(tmp_path / "p")])
    assert (tmp_path / "p" / "runs.png").stat().st_size > 10_000
