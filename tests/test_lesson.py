"""mnist_learn.py on synthetic digits: through its seam in this process, and end to end where the
command line itself is what is tested (exit codes, messages, Ctrl-C)."""

import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from support import (
    edited_lesson,
    ROOT,
    SMALL_RUN,
    as_data,
    clean_env,
    epoch_figures,
    on_the_fresh_run,
    progress_counts,
    run_script,
    train_here,
)

from mnist_helpers import backend, runs
from mnist_helpers.errors import UserError
from mnist_helpers.lesson import LESSON, constants, explain, parser_for, run_lesson, settings
from mnist_helpers.backend import is_startup_noise


def test_prints_the_lesson_in_order(idx_folder, capsys):
    run_lesson(settings("--data", idx_folder, *SMALL_RUN, "--no-plots"))
    out = capsys.readouterr().out
    # the post's ndim and shape checks, as plain prints: as loaded, then after reshape, encode and scale
    loaded = "3\n2\n(600, 28, 28)\n(28, 28)\n1\n0\n(200,)\n()\n"
    reshaped = "2\n1\n(600, 784)\n(784,)\n"
    encoded = "2\n1\n(200, 10)\n(10,)\n"
    scaled = "float32 0.0 1.0\n"
    assert "Total params: 25,450" in out  # Keras' own summary: 784 × 32 + 32 + 32 × 10 + 10
    assert "5 epochs × 60 batches of 10 = 300 gradient updates" in out
    assert out.count("Epoch ") == 5 and "val_accuracy" in out
    steps = ("Keras ", "Data:", loaded, reshaped, encoded, scaled, "Total params", "gradient updates", "Epoch 1/5")
    order = [out.index(step) for step in steps]
    assert order == sorted(order)
    accuracy = float(re.search(r"^test accuracy: (0\.\d+)$", out, re.M).group(1))  # the post's print
    assert accuracy > 0.5  # it really learns: chance is 0.1
    assert re.search(rf"^  = {accuracy:.2%} of the 200 test digits read right; test loss \d+\.\d{{4}}\.$", out, re.M)
    assert re.search(r"training accuracy \(\d+\.\d\d%\) is a running average over the epoch,\n", out)
    assert "measured with the final weights" in out


def test_the_network_is_counted_by_keras(digits, capsys):
    train_here("--hidden-units", 100, "--epochs", 1, data=as_data(digits))
    # 784 × 100 + 100 weights and biases into the hidden layer, 100 × 10 + 10 into the output layer
    assert "Total params: 79,510" in capsys.readouterr().out


def test_help_follows_the_constants(digits, capsys):
    """The flags' defaults are read off the lesson's constants when it runs: edit one, and --help says so."""
    lesson = run_lesson(settings("--epochs", 1, "--quiet", "--no-plots"), data=as_data(digits))
    assert (lesson["BATCH_SIZE"], lesson["HIDDEN_UNITS"]) == (128, 32)
    edited = dict(lesson, HIDDEN_UNITS=100, EPOCHS=7)
    with pytest.raises(SystemExit):
        parser_for(edited).parse_args(["--help"])
    out = capsys.readouterr().out
    assert "Dense(100, relu)" in out and "(default 7)" in out and "(default 100)" in out
    assert vars(parser_for(edited).parse_args([]))["hidden_units"] == 100


@pytest.mark.parametrize("batch_size", [10, 32, 100, 128, 1000, 60000])
def test_the_progress_bar_never_passes_its_total(digits, capsys, batch_size):
    """Every bar ends at its total (a steps_per_execution that does not divide the batches ends past it)."""
    train_here("--epochs", 2, "--batch-size", batch_size, data=as_data(digits))
    counts = progress_counts(capsys.readouterr().out)
    batches = -(-600 // batch_size)
    assert [total for _, total in counts if total == batches], counts  # the training bar was drawn
    assert all(done <= total for done, total in counts), counts
    ends = [done for done, total in counts if total == batches and done == total]
    assert len(ends) >= 2, counts  # every epoch ends at its total
    evaluation = [done for done, total in counts if total == -(-200 // 32)]
    assert evaluation and max(evaluation) == 7


@on_the_fresh_run
def test_same_seed_same_weights_in_this_process_and_a_fresh_one(synthetic_run, fresh_run):
    """The command-line contract end to end, and the seam's run equal to it bit for bit."""
    import keras

    here, _ = synthetic_run
    fresh, model_path = fresh_run.process, fresh_run.model
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.splitlines()[-1] == "loaded: [] True"  # --no-plots: Matplotlib never loaded, Keras was
    assert not fresh_run.plots.exists()
    noise = [line for line in fresh.stderr.splitlines() if is_startup_noise(line) or "arning" in line]
    assert noise == [], fresh.stderr
    assert len(epoch_figures(fresh.stdout)) == 6  # 5 epochs, test accuracy
    # Sent to a pipe (or `> run.txt`), each line as it ended up: no redraws of the progress bar, no colours.
    assert not re.search(r"[\r\b\x1b]", fresh.stdout) and max(map(len, fresh.stdout.splitlines())) < 300
    assert f"test accuracy: {here.test_accuracy}\n" in fresh.stdout  # the same run, bit for bit
    assert f"test loss {here.test_loss:.4f}." in fresh.stdout
    assert f"Saved the trained model to {model_path}." in fresh.stdout
    for a, b in zip(here.model.get_weights(), keras.saving.load_model(model_path).get_weights(), strict=True):
        assert a.tobytes() == b.tobytes()  # bit for bit
    # `python mnist_learn.py` adds its row to runs.csv in the folder it runs in: the test's own, never the checkout
    assert [row["test accuracy"] for row in runs.read_runs(fresh_run.folder / "runs.csv")] == [here.test_accuracy]


def test_another_seed_gives_other_weights(synthetic_run, digits):
    here, _ = synthetic_run
    other = train_here(*SMALL_RUN, "--seed", 7, "--quiet", data=as_data(digits))
    assert not np.array_equal(other.model.get_weights()[0], here.model.get_weights()[0])


def test_validation_split_and_quiet(idx_folder, capsys):
    run_lesson(settings("--data", idx_folder, "--epochs", "1", "--validation", "split", "--quiet", "--no-plots"))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("test loss: ") and lines[1].startswith("test accuracy: ")
    run_lesson(
        settings("--data", idx_folder, "--epochs", "2", "--batch-size", "10", "--validation", "split", "--no-plots")
    )
    # 600 images, the last 60 held out: ceil(540 / 10) = 54 updates per epoch
    assert "Training on 540 images, validating on 60 (split set): 2 epochs × 54 batches of 10 = 108" in (
        capsys.readouterr().out
    )


def test_a_batch_larger_than_the_training_set_is_said(digits, capsys):
    result = train_here("--epochs", 1, "--batch-size", 60000, data=as_data(digits))
    out = capsys.readouterr().out
    assert "A batch of 60,000 holds every training image: one update per epoch." in out
    assert result.updates == 1


@pytest.mark.parametrize(
    "flags, complaint",
    [
        (["--epochs", "0"], "argument --epochs: must be 1 or more, got 0"),
        (["--batch-size", "-1"], "argument --batch-size: must be 1 or more, got -1"),
        (["--hidden-units", "abc"], "argument --hidden-units: expected a whole number, got 'abc'"),
        (["--validation", "train"], "argument --validation: invalid choice"),
        (["--save-model", "model.h5"], "must be NAME.keras"),
        (["--save-model", "models/.keras"], "must be NAME.keras"),
        (["--batch-size", str(2**63)], "argument --batch-size: must be at most 2,147,483,647"),
    ],
)
def test_bad_flag_values_are_refused_by_the_parser(flags, complaint, capsys):
    with pytest.raises(SystemExit) as raised:
        run_lesson(settings(*flags))
    assert raised.value.code == 2
    assert complaint in capsys.readouterr().err


def keras_error(lesson: dict, x, y) -> Exception:
    """What Keras itself raises when the lesson's model is fit on these arrays (the post's errors)."""
    try:
        lesson["model"].fit(x, y, epochs=1, verbose=0)
    except Exception as error:
        return error
    raise AssertionError("fit took the arrays")


def test_forgetting_the_reshape_is_explained(digits):
    """As if the reshape line were deleted: Keras' error inside fit, explained from the lesson's arrays."""
    lesson = run_lesson(settings("--epochs", 1, "--quiet", "--no-plots"), data=as_data(digits))
    square = digits["x_train"].astype("float32") / 255
    error = keras_error(lesson, square, lesson["y_train"])
    message = str(explain(error, dict(lesson, x_train=square)))
    assert "x_train has shape (600, 28, 28)" in message and "(samples, 784)" in message
    assert "x_train.reshape((600, 28 * 28))" in message


def test_forgetting_to_categorical_is_explained(digits):
    lesson = run_lesson(settings("--epochs", 1, "--quiet", "--no-plots"), data=as_data(digits))
    labels = digits["y_test"]
    error = keras_error(lesson, lesson["x_test"], labels)
    message = str(explain(error, dict(lesson, y_test=labels)))
    assert re.search(r"y_test has shape \(200,\).*\(samples, 10\).*to_categorical\(y_test\)", message), message


@pytest.mark.parametrize("part", ["train", "test"])
def test_a_subset_without_some_digits_names_the_line_that_trains_it(digits, part):
    """Labels 0-4 only (or a test set without a 9): to_categorical makes fewer than 10 columns. The
    message names the line that makes ten, and that line gives what the model takes."""
    from keras.utils import to_categorical

    from mnist_helpers.model import check_fit_inputs

    keep = digits[f"y_{part}"] < (5 if part == "train" else 9)
    subset = dict(digits, **{f"x_{part}": digits[f"x_{part}"][keep], f"y_{part}": digits[f"y_{part}"][keep]})
    with pytest.raises(UserError) as raised:
        run_lesson(settings("--epochs", 1, "--quiet", "--no-plots"), data=as_data(subset))
    line = f"y_{part} = to_categorical(y_{part}, num_classes=10)"
    assert f"`{line}`" in str(raised.value), raised.value
    lesson = run_lesson(settings("--epochs", 1, "--quiet", "--no-plots"), data=as_data(digits))  # for its model
    encoded = to_categorical(subset[f"y_{part}"], num_classes=10)
    x = subset[f"x_{part}"].reshape(-1, 784).astype("float32") / 255
    check_fit_inputs(lesson["model"], x, encoded, "x", "y")  # raises nothing
    assert encoded.shape == (keep.sum(), 10)


def test_a_split_with_nothing_to_hold_out_is_said_and_leaves_no_folder(digits, tmp_path):
    """The output folders are checked before training but made only when written: a run that stops
    before then leaves no empty plots/ behind."""
    few = dict(digits, x_train=digits["x_train"][:9], y_train=digits["y_train"][:9])
    with pytest.raises(UserError, match='VALIDATION = "split" holds out a tenth .* 9 leave none'):
        run_lesson(
            settings("--epochs", 1, "--validation", "split", "--quiet", "--plots", tmp_path / "plots"),
            data=as_data(few),
        )
    assert list(tmp_path.iterdir()) == []


def test_a_bug_is_not_explained_away():
    assert explain(ZeroDivisionError("division by zero"), {"model": None}) is None


NORMALIZE_LINES = (
    'x_train = x_train.astype("float32") / 255\n',
    'x_test = x_test.astype("float32") / 255  # the post never scales x_test, and so tests on 0-255 pixels\n',
)


def test_deleting_the_normalize_lines_trains_on_raw_pixels_as_the_flag_does(digits, tmp_path, capsys):
    """The post's experiment as the README gives it: delete the two lines of step 4 from a copy of the
    lesson, and it trains on 0-255 pixels, says so, and gives what --raw-pixels gives, bit for bit."""
    source = LESSON.read_text(encoding="utf-8")
    assert all(source.count(line) == 1 for line in NORMALIZE_LINES)
    edited = tmp_path / "mnist_learn.py"
    edited.write_text(source.replace(NORMALIZE_LINES[0], "").replace(NORMALIZE_LINES[1], ""), encoding="utf-8")
    deleted = run_lesson(
        settings("--epochs", 1, "--no-plots", lesson_file=edited), data=as_data(digits), lesson_file=edited
    )
    out = capsys.readouterr().out
    assert "uint8 0 255\n" in out  # the print after step 4
    assert "Raw 0-255 pixels, not scaled to 0-1" in out and "57% and 62%" in out
    flagged = run_lesson(settings("--epochs", 1, "--raw-pixels", "--no-plots"), data=as_data(digits))
    assert "Raw 0-255 pixels, not scaled to 0-1" in capsys.readouterr().out
    for name in ("x_train", "x_test"):
        assert deleted[name].dtype == flagged[name].dtype == np.uint8
        assert np.array_equal(deleted[name], flagged[name])
    assert (deleted["test_loss"], deleted["test_acc"]) == (flagged["test_loss"], flagged["test_acc"])
    for a, b in zip(deleted["model"].get_weights(), flagged["model"].get_weights()):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize(
    "line, complaint",
    [
        (
            "x_test = x_test.reshape((len(x_test), 28 * 28))\n",
            "x_test has shape (200, 28, 28), but the model needs (samples, 784)",
        ),
        ("y_test = to_categorical(y_test)\n", "y_test has shape (200,), but the model needs one-hot labels"),
        ("y_train = to_categorical(y_train)\n", "y_train has shape (600,), but the model needs one-hot labels"),
    ],
)
def test_a_deleted_line_is_said_before_fit_on_a_line_of_its_own(digits, tmp_path, capsys, line, complaint):
    """Every array the lesson hands Keras is checked before fit: a missing line of the test set's is said
    before the first epoch, not after it, glued to the progress bar."""
    edited = edited_lesson(tmp_path, line, "")
    with pytest.raises(UserError) as raised:
        run_lesson(settings("--epochs", 1, "--no-plots", lesson_file=edited), data=as_data(digits), lesson_file=edited)
    assert complaint in str(raised.value)
    out = capsys.readouterr().out
    assert "Epoch 1/" not in out and out.endswith("\n")


@pytest.mark.parametrize(
    "line, complaint",
    [
        ("EPOCHS = 0 ", "EPOCHS = 0 in mnist_learn.py: EPOCHS must be 1 or more; edit that line."),
        ("BATCH_SIZE = 0 ", "BATCH_SIZE = 0 in mnist_learn.py: BATCH_SIZE must be 1 or more"),
        ("HIDDEN_UNITS = 0 ", "HIDDEN_UNITS = 0 in mnist_learn.py: HIDDEN_UNITS must be from 1 to 4096"),
        ("HIDDEN_UNITS = 5000 ", "HIDDEN_UNITS = 5000 in mnist_learn.py: HIDDEN_UNITS must be from 1 to 4096"),
        ("EPOCHS = 2.5 ", "EPOCHS = 2.5 in mnist_learn.py: EPOCHS must be a whole number"),
        ('VALIDATION = "bogus" ', "VALIDATION = 'bogus' in mnist_learn.py: VALIDATION must be 'test' or 'split'"),
    ],
)
def test_a_constant_edited_in_the_file_is_checked_as_its_flag_is(digits, tmp_path, line, complaint):
    """One check for each constant, whether a flag set it or the reader edited the file, before any data
    is read; record.py and experiments.py read the constants through the same check."""
    name = line.split(" =")[0]
    default = {"EPOCHS": "EPOCHS = 5 ", "BATCH_SIZE": "BATCH_SIZE = 128 ", "HIDDEN_UNITS": "HIDDEN_UNITS = 32 "}
    edited = edited_lesson(tmp_path, default.get(name, 'VALIDATION = "test" '), line)
    with pytest.raises(UserError) as raised:
        run_lesson(settings("--no-plots", lesson_file=edited), data=as_data(digits), lesson_file=edited)
    assert complaint in str(raised.value)
    with pytest.raises(UserError) as raised:
        constants(edited)
    assert complaint in str(raised.value)


@pytest.mark.parametrize(
    "line, complaint",
    [
        ('EPOCHS = "5" ', "EPOCHS = '5' in mnist_learn.py: EPOCHS must be a whole number; edit that line."),
        ('EPOCHS = "five" ', "EPOCHS = 'five' in mnist_learn.py: EPOCHS must be a whole number; edit that line."),
        ('SEED = "0x10" ', "SEED = '0x10' in mnist_learn.py: SEED must be a whole number; edit that line."),
    ],
)
def test_a_constant_in_quotes_is_said_by_its_name_and_line_in_every_script(digits, tmp_path, line, complaint):
    """EPOCHS = "5" trained in mnist_learn.py and was refused by record.py; "five" and "0x10" were blamed on
    flags the reader never gave (issue 43 N11). Every script names the constant and its line."""
    name = line.split(" =")[0]
    edited = edited_lesson(tmp_path, {"EPOCHS": "EPOCHS = 5 ", "SEED": "SEED = 1337 "}[name], line)
    number = next(k for k, text in enumerate(edited.read_text().splitlines(), 1) if text.startswith(f"{name} ="))
    for run in (
        lambda: run_lesson(settings("--no-plots", lesson_file=edited), data=as_data(digits), lesson_file=edited),
        lambda: constants(edited),
    ):
        with pytest.raises(UserError) as raised:
            run()
        assert str(raised.value) == f"Line {number}: {complaint}"


def test_a_constant_is_read_as_python_reads_it(tmp_path):
    edited = edited_lesson(tmp_path, "EPOCHS = 5 ", "EPOCHS = 2 * 1 ")
    assert constants(edited)["EPOCHS"] == 2


@pytest.mark.parametrize("flag", ["--save-model", "--plots"])
def test_unwritable_output_fails_before_training(idx_folder, tmp_path, capsys, flag):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    target = blocker / ("m.keras" if flag == "--save-model" else "plots")
    with pytest.raises(UserError, match=f"Cannot write the (model|pictures) to {re.escape(str(target.parent))}"):
        run_lesson(settings("--data", idx_folder, flag, target))
    assert "Data:" not in capsys.readouterr().out


def test_output_names_taken_by_folders_fail_before_training(idx_folder, tmp_path, capsys):
    (tmp_path / "dir.keras").mkdir()
    with pytest.raises(UserError, match=r"dir\.keras is a folder, so --save-model cannot write a file there"):
        run_lesson(settings("--data", idx_folder, "--save-model", tmp_path / "dir.keras"))
    (tmp_path / "plots" / "mistakes.png").mkdir(parents=True)
    with pytest.raises(UserError, match=r"mistakes\.png is a folder, so --plots cannot write a file there"):
        run_lesson(settings("--data", idx_folder, "--plots", tmp_path / "plots"))
    assert "Data:" not in capsys.readouterr().out


def test_a_quiet_run_ends_at_once_with_its_results(idx_folder, tmp_path):
    """`python mnist_learn.py --quiet` into a file: the two result lines reach it, although the run skips
    Python's teardown at its end (process.finish), and it exits 0. With TF_CPP_MIN_LOG_LEVEL=2 (the usual
    advice, often in a shell profile) TensorFlow's start-up lines stay hidden: nothing on stderr. (Without
    it, the fresh run's stderr holds none either: test_same_seed_same_weights_in_this_process_and_a_fresh_one.)"""
    env = clean_env(TF_CPP_MIN_LOG_LEVEL="2")
    args = ("--quiet", "--epochs", 1, "--no-plots", "--data", idx_folder)
    result = run_script("mnist_learn.py", *args, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"test loss: \d+\.\d{4}\ntest accuracy: 0\.\d{4}\n", result.stdout), result.stdout
    assert result.stderr == ""


def start(*args, cwd):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "mnist_learn.py"), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(PYTHONUNBUFFERED=1),
        cwd=cwd,
    )


def test_ctrl_c_during_training_says_interrupted(idx_folder, tmp_path):
    process = start("--data", idx_folder, "--epochs", 100000, cwd=tmp_path)
    try:
        for line in process.stdout:
            if line.startswith("Epoch 2/"):
                break
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == "Interrupted."
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no row in runs.csv, no picture: the run did not end


def test_ctrl_c_while_tensorflow_loads_says_interrupted(idx_folder, tmp_path):
    """The first seconds of a run are TensorFlow's import, with its start-up log captured."""
    process = start("--data", idx_folder, cwd=tmp_path)
    try:
        time.sleep(0.8)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert "Data:" not in stdout, "TensorFlow loaded before the signal: the test did not test the import"
    assert process.returncode == 130
    assert stderr == "\nInterrupted.\n", stderr


@pytest.mark.parametrize("level, everything", [(None, False), ("2", False), ("3", False), ("1", True), ("0", True)])
def test_only_levels_0_and_1_show_tensorflows_log(level, everything):
    assert backend.shows_everything({} if level is None else {"TF_CPP_MIN_LOG_LEVEL": level}) == everything
