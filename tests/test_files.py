"""Output files: written whole or not at all, whenever Ctrl-C comes."""

import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, clean_env

from mnist_helpers.files import atomic_output, ensure_writable_folder
from mnist_helpers.errors import UserError

WRITER = """
from mnist_helpers.lifecycle import run, start
start(__name__)
import sys
from pathlib import Path
from mnist_helpers.files import atomic_output

def main(argv):
    folder, data = Path(argv[0]), b"x" * 200_000
    print("ready", flush=True)
    while True:
        for name in ("results.csv", "results.md", "picture.png"):
            with atomic_output(folder / name) as temporary:
                temporary.write_bytes(data)

run(main, sys.argv[1:])
"""


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    (tmp_path / "table.md").write_text("old")
    with pytest.raises(RuntimeError), atomic_output(tmp_path / "table.md") as temporary:
        temporary.write_text("half")
        raise RuntimeError("disk full")
    assert [path.name for path in tmp_path.iterdir()] == ["table.md"]
    assert (tmp_path / "table.md").read_text() == "old"


def test_ctrl_c_at_any_moment_leaves_only_whole_files(tmp_path):
    """Interrupt a script that does nothing but write files, 30 times at different moments."""
    for attempt in range(30):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder)],
            cwd=ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout.readline() == "ready\n"
        time.sleep(0.01 + attempt * 0.003)
        writer.send_signal(signal.SIGINT)
        _, stderr = writer.communicate(timeout=30)
        assert writer.returncode == 130 and stderr == "\nInterrupted.\n", stderr
        left = sorted(path.name for path in folder.iterdir())
        assert set(left) <= {"results.csv", "results.md", "picture.png"}, left
        assert all(path.stat().st_size == 200_000 for path in folder.iterdir())


def test_output_folder_is_checked_before_work(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(UserError, match="Cannot write the pictures to .*file/"):
        ensure_writable_folder(tmp_path / "file" / "plots", "the pictures")
