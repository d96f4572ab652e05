"""record.py and mnist_helpers/recording.py: the lesson's training kept at chosen moments, its GIF, its replay file."""

import contextlib
import io
import re

import numpy as np
import pytest
from support import ROOT, SMALL_RUN, as_data, assert_clean_failure, clean_env, run_script
from PIL import Image

import export_web
import record
from mnist_helpers import data, recording
from mnist_helpers.model import weights_of
from mnist_helpers.errors import UserError
from mnist_helpers.lesson import run_lesson, settings

pytestmark = pytest.mark.xdist_group("recorded")  # the tests share one recorded run


@pytest.fixture(scope="module")
def recorded(digits, tmp_path_factory):
    """record.py in this process on the synthetic digits, with the lesson's small run: (its folder, what it
    printed, the lesson it ran again, the recording it wrote)."""
    folder = tmp_path_factory.mktemp("recorded")
    flags = ["--out", str(folder / "run.npz"), "--gif", str(folder / "run.gif"), *map(str, SMALL_RUN), "--quiet"]
    flags += ["--plots", str(folder / "plots")]  # the lesson's pictures, as `python mnist_learn.py` draws them
    with data.given(as_data(digits)):
        lesson = run_lesson(settings(*map(str, SMALL_RUN), "--quiet", "--no-plots"))  # the lesson alone, for comparison
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            record.main(flags)
    return folder, printed.getvalue(), lesson, recording.load(folder / "run.npz")


def test_the_moments_begin_at_the_seeded_start_and_follow_every_half_epoch():
    default = recording.moments(469, 5)  # the default run: 60,000 images in batches of 128, 5 epochs
    assert default[:10] == [0, 1, 2, 5, 10, 20, 50, 100, 200, 234] and default[-1] == 2345
    assert 15 <= len(default) <= 25 and default == sorted(set(default))
    assert recording.moments(60, 5) == [0, 1, 2, 5, 10, 20, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300]


def test_the_first_moment_is_the_seeded_start_and_the_last_the_lessons_weights_bit_for_bit(recorded):
    import keras

    _, printed, lesson, kept = recorded
    assert "It ended on the lesson's weights, bit for bit." in printed
    keras.utils.set_random_seed(lesson["SEED"])  # as the lesson does before it builds its model
    start = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(lesson["HIDDEN_UNITS"], activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    for name, first, seeded in zip(recording.NAMES, (kept[name][0] for name in recording.NAMES), weights_of(start)):
        np.testing.assert_array_equal(first, seeded, err_msg=name)
    for name, last, trained in zip(recording.NAMES, recording.final_weights(kept), weights_of(lesson["model"])):
        np.testing.assert_array_equal(last, trained, err_msg=name)
    assert kept["updates"].tolist() == recording.moments(len(lesson["x_train"]) // 10, 5)


def test_each_moments_accuracy_is_keras_evaluate_with_those_weights(recorded):
    import keras

    _, _, lesson, kept = recorded
    model = keras.models.clone_model(lesson["model"])
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = lesson["x_test"][: recording.SAMPLE_SIZE], lesson["y_test"][: recording.SAMPLE_SIZE]
    for index in range(len(kept["updates"])):
        model.set_weights([kept[name][index] for name in recording.NAMES])
        assert kept["accuracy"][index] == model.evaluate(x, y, verbose=0)[1]
    assert kept["accuracy"][-1] > kept["accuracy"][0] + 0.3  # it learnt
    assert int(kept["sample"]) == len(x)


def test_the_gif_shows_every_moment_with_its_update_and_accuracy(recorded):
    folder, printed, _, kept = recorded
    with Image.open(folder / "run.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == len(kept["updates"]) and gif.info.get("loop") == 0
        first = np.asarray(gif.convert("RGB"))
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("RGB"))
    assert not np.array_equal(first, last)  # the units changed
    assert f"Saved {folder / 'run.gif'}: the hidden units forming" in printed
    # The text on each frame, drawn again: the update count and the accuracy of that moment.
    font = recording.ImageFont.load_default(size=18)
    drawn = [np.asarray(recording.frame(kept, index, font), np.float64) for index in (0, len(kept["updates"]) - 1)]
    assert np.abs(last - drawn[1]).mean() < 0.5 < 5 < np.abs(last - drawn[0]).mean()  # within the GIF's palette


def test_export_puts_a_recording_into_a_page_and_refuses_what_is_not_one(recorded, tmp_path):
    folder, _, _, kept = recorded
    export_web.main(["--recording", str(folder / "run.npz"), "--out", str(tmp_path / "weights.js")])
    script = (tmp_path / "recording.js").read_text()
    assert f"updates: {kept['updates'].tolist()}," in script
    assert script.count('    "') == len(kept["updates"]) - 1  # every moment but the last, which is weights.js
    np.save(tmp_path / "not.npy", np.zeros(3))
    (tmp_path / "text.npz").write_text("not a recording")
    for name, says in [
        ("missing.npz", "There is no recording at"),
        ("text.npz", "is not a recording made by record.py"),
    ]:
        with pytest.raises(UserError, match=says):
            recording.load(tmp_path / name)
    diverged = dict(kept, w1=kept["w1"] * 1e6)
    with pytest.raises(UserError, match="too large for the page's replay"):
        export_web.recording_script(diverged, "diverged.npz")


def test_a_recording_is_written_whole_or_not_at_all(tmp_path):
    out = tmp_path / "folder.npz"
    out.mkdir()
    result = run_script("record.py", "--out", out, env=clean_env(), cwd=tmp_path)
    assert_clean_failure(result, "folder.npz", "--out")
    assert "Recording" not in result.stdout  # refused before any training
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.npz"]


def test_a_wrong_flag_is_said_as_record_pys_before_any_training(capsys):
    for flags, says in [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--epochs", "x"], "--epochs: expected a whole"),
    ]:
        with pytest.raises(SystemExit) as stop:
            record.main(flags)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert f"record.py: error: argument {says}" in err or f"record.py: error: {says}" in err, err
    with pytest.raises(SystemExit):
        record.main(["--help"])
    help_text = capsys.readouterr().out
    assert "--hidden-units" in help_text and "--gif PATH" in help_text  # the lesson's flags and its own


def test_record_draws_the_lessons_pictures_where_its_flags_say(recorded):
    """Issue 32: record.py's --help lists the lesson's --plots DIR and --no-plots; they do what they say."""
    from mnist_helpers.lesson import PICTURES

    folder = recorded[0]
    assert sorted(p.name for p in (folder / "plots").iterdir()) == sorted(PICTURES)


def test_the_pages_files_are_all_new_or_all_old_when_the_reader_goes_away(recorded, tmp_path):
    """Issue 33, item 3: `export_web.py ... | true` ends by SIGPIPE at its first line of output; by then
    weights.js and recording.js are both in place (before: only weights.js, beside the old recording)."""
    import signal
    import subprocess
    import sys

    if not hasattr(signal, "SIGPIPE"):
        pytest.skip("no SIGPIPE on this system")
    folder = recorded[0]
    for name in ("weights.js", "recording.js"):
        (tmp_path / name).write_text("// old\n")
    command = [sys.executable, str(ROOT / "export_web.py"), "--recording", str(folder / "run.npz")]
    process = subprocess.Popen(
        [*command, "--out", str(tmp_path / "weights.js")], stdout=subprocess.PIPE, env=clean_env()
    )
    process.stdout.close()  # the reader is gone before the first line
    assert process.wait(timeout=120) == -signal.SIGPIPE
    assert [(tmp_path / name).read_text().startswith("// Made by") for name in ("weights.js", "recording.js")] == [
        True,
        True,
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recording.js", "weights.js"]  # no temporary left


def bomb(path, recording, name, count):
    """``recording`` saved with ``name`` holding ``count`` moments of zeros, deflated: a small file that
    unpacks to ``count`` times one moment's bytes."""
    import zipfile

    shape = (count, *recording[name].shape[1:])
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w") as archive:
        for other, array in recording.items():
            if other != name:
                with archive.open(f"{other}.npy", "w") as member:
                    np.lib.format.write_array(member, np.asarray(array))
        info = zipfile.ZipInfo(f"{name}.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            member.write(header.getvalue())
            zeros = bytes(int(np.prod(shape[1:])) * 4)
            for _ in range(count):
                member.write(zeros)
    return path


def test_the_recording_loader_has_the_mnist_loaders_guards(recorded, tmp_path):
    """Issue 33, item 4: the one bounded reader (mnist_helpers/plumbing/files.py) and a check of every array:
    a FIFO, a deflate bomb, damaged members, wrong types and shapes, NaN and inf are one sentence each,
    and nothing the file merely claims is allocated."""
    import os
    import tracemalloc

    from support import npz_with

    kept = {name: np.asarray(value) for name, value in recorded[3].items()}
    os.mkfifo(tmp_path / "fifo.npz")
    cases = {
        "fifo.npz": "is a FIFO, not a recording",
        "bomb.npz": "not a recording of the lesson's network",
        "crc.npz": "is damaged",
        "truncated.npz": "is damaged",
        "w1_int.npz": "w1 int32",
        "updates_float.npz": "updates float64",
        "sample_2d.npz": "not a recording of the lesson's network",
        "scalar_w1.npz": "not a recording of the lesson's network",
        "nan.npz": "not numbers (NaN or infinite)",
        "inf_accuracy.npz": "accuracies outside 0-1",
        "too_big_for_float32.npz": "not numbers (NaN or infinite)",
        "pickled.npz": "pickled Python objects",
    }
    bomb(tmp_path / "bomb.npz", kept, "w1", 4000)  # 400 MB of zeros in a file of 0.4 MB
    np.savez(tmp_path / "crc.npz", **kept)
    raw = bytearray((tmp_path / "crc.npz").read_bytes())
    raw[raw.index(b"w1.npy") + 200] ^= 0xFF  # a byte of w1's data: its CRC-32 no longer matches
    (tmp_path / "crc.npz").write_bytes(bytes(raw))
    npz_with(tmp_path / "truncated.npz", kept, "w2.npy", b"\x93NUMPY")
    np.savez(tmp_path / "w1_int.npz", **dict(kept, w1=kept["w1"].astype(np.int32)))
    np.savez(tmp_path / "updates_float.npz", **dict(kept, updates=kept["updates"].astype(float)))
    np.savez(tmp_path / "sample_2d.npz", **dict(kept, sample=np.array([[500]])))
    np.savez(tmp_path / "scalar_w1.npz", **dict(kept, w1=np.float32(1)))
    np.savez(tmp_path / "nan.npz", **dict(kept, b2=np.full_like(kept["b2"], np.nan)))
    np.savez(tmp_path / "inf_accuracy.npz", **dict(kept, accuracy=np.full_like(kept["accuracy"], np.inf)))
    np.savez(tmp_path / "too_big_for_float32.npz", **dict(kept, w2=kept["w2"].astype(np.float64) * 1e300))
    np.savez(tmp_path / "pickled.npz", **dict(kept, sample=np.array([object()], dtype=object)))
    tracemalloc.start()
    try:
        for name, says in cases.items():
            with pytest.raises(UserError, match=re.escape(says)) as raised:
                recording.load(tmp_path / name)
            assert "\n" not in str(raised.value) and str(raised.value).endswith(f"--out {tmp_path / name}`."), name
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6, peak  # the bomb's 400 MB were never unpacked


def test_a_recordings_weights_reach_the_page_as_float32_whatever_type_they_were_saved_in(recorded, tmp_path):
    """Issue 33, item 5: float64, float16 and big-endian weights are converted as --model converts a
    model's (the page reads little-endian float32)."""
    from support import page_weights

    kept = {name: np.asarray(value) for name, value in recorded[3].items()}
    for dtype in ("<f8", "<f2", ">f4", ">f8"):
        saved = tmp_path / f"{dtype[1:]}{'big' if dtype[0] == '>' else ''}.npz"
        np.savez(saved, **{**kept, **{name: kept[name].astype(dtype) for name in recording.NAMES}})
        out = tmp_path / saved.stem / "weights.js"
        export_web.main(["--recording", str(saved), "--out", str(out)])
        expected = [kept[name][-1].astype(dtype).astype(np.float32) for name in recording.NAMES]
        assert all(np.array_equal(a, b) for a, b in zip(page_weights(out.read_text()), expected)), dtype


def test_a_long_run_keeps_a_bounded_number_of_moments():
    """Issue 33, item 10: 400 epochs kept 401 moments (1.37 GB); now at most MOST_MOMENTS, ending on the last."""
    assert recording.moments(469, 5) == recording.moments(469, 5)[:19] and len(recording.moments(469, 5)) == 19
    for epochs in (15, 16, 400, 10_000):
        kept = recording.moments(469, epochs)
        assert len(kept) <= recording.MOST_MOMENTS and kept[-1] == 469 * epochs and kept == sorted(set(kept))
    assert len(recording.moments(469, 400)) == recording.MOST_MOMENTS


def test_a_sample_from_a_small_test_set_says_what_it_holds(synthetic_run, digits, tmp_path, capsys):
    """Issue 33, item 11: with 30 test digits --sample said 500 (it wrote 25), and under 25 it crashed."""
    from support import page_sample

    for count in (30, 20):
        out = tmp_path / str(count) / "weights.js"
        small = dict(digits, x_test=digits["x_test"][:count], y_test=digits["y_test"][:count])
        flags = ["--model", str(synthetic_run[1]), "--out", str(out), "--sample"]
        with data.given(as_data(small)):
            if count < 25:
                with pytest.raises(
                    UserError, match="holds 20 test digits, and the page's sample takes whole rows of 25"
                ):
                    export_web.main(flags)
                assert not out.parent.exists()  # refused before any file was written
                continue
            export_web.main(flags)
        assert f"Wrote {out.parent / 'sample.js'}: 25 test digits." in capsys.readouterr().out
        images, labels = page_sample((out.parent / "sample.js").read_text())
        assert np.array_equal(images, digits["x_test"][:25]) and np.array_equal(labels, digits["y_test"][:25])
