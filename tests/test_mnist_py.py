"""mnist.py: shapes and the digit picture, fast, without TensorFlow."""

import subprocess
import sys

import numpy as np
from conftest import ROOT, assert_clean_failure, clean_env, run_script
from PIL import Image


def test_writes_the_digit_picture_in_the_current_folder(idx_folder, tmp_path):
    result = run_script("mnist.py", "--data", idx_folder, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "train_images  3     (600, 28, 28)  uint8  0 to 255" in result.stdout
    assert "test_labels   1     (200,)" in result.stdout
    picture = tmp_path / "mnist_digits.png"
    assert f"Saved {picture.name}" in result.stdout
    with Image.open(picture) as image:
        assert image.format == "PNG" and image.size == (1200, 600)
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 20  # digits drawn, not a blank page
    assert [p.name for p in tmp_path.iterdir()] == ["mnist_digits.png"]  # no temporary files left


def test_count_and_index_and_save(idx_folder, tmp_path):
    target = tmp_path / "pictures" / "nine.png"
    result = run_script("mnist.py", "--data", idx_folder, "--count", 9, "--index", 599, "--save", target)
    assert result.returncode == 0, result.stderr
    assert "the first 9 training digits and digit 599 large" in result.stdout
    assert target.exists()


def test_does_not_import_tensorflow_or_keras(idx_folder, tmp_path):
    """-X importtime lists every module the run imported, on stderr."""
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            str(ROOT / "mnist.py"),
            "--data",
            str(idx_folder),
            "--save",
            str(tmp_path / "d.png"),
        ],
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


def test_bad_values_are_refused(idx_folder, tmp_path):
    result = run_script("mnist.py", "--data", idx_folder, "--index", 600, "--save", tmp_path / "x.png")
    assert_clean_failure(result, "--index 600 is past the last training digit", "0 to 599")
    assert not (tmp_path / "x.png").exists()
    result = run_script("mnist.py", "--count", 0)
    assert result.returncode == 2 and "argument --count: must be from 1 to 100, got 0" in result.stderr
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_script("mnist.py", "--data", idx_folder, "--save", blocker / "x.png")
    assert_clean_failure(result, "Cannot write the picture", str(blocker))
