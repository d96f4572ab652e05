"""mnist_learn.py end to end on synthetic digits, in a fresh Python each time, as a reader runs it."""

import re
import signal
import subprocess
import sys

import pytest
from conftest import ROOT, SMALL_RUN, assert_clean_failure, clean_env, epoch_figures, offline_env, run_script

from mnist_helpers.quiet_tensorflow import is_startup_noise


@pytest.fixture(scope="module")
def default_run(synthetic_run):
    return synthetic_run


def test_prints_the_lesson_in_order(default_run):
    result, _ = default_run
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # the post's shape facts, before and after reshaping / encoding
    assert re.search(r"x_train\s+3\s+\(600, 28, 28\)\s+uint8\s+0 to 255", out)
    assert re.search(r"x_train\[0\]\s+1\s+\(784,\)\s+float32\s+0 to 1", out)
    assert re.search(r"y_test\s+2\s+\(200, 10\)", out)
    assert re.search(r"y_test\[0\]\s+0\s+\(\)", out)
    assert "5 epochs × 60 batches of 10 = 300 gradient updates" in out
    assert out.count("Epoch ") == 5 and "val_accuracy" in out
    order = [out.index(s) for s in ("Data:", "Shapes as loaded", "Shapes after", "gradient updates", "Epoch 1/5")]
    assert order == sorted(order)
    accuracy = float(re.search(r"^test accuracy: (0\.\d{4})$", out, re.M).group(1))
    assert accuracy > 0.5  # it really learns: chance is 0.1
    assert re.search(r"^test loss: \d+\.\d{4}$", out, re.M)


def test_no_tensorflow_noise_or_warnings(default_run):
    result, _ = default_run
    noise = [line for line in result.stderr.splitlines() if is_startup_noise(line) or "arning" in line]
    assert noise == [], result.stderr


def test_same_seed_same_weights_in_separate_processes(default_run, idx_folder, tmp_path):
    import keras

    first_result, first_model = default_run
    second_model = tmp_path / "again.keras"
    second = run_script("mnist_learn.py", *SMALL_RUN, "--data", idx_folder, "--save-model", second_model)
    assert second.returncode == 0, second.stderr
    assert epoch_figures(second.stdout) == epoch_figures(first_result.stdout)
    assert len(epoch_figures(first_result.stdout)) == 7  # 5 epochs, test loss, test accuracy
    first, again = keras.saving.load_model(first_model), keras.saving.load_model(second_model)
    for a, b in zip(first.get_weights(), again.get_weights(), strict=True):
        assert a.tobytes() == b.tobytes()  # bit for bit


def test_another_seed_gives_other_weights(default_run, idx_folder):
    first_result, _ = default_run
    other = run_script("mnist_learn.py", *SMALL_RUN, "--data", idx_folder, "--seed", 7, "--quiet")
    assert other.returncode == 0, other.stderr
    assert epoch_figures(other.stdout) != epoch_figures(first_result.stdout)[-2:]


def test_validation_split_and_quiet(idx_folder):
    result = run_script(
        "mnist_learn.py",
        "--data",
        idx_folder,
        "--epochs",
        1,
        "--batch-size",
        10,
        "--validation",
        "split",
        "--quiet",
        "--no-plots",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("test loss: ") and lines[1].startswith("test accuracy: ") and len(lines) == 2
    verbose = run_script(
        "mnist_learn.py", "--data", idx_folder, "--epochs", 2, "--batch-size", 10, "--validation", "split"
    )
    # 600 images, the last 60 held out: ceil(540 / 10) = 54 updates per epoch
    assert "Training on 540 images, validating on 60 (split set): 2 epochs × 54 batches of 10 = 108" in verbose.stdout


@pytest.mark.parametrize(
    "flags, complaint",
    [
        (["--epochs", "0"], "argument --epochs: must be 1 or more, got 0"),
        (["--batch-size", "-1"], "argument --batch-size: must be 1 or more, got -1"),
        (["--hidden-units", "abc"], "argument --hidden-units: expected a whole number, got 'abc'"),
        (["--validation", "train"], "argument --validation: invalid choice"),
        (["--save-model", "model.h5"], "must end in .keras"),
    ],
)
def test_bad_flag_values_are_refused_by_the_parser(flags, complaint, capsys):
    import mnist_learn

    with pytest.raises(SystemExit) as raised:
        mnist_learn.parse_args(flags)
    assert raised.value.code == 2
    assert complaint in capsys.readouterr().err


def lesson_without(line: str, tmp_path):
    """A copy of mnist_learn.py with one of the lesson's lines deleted, as a reader might."""
    source = (ROOT / "mnist_learn.py").read_text()
    assert line in source
    copy = tmp_path / "mnist_learn.py"
    copy.write_text(source.replace(line, "pass"))
    return copy


def test_forgetting_the_reshape_is_explained(idx_folder, tmp_path):
    script = lesson_without("x_train = x_train.reshape((len(x_train), 28 * 28))", tmp_path)
    result = run_script(script, "--data", idx_folder)
    assert_clean_failure(result, "x_train has shape (600, 28, 28)", "(samples, 784)", "x_train.reshape((600, 28 * 28))")
    assert "Epoch 1" not in result.stdout  # stopped before training


def test_forgetting_to_categorical_is_explained(idx_folder, tmp_path):
    script = lesson_without("y_test = keras.utils.to_categorical(y_test, 10)", tmp_path)
    result = run_script(script, "--data", idx_folder)
    assert_clean_failure(result, "y_test has shape (200,)", "(samples, 10)", "to_categorical(y_test)")


def test_unwritable_model_folder_fails_before_training(idx_folder, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_script("mnist_learn.py", "--data", idx_folder, "--save-model", blocker / "m.keras")
    assert_clean_failure(result, "Cannot write the model", str(blocker))
    assert "Data:" not in result.stdout


def test_ctrl_c_during_training_says_interrupted(idx_folder, tmp_path):
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "mnist_learn.py"), "--data", str(idx_folder), "--epochs", "100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(PYTHONUNBUFFERED=1),
        cwd=tmp_path,  # the plots folder it makes goes there
    )
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


def test_no_data_without_network_exits_2(tmp_path):
    result = run_script("mnist_learn.py", env=offline_env(tmp_path), timeout=120)
    assert_clean_failure(result, "Could not find MNIST", "--data", exit_code=2)
