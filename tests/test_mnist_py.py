"""mnist.py: shapes and the digit picture, fast, without TensorFlow; in this process, and end to end once."""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from support import ROOT, assert_clean_failure, clean_env, run_script
from PIL import Image

import mnist as mnist_py
from mnist_helpers.errors import UserError


def test_writes_the_digit_picture_in_the_current_folder(idx_folder, tmp_path):
    """End to end, as a reader runs it: exit code, output, the file and nothing else."""
    result = run_script("mnist.py", "--data", idx_folder, cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr  # no warnings
    assert "train_images  3     (600, 28, 28)  uint8  0 to 255" in result.stdout
    assert "test_labels   1     (200,)" in result.stdout
    picture = tmp_path / "mnist_digits.png"
    assert f"Saved {picture.name}" in result.stdout
    with Image.open(picture) as image:
        assert image.format == "PNG" and image.size == (1200, 600)
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 20  # digits drawn, not a blank page
    assert [p.name for p in tmp_path.iterdir()] == ["mnist_digits.png"]  # no temporary files left


def test_count_and_index_and_save(idx_folder, tmp_path, capsys):
    target = tmp_path / "pictures" / "nine.png"
    mnist_py.main(["--data", str(idx_folder), "--count", "9", "--index", "599", "--save", str(target)])
    assert "the first 9 training digits and digit 599 large" in capsys.readouterr().out
    assert target.exists()


@pytest.mark.parametrize("suffix, format", [(".jpg", "JPEG"), (".png", "PNG"), (".pdf", None), (".svg", None)])
def test_the_picture_is_written_in_the_format_its_name_says(idx_folder, tmp_path, suffix, format):
    target = tmp_path / f"digits{suffix}"
    mnist_py.main(["--data", str(idx_folder), "--save", str(target)])
    if format:
        with Image.open(target) as image:
            assert image.format == format
    else:
        assert target.read_bytes()[:5] in (b"%PDF-", b"<?xml")


def listing_imports(idx_folder, tmp_path) -> list[str]:
    """`python mnist.py` on the synthetic digits, with -X importtime: each import reported on stderr as it ends."""
    return [
        sys.executable,
        "-X",
        "importtime",
        str(ROOT / "mnist.py"),
        "--data",
        str(idx_folder),
        "--save",
        str(tmp_path / "d.png"),
    ]


def test_does_not_import_tensorflow_or_keras(idx_folder, tmp_path):
    """-X importtime lists every module the run imported, on stderr."""
    result = subprocess.run(
        listing_imports(idx_folder, tmp_path),
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    imported = [
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    ]
    assert "matplotlib.pyplot" in imported  # the listing works
    assert [name for name in imported if name.split(".")[0] in ("tensorflow", "keras")] == []


def test_bad_values_are_refused(idx_folder, tmp_path, capsys):
    with pytest.raises(UserError, match="--index 600 is past the last training digit; use 0 to 599"):
        mnist_py.main(["--data", str(idx_folder), "--index", "600", "--save", str(tmp_path / "x.png")])
    assert not (tmp_path / "x.png").exists()
    with pytest.raises(SystemExit):
        mnist_py.parse_args(["--count", "0"])
    assert "argument --count: must be from 1 to 100, got 0" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UserError, match=f"Cannot write the picture to {blocker}"):
        mnist_py.main(["--data", str(idx_folder), "--save", str(blocker / "x.png")])


def test_output_names_that_are_folders_or_unknown_formats(idx_folder, tmp_path, capsys):
    with pytest.raises(SystemExit):
        mnist_py.parse_args(["--save", "out/"])
    assert "out/ names a folder; give a file name, such as out/digits.png" in capsys.readouterr().err
    (tmp_path / "taken.png").mkdir()
    with pytest.raises(UserError, match=r"taken\.png is a folder, so --save cannot write a file there"):
        mnist_py.main(["--data", str(idx_folder), "--save", str(tmp_path / "taken.png")])
    with pytest.raises(UserError, match=r"Matplotlib cannot write \.xyz files; end the name in \.png, \.jpg"):
        mnist_py.main(["--data", str(idx_folder), "--save", str(tmp_path / "digits.xyz")])
    assert sorted(path.name for path in tmp_path.iterdir()) == ["taken.png"]


def test_a_bad_value_from_the_command_line_is_one_sentence(idx_folder, tmp_path):
    result = run_script("mnist.py", "--data", idx_folder, "--index", 600, "--save", tmp_path / "x.png")
    assert_clean_failure(result, "--index 600 is past the last training digit", exit_code=1)


@pytest.mark.parametrize("moment", ["just after its first import", "0.3 s in"])
def test_ctrl_c_in_the_first_moments_says_interrupted(idx_folder, tmp_path, moment):
    """-X importtime says on stderr when each import is done: Ctrl-C comes right after the script's first
    line (while NumPy and Matplotlib still load), or a little later."""
    process = subprocess.Popen(
        listing_imports(idx_folder, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    if moment.startswith("just"):
        for line in process.stderr:
            if line.rstrip().endswith("mnist_helpers.flags"):
                break
    else:
        time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130 and stderr.endswith("\nInterrupted.\n"), stderr[-500:]
    assert "Traceback" not in stderr
