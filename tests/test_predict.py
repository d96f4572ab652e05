"""predict.py end to end: a model saved by mnist_learn.py, pictures drawn here, bad files and bad models."""

import re
import warnings

import numpy as np
import pytest
from conftest import assert_clean_failure, run_script
from PIL import Image
from pictures import page, save, write_bomb, write_truncated_jpeg

from mnist_helpers.digit_image import read_digit
from mnist_helpers.keras_setup import is_startup_noise

GUESSES = r"(\d) \(\d{1,3}\.\d%\), (\d) \(\d{1,3}\.\d%\), (\d) \(\d{1,3}\.\d%\)"  # 7 (93.1%), 2 (4.0%), 1 (1.2%)


@pytest.fixture(scope="module")
def model(synthetic_run):
    result, path = synthetic_run
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    return [
        save(page("3", mode="RGB"), folder / "three.jpg", quality=85),
        save(page("7"), folder / "seven.png"),
    ]


def test_one_line_per_image_with_the_three_best_guesses(model, photos):
    import keras

    result = run_script("predict.py", *photos, "--model", model, cwd=photos[0].parent)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [str(path) for path in photos]  # the file as given, in order
    # The printed figures are the saved model's output on the preprocessed digit, best first.
    network = keras.saving.load_model(model)
    for line, path in zip(lines, photos):
        match = re.fullmatch(f"{re.escape(str(path))}: {GUESSES}", line)
        assert match, line
        probabilities = network.predict(read_digit(path)[1].reshape(1, 784), verbose=0)[0]
        assert [int(digit) for digit in match.groups()] == np.argsort(probabilities)[::-1][:3].tolist()
        best = int(match.group(1))
        assert f"{best} ({probabilities[best]:.1%})" in line
    noise = [line for line in result.stderr.splitlines() if is_startup_noise(line) or "arning" in line]
    assert noise == [], result.stderr


def test_show_writes_what_the_network_saw_beside_each_image(model, photos, tmp_path):
    copies = [save(Image.open(path), tmp_path / path.name) for path in photos]
    result = run_script("predict.py", *copies, "--model", model, "--show")
    assert result.returncode == 0, result.stderr
    for path in copies:
        picture = tmp_path / f"{path.stem}_seen.png"
        assert f"what the network saw: {picture}" in result.stdout
        assert Image.open(picture).format == "PNG" and Image.open(picture).width > 600


def test_show_into_a_folder_keeps_same_named_images_apart(model, tmp_path):
    images = [save(page("3"), tmp_path / "digit.png"), save(page("3", mode="RGB"), tmp_path / "digit.jpg")]
    result = run_script("predict.py", *images, "--model", model, "--out", tmp_path / "seen")  # --out implies --show
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "seen").iterdir()) == ["digit_jpg_seen.png", "digit_seen.png"]


def test_good_images_are_still_read_when_others_fail(model, photos, tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    (tmp_path / "empty.jpg").touch()
    bad = {
        tmp_path / "notes.png": "is not an image",
        tmp_path / "missing.png": "does not exist",
        tmp_path / "empty.jpg": "is empty",
        save(page(" "), tmp_path / "blank.png"): "shows no ink",
        write_truncated_jpeg(tmp_path / "cut.jpg"): "is truncated",
        write_bomb(tmp_path / "bomb.png"): "too large to open safely",
        tmp_path: "is a folder",
    }
    result = run_script("predict.py", photos[0], *bad, photos[1], "--model", model)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stdout.splitlines()) == 2 and all(re.search(GUESSES, line) for line in result.stdout.splitlines())
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == len(bad)
    for (path, problem), error in zip(bad.items(), errors):
        assert error.startswith(f"error: {path} ") and problem in error, error
    assert f"{len(bad)} of {len(bad) + 2} images failed" in result.stderr


def test_a_single_bad_image_is_one_sentence(model, tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    assert_clean_failure(
        run_script("predict.py", tmp_path / "notes.png", "--model", model), "notes.png is not an image"
    )


@pytest.fixture(scope="module")
def foreign_models(tmp_path_factory):
    """Model files that are not ours: Python code inside, the wrong input size, not a model at all."""
    import keras

    folder = tmp_path_factory.mktemp("foreign")
    warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)  # inside Keras' Lambda
    keras.Sequential([keras.Input((784,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(10)]).save(
        folder / "lambda.keras"
    )
    keras.Sequential([keras.Input((100,)), keras.layers.Dense(10)]).save(folder / "small_input.keras")

    class Unregistered(keras.layers.Layer):  # a class Keras cannot find when loading
        def call(self, inputs):
            return inputs

    keras.Sequential([keras.Input((784,)), Unregistered(), keras.layers.Dense(10)]).save(folder / "custom.keras")
    (folder / "text.keras").write_text("weights: none\n")
    return folder


@pytest.mark.parametrize(
    "name, message",
    [
        ("lambda.keras", "contains Python code (a Lambda layer), which Keras' safe mode refuses to run"),
        ("small_input.keras", "takes inputs of shape (None, 100)"),
        ("custom.keras", "Keras could not rebuild it"),
        ("text.keras", "is not a Keras model file"),
        ("missing.keras", "There is no model at"),
    ],
)
def test_models_that_are_not_ours_are_refused(foreign_models, photos, name, message):
    result = run_script("predict.py", photos[0], "--model", foreign_models / name)
    assert_clean_failure(result, message, name, "python mnist_learn.py --save-model")
    assert result.stdout == ""


def test_model_flag_needs_a_keras_file(photos):
    result = run_script("predict.py", photos[0], "--model", "model.h5")
    assert result.returncode == 2 and "must end in .keras" in result.stderr
