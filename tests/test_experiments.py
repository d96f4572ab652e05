"""experiments.py --quick on the synthetic digits: the table, the files, reruns, interruptions, bad input."""

import csv
import math
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, TEST_COUNT, TRAIN_COUNT, assert_clean_failure, clean_env, run_script

from experiments import EXPERIMENTS
from mnist_helpers.results_table import COLUMNS


def read_csv(folder):
    with open(folder / "results.csv", newline="") as file:
        reader = csv.DictReader(file)
        return reader.fieldnames, list(reader)


@pytest.fixture(scope="module")
def quick(idx_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    result = run_script("experiments.py", "--quick", "--quiet", "--data", idx_folder, "--out", out, timeout=600)
    assert result.returncode == 0, result.stderr
    return result, out


def test_one_row_per_setting_with_every_column(quick):
    result, out = quick
    columns, rows = read_csv(out)
    assert tuple(columns) == COLUMNS
    expected = [(name, setting) for name, (_, settings) in EXPERIMENTS.items() for setting, _ in settings]
    assert [(row["experiment"], row["setting"]) for row in rows] == expected
    for row in rows:
        assert row["epochs"] == "1"  # --quick
        accuracies = [float(row[column]) for column in ("train acc", "val acc", "test acc")]
        assert all(0 <= accuracy <= 1 for accuracy in accuracies)
        assert float(row["test error %"]) == pytest.approx(100 * (1 - float(row["test acc"])), abs=0.006)
        assert float(row["seconds"]) > 0
    assert sorted(path.name for path in out.iterdir()) == sorted(
        ["results.csv", "results.md", *(f"{name}.png" for name in EXPERIMENTS)]
    )


def test_update_counts(quick):
    _, out = quick
    for row in read_csv(out)[1]:
        training = TRAIN_COUNT - TRAIN_COUNT // 10 if "held-out" in row["setting"] else TRAIN_COUNT
        assert int(row["updates"]) == math.ceil(training / int(row["batch"])) * int(row["epochs"]), row
    batch = {row["setting"]: row for row in read_csv(out)[1] if row["experiment"] == "batch"}
    assert batch["2 epochs × batch 10"]["updates"] == str(TRAIN_COUNT // 10)


def test_terminal_shows_progress_and_the_table(quick):
    result, out = quick
    lines = result.stdout.splitlines()
    assert "hidden 3/4: 512 units, 1 epochs × batch 128" in lines
    progress = [line for line in lines if re.match(r"^\w+ \d/\d: ", line)]
    assert len(progress) == sum(len(settings) for _, settings in EXPERIMENTS.values())
    assert "(the same run as above)" in result.stdout  # the default run is shared, not trained again
    table = (out / "results.md").read_text().split("\n\n")[0]
    assert table.startswith("| experiment ") and table in result.stdout
    assert re.search(r"^9 runs in \d+ min \d+ s\. Table: .*results\.md", result.stdout, re.M)
    assert "1.6% test error" in result.stdout


def test_a_row_is_what_mnist_learn_prints_for_the_same_flags(quick, idx_folder):
    """The held-out run comes after eight others in the same process and still matches a fresh mnist_learn.py."""
    _, out = quick
    row = next(row for row in read_csv(out)[1] if row["setting"] == "on a held-out 10%")
    lesson = run_script("mnist_learn.py", "--data", idx_folder, "--epochs", 1, "--validation", "split", "--no-plots")
    assert lesson.returncode == 0, lesson.stderr
    assert f"test accuracy: {row['test acc']}" in lesson.stdout
    assert f"Training on {TRAIN_COUNT - TRAIN_COUNT // 10:,} images, validating on {TRAIN_COUNT // 10}" in lesson.stdout
    assert TEST_COUNT == 200


def test_rerunning_an_experiment_replaces_only_its_rows(quick, idx_folder, tmp_path):
    _, out = quick
    shutil.copytree(out, tmp_path, dirs_exist_ok=True)
    columns, rows = read_csv(tmp_path)
    for row in rows:
        row["seconds"] = "999.9"  # marks every row as old
    with open(tmp_path / "results.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    result = run_script("experiments.py", "hidden", "--quick", "--quiet", "--data", idx_folder, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    _, after = read_csv(tmp_path)
    assert [(row["experiment"], row["setting"]) for row in after] == [
        (row["experiment"], row["setting"]) for row in rows
    ]
    for old, new in zip(rows, after):
        assert (new["seconds"] == "999.9") == (old["experiment"] != "hidden")
    assert "4 runs in" in result.stdout


def test_interrupted_run_keeps_the_finished_rows(idx_folder, tmp_path):
    command = [sys.executable, str(ROOT / "experiments.py"), "normalize", "--quick", "--quiet"]
    process = subprocess.Popen(
        [*command, "--data", str(idx_folder), "--out", str(tmp_path)],
        env=clean_env(),
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
    assert 1 <= len(rows) < 4 and rows[0]["setting"] == "raw, 2 × 10"
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []  # no half-written files


def test_list_names_every_experiment():
    result = run_script("experiments.py", "--list")
    assert result.returncode == 0, result.stderr
    for name, (_, settings) in EXPERIMENTS.items():
        assert re.search(rf"^{name}: ", result.stdout, re.M)
        assert all(setting in result.stdout for setting, _ in settings)
    assert "python mnist_learn.py --hidden-units 512" in result.stdout


def test_unknown_experiment():
    result = run_script("experiments.py", "hidden", "dropout")
    assert result.returncode == 2
    assert "no experiment called 'dropout'; choose from normalize, batch, hidden, validation, lecun" in result.stderr


def test_unwritable_output_folder(tmp_path, idx_folder):
    (tmp_path / "taken").write_text("a file where the folder should be")
    result = run_script("experiments.py", "--quick", "--data", idx_folder, "--out", tmp_path / "taken")
    assert_clean_failure(result, "Cannot write the results to", "taken")


def test_a_foreign_results_file_is_left_alone(tmp_path, idx_folder):
    (tmp_path / "results.csv").write_text("name,score\nalice,3\n")
    result = run_script("experiments.py", "--quick", "--data", idx_folder, "--out", tmp_path)
    assert_clean_failure(result, "results.csv is not a results table written by experiments.py")
    assert (tmp_path / "results.csv").read_text() == "name,score\nalice,3\n"
