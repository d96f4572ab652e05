"""predict.py end to end: a model saved by mnist_learn.py, pictures drawn here, bad files and bad models."""

import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from support import ROOT, clean_env
from PIL import Image
from support import page, save, write_bomb, write_truncated_jpeg

import predict
from mnist_helpers.digit_image import read_digit
from mnist_helpers.errors import UserError
from mnist_helpers.backend import is_startup_noise

GUESSES = r"(\d) \(\d{1,3}\.\d%\), (\d) \(\d{1,3}\.\d%\), (\d) \(\d{1,3}\.\d%\)"  # 7 (93.1%), 2 (4.0%), 1 (1.2%)


@pytest.fixture(scope="module")
def model(synthetic_run):
    return synthetic_run[1]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    return [
        save(page("3", mode="RGB"), folder / "three.jpg", quality=85),
        save(page("7"), folder / "seven.png"),
    ]


def predict_here(*args, capsys):
    """predict.main in this process: (exit code, stdout, stderr)."""
    code = predict.main([str(arg) for arg in args])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def test_one_line_per_image_with_the_three_best_guesses(model, photos, capsys):
    import keras

    code, out, err = predict_here(*photos, "--model", model, capsys=capsys)
    assert code == 0, err
    lines = out.splitlines()
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


def test_the_command_line_end_to_end(model, photos, tmp_path):
    """Exit code, output and no start-up noise, as a user runs it; errors keep the order of the arguments."""
    (tmp_path / "notes.png").write_text("not a picture")
    blank = save(page(" "), tmp_path / "blank.png")
    command = [sys.executable, str(ROOT / "predict.py"), photos[0], tmp_path / "notes.png", photos[1], blank]
    result = subprocess.run(
        [*map(str, command), "--model", str(model)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, so the order of lines is the order they were printed in
        text=True,
        env=clean_env(),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    expected = [f"{photos[0]}: ", f"error: {tmp_path / 'notes.png'} is not an image", f"{photos[1]}: "]
    expected.append(f"error: {blank} shows no ink")
    assert len(lines) == 5 and all(line.startswith(start) for line, start in zip(lines, expected)), lines
    assert lines[4] == "2 of 4 images failed; the errors above say why."
    noise = [line for line in lines if is_startup_noise(line) or "arning" in line or "Traceback" in line]
    assert noise == [], result.stdout


def test_show_draws_what_the_network_saw_into_a_folder_of_its_own(model, photos, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = predict_here(*photos, "--model", model, "--show", capsys=capsys)
    assert code == 0, err
    for path in photos:
        picture = tmp_path / "seen" / f"{path.stem}.png"
        assert f"what the network saw: {Path('seen') / picture.name}" in out
        with Image.open(picture) as image:
            assert image.format == "PNG" and image.width > 600


def test_show_draws_why_it_answered_so_for_a_model_built_as_the_lessons(model, photos, tmp_path, monkeypatch, capsys):
    """A fourth panel, each pixel's contribution to the answer's score, for a Dense(relu), Dense(softmax)
    model; three panels for a model built otherwise, which has no such exact map."""
    import keras

    monkeypatch.chdir(tmp_path)
    other = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(10, activation="softmax")]
    )
    other.save(tmp_path / "tanh.keras")
    widths = {}
    for name in (str(model), "tanh.keras"):
        code, _, err = predict_here(photos[0], "--model", name, "--out", Path(name).stem, capsys=capsys)
        assert code == 0, err
        with Image.open(tmp_path / Path(name).stem / f"{photos[0].stem}.png") as image:
            widths[name] = image.width
    assert widths[str(model)] >= widths["tanh.keras"] + 300, widths


def test_show_touches_no_file_of_yours_however_it_is_named(model, tmp_path, monkeypatch, capsys):
    """Its pictures have a folder of their own, so no name of yours can collide with one of them."""
    monkeypatch.chdir(tmp_path)
    digit = save(page("3"), tmp_path / "digit.png")
    users = save(page("7"), tmp_path / "digit_seen.png")  # named like the pictures of an older version
    before = {path.name: path.read_bytes() for path in (digit, users)}
    code, _, err = predict_here("--show", digit, users, "--model", model, capsys=capsys)
    assert code == 0, err
    assert {path.name: path.read_bytes() for path in (digit, users)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digit.png", "digit_seen.png", "seen"]
    assert sorted(p.name for p in (tmp_path / "seen").iterdir()) == ["digit.png", "digit_seen.png"]


def test_same_named_images_get_numbered_pictures(model, tmp_path, capsys):
    images = [save(page("3"), tmp_path / "digit.png"), save(page("3", mode="RGB"), tmp_path / "digit.jpg")]
    for folder in "abc":
        (tmp_path / folder).mkdir()
        images.append(save(page("1"), tmp_path / folder / "x.png"))
    code, _, err = predict_here(*images, "--model", model, "--out", tmp_path / "mine", capsys=capsys)  # implies --show
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == [
        "digit.png",
        "digit_2.png",
        "x.png",
        "x_2.png",
        "x_3.png",
    ]


def test_a_second_run_over_a_glob_reads_only_your_images(model, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    one = save(page("1"), tmp_path / "one.png")
    assert predict_here(one, "--model", model, "--show", capsys=capsys)[0] == 0
    written = (tmp_path / "seen" / "one.png").read_bytes()
    code, out, err = predict_here(*sorted(tmp_path.glob("*.png")), "--model", model, "--show", capsys=capsys)
    assert code == 0, err
    assert len([line for line in out.splitlines() if re.search(GUESSES, line)]) == 1
    assert sorted(p.name for p in (tmp_path / "seen").iterdir()) == ["one.png"]
    assert (tmp_path / "seen" / "one.png").read_bytes() == written  # drawn again in its place, the same


def test_good_images_are_still_read_when_others_fail(model, photos, tmp_path, capsys):
    (tmp_path / "notes.png").write_text("not a picture")
    (tmp_path / "empty.jpg").touch()
    os.mkfifo(fifo := tmp_path / "fifo.png")
    bad = {
        tmp_path / "notes.png": "is not an image",
        tmp_path / "missing.png": "does not exist",
        tmp_path / "empty.jpg": "is empty",
        save(page(" "), tmp_path / "blank.png"): "shows no ink",
        write_truncated_jpeg(tmp_path / "cut.jpg"): "is truncated",
        write_bomb(tmp_path / "bomb.png"): "too large to open safely",
        tmp_path: "is a folder",
        fifo: "is a FIFO, not an image",  # issue 33, item 11: it was called "empty (0 bytes)"
        Path(os.devnull): "is a device, not an image",
    }
    code, out, err = predict_here(photos[0], *bad, photos[1], "--model", model, capsys=capsys)
    assert code == 1
    assert len(out.splitlines()) == 2 and all(re.search(GUESSES, line) for line in out.splitlines())
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == len(bad)
    for (path, problem), error in zip(bad.items(), errors):
        assert error.startswith(f"error: {path} ") and problem in error, error
    assert f"{len(bad)} of {len(bad) + 2} images failed" in err


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
    ours = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(10, activation="softmax")]
    )
    ours.save(folder / "ours.keras")
    with zipfile.ZipFile(folder / "ours.keras") as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    weights = members["model.weights.h5"]
    variants = {
        "truncated": {"model.weights.h5": weights[: len(weights) // 2]},  # whole as a zip member, cut as HDF5
        "bomb": {"config.json": members["config.json"] + b" " * (2 * 2**20)},  # 2 MB of config, deflated to 2 KB
    }
    for name, replaced in variants.items():
        with zipfile.ZipFile(folder / f"{name}.keras", "w", zipfile.ZIP_DEFLATED) as archive:
            for member, data in {**members, **replaced}.items():
                archive.writestr(member, data)
    damaged = bytearray((folder / "ours.keras").read_bytes())
    damaged[damaged.index(b"model.weights.h5") + 600] ^= 0xFF  # a byte of the weights: their CRC-32 fails
    (folder / "damaged.keras").write_bytes(bytes(damaged))
    ours.set_weights([np.full_like(w, np.nan) for w in ours.get_weights()])
    ours.save(folder / "nan.keras")
    keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)]).save(folder / "linear.keras")
    return folder


@pytest.mark.parametrize(
    "name, message",
    [
        ("lambda.keras", "contains Python code (a Lambda layer), which Keras' safe mode refuses to run"),
        ("small_input.keras", "takes inputs of shape (None, 100)"),
        ("custom.keras", "Keras could not rebuild it"),
        ("text.keras", "is not a Keras model file"),
        ("truncated.keras", "its weights cannot be read"),
        ("damaged.keras", "is damaged"),
        ("bomb.keras", "config.json unpacks to 2,"),
        ("nan.keras", "gives outputs that are not probabilities"),
        ("linear.keras", "gives outputs that are not probabilities"),
        ("missing.keras", "There is no model at"),
    ],
)
def test_models_that_are_not_ours_are_refused(foreign_models, photos, name, message, capsys):
    path = foreign_models / name
    with pytest.raises(UserError) as raised:
        predict.main([str(photos[0]), "--model", str(path)])
    assert message in str(raised.value) and name in str(raised.value)
    hint = path if name == "missing.keras" else foreign_models / name.replace(".keras", "_new.keras")
    assert f"`python mnist_learn.py --save-model {hint}`" in str(raised.value)  # never over the refused file
    assert capsys.readouterr().out == ""


def test_a_model_name_that_is_no_file_says_what_it_is(photos, tmp_path):
    """A FIFO, a link to /dev/zero or a folder named x.keras was "There is no model at x.keras" (issue 43 N11)."""
    (tmp_path / "folder.keras").mkdir()
    os.mkfifo(tmp_path / "fifo.keras")
    (tmp_path / "zero.keras").symlink_to("/dev/zero")
    for name, kind in (("folder.keras", "a folder"), ("fifo.keras", "a FIFO"), ("zero.keras", "a device")):
        with pytest.raises(UserError, match=f"{re.escape(str(tmp_path / name))} is {kind}, not a model file; train"):
            predict.main([str(photos[0]), "--model", str(tmp_path / name)])


def test_a_missing_model_names_the_folder_it_was_looked_for_in(photos, tmp_path, monkeypatch):
    """Issue 32: `python predict.py photo.jpg` without a model said "There is no model at mnist_model.keras"."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=re.escape(f"There is no model at mnist_model.keras (in {tmp_path}); train")):
        predict.main([str(photos[0])])


def test_model_flag_needs_a_keras_file(photos, capsys):
    with pytest.raises(SystemExit) as raised:
        predict.parse_args([str(photos[0]), "--model", "model.h5"])
    assert raised.value.code == 2 and "must be NAME.keras" in capsys.readouterr().err


def test_mnist_index_reads_a_test_digit_without_a_file(model, idx_folder, digits, tmp_path, capsys):
    import keras

    code, out, err = predict_here(
        "--mnist-index", 3, "--mnist-index", 0, "--data", idx_folder, "--model", model, "--out", tmp_path, capsys=capsys
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"MNIST test digit 3 (label {digits['y_test'][3]}): ")
    probabilities = keras.saving.load_model(model).predict(digits["x_test"][3].reshape(1, 784) / 255, verbose=0)[0]
    assert lines[0].endswith(predict.guesses(probabilities))
    assert f"what the network saw: {tmp_path / 'mnist_test_3.png'}" in out
    assert (tmp_path / "mnist_test_0.png").exists()
    with pytest.raises(UserError, match="--mnist-index 200 is past the last test digit; use 0 to 199"):
        predict.main(["--mnist-index", "200", "--data", str(idx_folder), "--model", str(model)])
    with pytest.raises(SystemExit):
        predict.parse_args([])
    assert "give at least one IMAGE, or --mnist-index N" in capsys.readouterr().err


def test_show_titles_name_the_file_and_are_never_clipped(model, tmp_path, monkeypatch, capsys):
    from mnist_helpers import plotting

    long_name = tmp_path / ("a-very-long-file-name-from-a-phone-" * 5 + ".png")
    save(page("7"), long_name)
    figure = plotting.prediction_figure(long_name.name, page("7"), np.zeros((28, 28)), np.full(10, 0.1))
    title = figure._suptitle
    assert str(tmp_path) not in title.get_text() and title.get_text().startswith("a-very-long")
    figure.canvas.draw()
    box = title.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width, (box, figure.bbox)
    monkeypatch.chdir(tmp_path)
    code, out, _ = predict_here(long_name, "--model", model, "--show", capsys=capsys)
    assert code == 0 and f"{long_name}: " in out


def test_images_pillow_opens_but_cannot_prepare_are_one_sentence_each(tmp_path):
    """A PNG whose text chunk is too large to unpack and a float TIFF holding NaN are refused, each naming
    its file; a LAB TIFF is read by its lightness."""
    from PIL import ImageDraw, PngImagePlugin

    text = tmp_path / "text.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "x" * (PngImagePlugin.MAX_TEXT_CHUNK + 10), zip=True)
    Image.new("L", (28, 28), 255).save(text, pnginfo=info)
    lab = Image.new("LAB", (280, 280), (230, 128, 128))
    ImageDraw.Draw(lab).line((140, 40, 140, 240), fill=(20, 128, 128), width=24)  # a 1, dark on light
    lab.save(tmp_path / "lab.tif")
    nan = np.full((28, 28), np.nan, np.float32)
    Image.fromarray(nan, mode="F").save(tmp_path / "nan.tif")
    assert predict.read_image(str(tmp_path / "lab.tif"), show=True).error is None
    for name, says in [("text.png", "could not be read"), ("nan.tif", "not numbers")]:
        reading = predict.read_image(str(tmp_path / name), show=True)
        assert reading.error is not None and says in str(reading.error) and name in str(reading.error), reading.error


def test_names_that_are_not_utf8_or_not_latin_are_drawn_without_a_word_of_warning(tmp_path, synthetic_run):
    import contextlib
    import io
    import os

    from PIL import ImageDraw

    digit = Image.new("L", (100, 100), 255)
    ImageDraw.Draw(digit).line((50, 10, 50, 90), fill=0, width=10)
    names = [os.path.join(tmp_path, os.fsdecode(b"caf\xe9.png")), str(tmp_path / "数字.png")]
    for name in names:
        digit.save(name)
    printed = io.StringIO()  # takes any text; the script's own stdout escapes what it cannot encode
    with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
        warnings.simplefilter("error")  # a glyph warning would fail the run here
        code = predict.main([*names, "--model", str(synthetic_run[1]), "--out", str(tmp_path / "seen")])
    assert code == 0, printed.getvalue()
    assert sorted(os.listdir(tmp_path / "seen")) == sorted([os.fsdecode(b"caf\xe9.png"), "数字.png"])


@pytest.mark.parametrize("out", ["photos", "", None])  # "" is "." as a path
def test_a_picture_is_never_drawn_over_a_photo_of_yours(model, tmp_path, monkeypatch, out, capsys):
    """Issue 33, item 1: --out naming the photos' own folder (or ., or ''), or a photo in seen/ itself:
    every photo stays byte for byte, and each picture takes the next free name."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / ("seen" if out is None else out or ".")
    folder.mkdir(exist_ok=True)
    seven = save(page("7"), folder / "seven.png")
    mine = save(page("3"), folder / "seven_2.png")  # a photo of yours under the next name as well
    before = {path: path.read_bytes() for path in (seven, mine)}
    flags = ["--show"] if out is None else ["--out", out]
    code, out_text, err = predict_here(seven, "--model", model, *flags, capsys=capsys)
    assert code == 0, err
    assert {path: path.read_bytes() for path in (seven, mine)} == before
    assert "(replaced)" not in out_text
    picture = folder / "seven_3.png"
    assert f"what the network saw: {os.path.relpath(picture) if out is None else Path(out) / picture.name}" in out_text
    # Run again: the picture it drew is its own (marked in the PNG), so it is replaced, and said.
    code, again, err = predict_here(seven, "--model", model, *flags, capsys=capsys)
    assert code == 0, err
    assert f"{picture.name} (replaced)" in again
    assert {path: path.read_bytes() for path in (seven, mine)} == before
    assert sorted(p.name for p in folder.glob("seven*")) == ["seven.png", "seven_2.png", "seven_3.png"]


def weights_bomb(model_path: Path, bomb: Path) -> Path:
    """``model_path`` with its first kernel replaced by a dataset declared 16000 × 16000 float32 (1 GB), chunked
    and gzipped but never written: a few kilobytes that HDF5 would unpack into a gigabyte."""
    import io

    import h5py

    with zipfile.ZipFile(model_path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    weights = io.BytesIO()
    with h5py.File(io.BytesIO(members["model.weights.h5"]), "r") as source, h5py.File(weights, "w") as target:
        for name, item in source.attrs.items():
            target.attrs[name] = item

        def copy(name, item):
            if isinstance(item, h5py.Group):
                target.require_group(name).attrs.update(item.attrs)
            elif name == "layers/dense/vars/0":
                target.create_dataset(
                    name, shape=(16000, 16000), dtype="float32", chunks=(1000, 1000), compression="gzip"
                )
            else:
                target.create_dataset(name, data=item[()])

        source.visititems(copy)
    members["model.weights.h5"] = weights.getvalue()
    with zipfile.ZipFile(bomb, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return bomb


def test_a_model_whose_weights_declare_a_gigabyte_is_refused_before_they_are_read(model, tmp_path):
    """Issue 43 N1: a .keras of a few kilobytes whose HDF5 weights declare a 16000 × 16000 kernel cost 4.6 GB
    before Keras said it could not rebuild it; its declared shapes are now checked against the model's
    layers (and a plain bound) before anything is read: one sentence, exit 1, the process under 200 MB."""
    from support import run_with_peak

    if not Path("/proc/self/status").exists():
        pytest.skip("the process's peak memory is read from /proc/self/status (Linux)")
    bomb = weights_bomb(model, tmp_path / "bomb.keras")
    assert bomb.stat().st_size < 200_000
    page().save(tmp_path / "seven.png")
    for script, args in (
        ("predict.py", ["--model", bomb, tmp_path / "seven.png"]),
        ("export_web.py", ["--model", bomb, "--out", tmp_path / "w.js"]),
    ):
        process, peak = run_with_peak(script, *args, cwd=tmp_path)
        assert process.returncode == 1 and "Traceback" not in process.stderr, process.stderr[-2000:]
        assert "layers/dense/vars/0 is declared (16000, 16000), where its layer needs (784, 32)" in process.stderr
        assert peak < 200_000, (script, peak)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bomb.keras", "seven.png"]
