"""experiments.py --quick on the synthetic digits, in this process: the table, the files, reruns, labels,
bad input; and end to end where the command line is what is tested (Ctrl-C)."""

import contextlib
import csv
import io
import math
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image
from support import ROOT, TRAIN_COUNT, clean_env, train_here

import experiments
from experiments import EXPERIMENTS
from mnist_helpers.errors import UserError
from mnist_helpers.backend import native_stderr
from mnist_helpers.runs import TABLE_COLUMNS as COLUMNS


pytestmark = pytest.mark.xdist_group("experiments")  # one quick run for the module's tests


def read_csv(folder):
    with open(folder / "results.csv", newline="") as file:
        reader = csv.DictReader(file)
        return reader.fieldnames, list(reader)


def run_here(*args) -> str:
    """experiments.main in this process; what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        experiments.main([str(arg) for arg in args])
    return printed.getvalue()


def copy_marked_old(quick, folder):
    """The quick run's table and pictures copied into ``folder``, every row marked old (999.9 seconds): its rows."""
    shutil.copytree(quick[1], folder, dirs_exist_ok=True)
    columns, rows = read_csv(folder)
    for row in rows:
        row["seconds"] = "999.9"
    with open(folder / "results.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return rows


CHOSEN = ("batch", "validation", "lecun")  # 4 runs: one shared by two experiments, one held-out, 800 units


@pytest.fixture(scope="module")
def quick(idx_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    stderr = []
    with native_stderr(stderr):  # progress bars on, as a reader runs it
        printed = run_here(*CHOSEN, "--quick", "--data", idx_folder, "--out", out)
    return printed, out, stderr[0]


def test_no_warnings_in_the_output(quick):
    printed, _, stderr = quick
    assert [line for line in (printed + stderr).splitlines() if "WARNING" in line.upper()] == []
    assert "retracing" not in stderr


def test_one_row_per_setting_with_every_column(quick):
    _, out, _ = quick
    columns, rows = read_csv(out)
    assert tuple(columns) == COLUMNS
    expected = [(name, f"quick: {setting}, run for 1 epoch") for name in CHOSEN for setting, _ in EXPERIMENTS[name][1]]
    assert [(row["experiment"], row["setting"]) for row in rows] == expected
    for row in rows:
        assert row["EPOCHS"] == "1"  # --quick
        accuracies = [float(row[column]) for column in ("train accuracy", "val accuracy", "test accuracy")]
        assert all(0 <= accuracy <= 1 for accuracy in accuracies)
        assert float(row["test error %"]) == pytest.approx(100 * (1 - float(row["test accuracy"])), abs=0.006)
        assert float(row["seconds"]) > 0
    assert sorted(path.name for path in out.iterdir()) == sorted(
        ["results.csv", "results.md", *(f"{name}.png" for name in CHOSEN)]
    )


def test_update_counts(quick):
    _, out, _ = quick
    for row in read_csv(out)[1]:
        training = TRAIN_COUNT - TRAIN_COUNT // 10 if "held-out" in row["setting"] else TRAIN_COUNT
        assert int(row["updates"]) == math.ceil(training / int(row["BATCH_SIZE"])) * int(row["EPOCHS"]), row
    batch = {row["setting"]: row for row in read_csv(out)[1] if row["experiment"] == "batch"}
    assert batch["quick: 2 epochs × batch 10, run for 1 epoch"]["updates"] == str(TRAIN_COUNT // 10)


def test_terminal_shows_progress_and_the_table(quick):
    printed, out, _ = quick
    lines = printed.splitlines()
    assert "lecun 1/1: quick: 800 units, run for 1 epoch" in lines
    progress = [line for line in lines if re.match(r"^\w+ \d/\d: ", line)]
    assert len(progress) == sum(len(EXPERIMENTS[name][1]) for name in CHOSEN)
    assert "(the same run as above)" in printed  # the default run is shared, not trained again
    finished = re.findall(r"^  test accuracy 0\.\d{4}, \d+\.\d s$", printed, re.M)
    assert len(finished) == 4  # one line as each of the 4 runs ends (the shared one ran once)
    epochs = re.findall(r"^  epoch 1: val_accuracy 0\.\d{4}, \d+ s in$", printed, re.M)  # a line an epoch, no more
    assert len(epochs) == 4 and "Total params" not in printed and "━" not in printed  # not the rest of the lesson
    table = (out / "results.md").read_text().split("\n\n")[0]
    assert table.startswith("| experiment ") and table in printed
    assert re.search(r"^4 runs in \d+ min \d+ s\. Table: .*results\.md", printed, re.M)


def test_a_quick_run_says_so_and_keeps_apart_from_a_full_one(quick, tmp_path, monkeypatch):
    printed, out, _ = quick
    note = "quick run: 1 epoch on 600 training and 200 test images, a smoke test"
    assert note in printed and note in (out / "results.md").read_text()
    assert "1.6% test error" not in printed  # the published figure is no yardstick for a smoke test
    monkeypatch.chdir(tmp_path)
    assert experiments.parse_args(["--quick"]).out.as_posix() == "experiments/quick"
    assert experiments.parse_args([]).out.as_posix() == "experiments"


def test_a_row_is_what_the_lesson_gives_for_the_same_flags(quick, digits):
    """The held-out run came after eight others in the same process and still matches a run on its own."""
    _, out, _ = quick
    row = next(row for row in read_csv(out)[1] if row["setting"] == "quick: on a held-out 10%, run for 1 epoch")
    data = (digits["x_train"], digits["y_train"]), (digits["x_test"], digits["y_test"])
    alone = train_here("--epochs", 1, "--validation", "split", "--quiet", data=data)
    assert f"{alone.test_accuracy:.4f}" == f"{float(row['test accuracy']):.4f}"


def test_rerunning_an_experiment_replaces_only_its_rows(quick, idx_folder, tmp_path):
    rows = copy_marked_old(quick, tmp_path)
    printed = run_here("lecun", "--quick", "--quiet", "--data", idx_folder, "--out", tmp_path)
    assert "  test accuracy" not in printed and "  epoch 1:" not in printed  # --quiet: the table only
    _, after = read_csv(tmp_path)
    assert [(row["experiment"], row["setting"]) for row in after] == [
        (row["experiment"], row["setting"]) for row in rows
    ]
    for old, new in zip(rows, after):
        assert (new["seconds"] == "999.9") == (old["experiment"] != "lecun")
    assert "1 runs in" in printed
    assert f"Table: {tmp_path / 'results.md'} (replaced), pictures in {tmp_path}/: lecun.png (replaced)" in printed


@pytest.mark.parametrize("name, content", [("results.md", b"# my notes\n"), ("batch.png", None)])
def test_a_file_of_the_readers_under_an_outputs_name_is_left_alone(tmp_path, idx_folder, name, content):
    """A results.md of the reader's and a batch.png were replaced without a word (issue 43 N8): a file the
    script did not make (its table, its pictures' mark) stops the run before it starts, and stays as it was."""
    if content is None:
        Image.new("L", (8, 8), 128).save(tmp_path / name)  # a picture of the reader's
    else:
        (tmp_path / name).write_bytes(content)
    before = (tmp_path / name).read_bytes()
    with pytest.raises(UserError, match=f"{re.escape(str(tmp_path / name))} (is not a results table|was not drawn) "):
        experiments.main(["--quick", "--data", str(idx_folder), "--out", str(tmp_path)])
    assert (tmp_path / name).read_bytes() == before


def test_interrupted_run_keeps_the_finished_rows(idx_folder, tmp_path_factory):
    """Ctrl-C between runs: the finished rows stay, nothing half-written, nothing left in the temp folder."""
    tmp_path, temporary = tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("tmp")
    command = [sys.executable, str(ROOT / "experiments.py"), "normalize", "--quick", "--quiet"]
    process = subprocess.Popen(
        [*command, "--data", str(idx_folder), "--out", str(tmp_path)],
        env=clean_env(TMPDIR=temporary),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (tmp_path / "results.csv").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "Interrupted." in stderr and "Traceback" not in stderr
    _, rows = read_csv(tmp_path)
    assert 1 <= len(rows) < 4 and rows[0]["setting"] == "quick: raw, 2 × 10, run for 1 epoch"
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []  # no half-written files
    assert [path.name for path in temporary.iterdir()] == []  # no copy of the data behind


def test_ctrl_c_while_tensorflow_loads_says_interrupted(idx_folder, tmp_path):
    """experiments.py reads the data, then imports TensorFlow (its start-up log captured): Ctrl-C then."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "experiments.py"), "--quick", "--data", str(idx_folder), "--out", str(tmp_path)],
        env=clean_env(PYTHONUNBUFFERED=1),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().startswith("Data: ")
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert "normalize 1/4" not in stdout, "TensorFlow had loaded: the signal came too late to test the import"
    assert process.returncode == 130 and stderr == "\nInterrupted.\n", stderr


def test_list_names_every_experiment(capsys):
    experiments.main(["--list"])
    printed = capsys.readouterr().out
    for name, (_, settings) in EXPERIMENTS.items():
        assert re.search(rf"^{name}: ", printed, re.M)
        assert all(setting in printed for setting, _ in settings)
    assert "python mnist_learn.py --hidden-units 512" in printed


def test_unknown_experiment(capsys):
    with pytest.raises(SystemExit) as raised:
        experiments.parse_args(["hidden", "dropout"])
    assert raised.value.code == 2
    assert "no experiment called 'dropout'; choose from normalize, batch, hidden, validation, lecun" in (
        capsys.readouterr().err
    )


def test_unwritable_output_folder(tmp_path, idx_folder):
    (tmp_path / "taken").write_text("a file where the folder should be")
    with pytest.raises(UserError, match="Cannot write the results to .*taken"):
        experiments.main(["--quick", "--data", str(idx_folder), "--out", str(tmp_path / "taken")])


def test_an_output_name_taken_by_a_folder(tmp_path, idx_folder):
    (tmp_path / "results.md").mkdir()
    with pytest.raises(UserError, match=r"results\.md is a folder, so experiments\.py cannot write a file there"):
        experiments.main(["--quick", "--data", str(idx_folder), "--out", str(tmp_path)])


def test_a_foreign_results_file_is_left_alone(tmp_path, idx_folder):
    (tmp_path / "results.csv").write_text("name,score\nalice,3\n")
    with pytest.raises(UserError, match="results.csv is not a results table written by experiments.py"):
        experiments.main(["--quick", "--data", str(idx_folder), "--out", str(tmp_path)])
    assert (tmp_path / "results.csv").read_text() == "name,score\nalice,3\n"


def test_a_rerun_stopped_half_way_keeps_the_earlier_rows_and_picture(quick, idx_folder, tmp_path, monkeypatch):
    """Issue 33, item 9: Ctrl-C during the second run of a rerun of 'batch' dropped the earlier second row,
    and the picture became the one-run picture. Now: the first row is new, the second still the earlier
    one, and the picture the earlier whole one."""
    rows = copy_marked_old(quick, tmp_path)
    picture = (tmp_path / "batch.png").read_bytes()
    trained, train = [], experiments.train

    def stopped_on_the_second_run(*args):
        if trained:
            raise KeyboardInterrupt  # what Ctrl-C raises inside a run
        trained.append(True)
        return train(*args)

    monkeypatch.setattr(experiments, "train", stopped_on_the_second_run)
    with pytest.raises(KeyboardInterrupt):
        run_here("batch", "--quick", "--quiet", "--data", idx_folder, "--out", tmp_path)
    _, after = read_csv(tmp_path)
    assert [(row["experiment"], row["setting"]) for row in after] == [
        (row["experiment"], row["setting"]) for row in rows
    ]
    batch = [row["seconds"] for row in after if row["experiment"] == "batch"]
    assert len(batch) == 2 and batch[0] != "999.9" and batch[1] == "999.9", batch
    assert (tmp_path / "batch.png").read_bytes() == picture


def test_a_table_from_a_spreadsheet_or_with_odd_cells_is_read_and_written_right(tmp_path):
    """Issue 33, item 12: a UTF-8 byte-order mark (a spreadsheet's save) is read, a header pasted in again is
    not a row, and a | or a line break in a cell keeps the Markdown table's columns."""
    from mnist_helpers.runs import markdown_table, read_rows, write_rows

    row = {**dict.fromkeys(COLUMNS, 0.5), "EPOCHS": 1, "BATCH_SIZE": 1, "updates": 1}  # the row format's types
    row.update(experiment="mine", setting="a | b\nc")
    write_rows(tmp_path, [row])
    text = (tmp_path / "results.csv").read_text(encoding="utf-8")
    header = ",".join(COLUMNS)
    (tmp_path / "results.csv").write_text("\ufeff" + text + header + "\r\n", encoding="utf-8")
    assert read_rows(tmp_path) == [row]
    table = markdown_table([row]).splitlines()
    assert [line.count(" | ") for line in table] == [len(COLUMNS) - 1] * 3 and "a \\| b c" in table[2]


def test_a_results_table_written_before_the_row_format_was_one_still_reads(tmp_path):
    """results.csv named its columns epochs, batch, train acc ... until runs.csv's row format became the table's
    too (issue 42): a reader's earlier table reads, its numbers as numbers, and the next write uses the new names."""
    from mnist_helpers.runs import read_rows, update_rows

    old = "experiment,setting,epochs,batch,updates,train acc,val acc,test acc,test error %,seconds\r\n"
    (tmp_path / "results.csv").write_text(old + 'hidden,32 units,5,128,"2,345",0.9556,0.9564,0.9564,4.36,3.3\r\n')
    (row,) = read_rows(tmp_path)
    assert (row["EPOCHS"], row["BATCH_SIZE"], row["updates"], row["test accuracy"]) == (5, 128, 2345, 0.9564)
    update_rows(tmp_path, "batch", [], ["hidden", "batch"])
    assert (tmp_path / "results.csv").read_text().startswith(",".join(COLUMNS))
    assert [r["test accuracy"] for r in read_rows(tmp_path)] == [0.9564]
