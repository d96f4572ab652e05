"""Output files and the error boundary: a regular file, written whole or not at all, whatever comes
(a stop, a full disk, a pipe that closes), and one sentence for every way a user's machine can refuse.

The real things where this machine has them: a small tmpfs for a full disk and a device node made
with mknod (both need root), real FIFOs, sockets, signals and pipes, and real permission bits (run
without the right to override them: as root, through setpriv)."""

import errno
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest
from support import ROOT, assert_clean_failure, clean_env, run_script

from mnist_helpers.plumbing import process
from mnist_helpers.errors import UserError
from mnist_helpers.plumbing.files import check_output, ensure_writable_folder, write_output

WRITER = """
from mnist_helpers.plumbing.process import run, start
start(__name__)
import sys
from pathlib import Path
from mnist_helpers.plumbing.files import write_output

def main(argv):
    folder, data = Path(argv[0]), b"x" * 200_000
    print("ready", flush=True)
    while True:
        for name in ("results.csv", "results.md", "picture.png"):
            write_output(folder / name, lambda temporary: temporary.write_bytes(data))

run(main, sys.argv[1:])
"""


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    (tmp_path / "table.md").write_text("old")

    def half_then_fail(temporary):
        temporary.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_output(tmp_path / "table.md", half_then_fail)
    assert [path.name for path in tmp_path.iterdir()] == ["table.md"]
    assert (tmp_path / "table.md").read_text() == "old"


@pytest.mark.parametrize(
    "stop, attempts",
    [(signal.SIGINT, 20)] + [(getattr(signal, name), 8) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)],
)
def test_a_stop_at_any_moment_leaves_only_whole_files(tmp_path, stop, attempts):
    """Stop a script that does nothing but write files, at different moments."""
    for attempt in range(attempts):
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
        time.sleep(0.01 + attempt * 0.005)
        writer.send_signal(stop)
        _, stderr = writer.communicate(timeout=30)
        name = "" if stop == signal.SIGINT else f" ({signal.Signals(stop).name})"
        assert writer.returncode == 128 + stop and stderr == f"\nInterrupted{name}.\n", stderr
        left = sorted(path.name for path in folder.iterdir())
        assert set(left) <= {"results.csv", "results.md", "picture.png"}, left
        assert all(path.stat().st_size == 200_000 for path in folder.iterdir())


def test_output_folder_is_checked_before_work(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(UserError, match="Cannot write the pictures to .*file/"):
        ensure_writable_folder(tmp_path / "file" / "plots", "the pictures")


def special_files(folder):
    """A FIFO, a socket and (as root) a device node in ``folder``, with what the refusal calls them."""
    os.mkfifo(folder / "fifo.png")
    found = [(folder / "fifo.png", "a FIFO")]
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "socket.png"))
    found.append((folder / "socket.png", "a socket"))
    if os.geteuid() == 0:
        os.mknod(folder / "null.png", 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
        found.append((folder / "null.png", "a device"))
    return found, server


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs or sockets on this system")
def test_devices_fifos_and_sockets_are_refused_and_left_as_they_are(tmp_path):
    found, server = special_files(tmp_path)
    try:
        for path, says in [(path, f"--save {path} is {kind}") for path, kind in found] + [
            (tmp_path, f"{tmp_path} is a folder, so --save cannot write a file there")
        ]:
            before = os.lstat(path)
            with pytest.raises(UserError, match=re.escape(says)):
                check_output(path, "--save")
            after = os.lstat(path)
            assert (after.st_ino, after.st_mode, after.st_rdev) == (before.st_ino, before.st_mode, before.st_rdev)
        assert os.path.exists("/dev/null") and stat.S_ISCHR(os.stat("/dev/null").st_mode)
        with pytest.raises(UserError, match="is a device"):
            check_output("/dev/null", "--save")
    finally:
        server.close()


def test_a_link_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "real.png").write_bytes(b"old")
    (tmp_path / "link.png").symlink_to("real.png")
    check_output(tmp_path / "link.png", "--save")
    assert write_output(tmp_path / "link.png", lambda temporary: temporary.write_bytes(b"new")) is True
    assert (tmp_path / "link.png").is_symlink() and (tmp_path / "real.png").read_bytes() == b"new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["link.png", "real.png"]
    (tmp_path / "loop.png").symlink_to("loop.png")
    with pytest.raises(UserError, match="loop.png: cannot look at it"):
        check_output(tmp_path / "loop.png", "--save")


def test_any_name_the_folder_takes_can_be_written(tmp_path):
    """The temporary name is as short as the suffix allows, so a name of 250 characters works; one whose
    temporary name cannot fit is refused before any work."""
    longest = tmp_path / ("d" * 246 + ".png")
    check_output(longest, "--save")
    assert write_output(longest, lambda temporary: temporary.write_bytes(b"ok")) is False
    assert longest.read_bytes() == b"ok" and len(list(tmp_path.iterdir())) == 1
    with pytest.raises(UserError, match="choose a shorter name"):
        check_output(tmp_path / ("d." + "x" * 240), "--save")


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KiB tmpfs, mounted for the test (needs root); skipped where it cannot be mounted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.decode().strip() or 'not root'})")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_keeps_the_old_file_and_says_so_in_one_sentence(tiny_disk, idx_folder):
    (tiny_disk / "digits.png").write_bytes(b"old")
    with pytest.raises(OSError) as raised:
        write_output(tiny_disk / "digits.png", lambda temporary: temporary.write_bytes(b"x" * 200_000))
    assert raised.value.errno == errno.ENOSPC
    assert [path.name for path in tiny_disk.iterdir()] == ["digits.png"]
    assert (tiny_disk / "digits.png").read_bytes() == b"old"
    result = run_script("mnist.py", "--data", idx_folder, "--count", 100, "--save", tiny_disk / "big.svg")
    assert_clean_failure(result, "No space left on device", "free some space")
    assert sorted(path.name for path in tiny_disk.iterdir()) == ["digits.png"]


def without_override(*command):
    """``command`` run without the right to ignore permission bits (as root: through setpriv)."""
    if os.name != "posix":
        pytest.skip("permission bits are POSIX's")
    if os.geteuid() != 0:
        return list(command)
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: permission bits cannot be tested")
    dropped = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", dropped, "--inh-caps", dropped, *command]


def test_folders_and_files_without_permission_are_said_in_one_sentence(tmp_path, idx_folder, synthetic_run):
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copytree(idx_folder, tmp_path / "data")
    shutil.copytree(idx_folder, tmp_path / "one_unreadable")
    (tmp_path / "one_unreadable" / "t10k-labels-idx1-ubyte.gz").chmod(0)
    (tmp_path / "data").chmod(0)
    shutil.copy(synthetic_run[1], tmp_path / "model.keras")
    (tmp_path / "model.keras").chmod(0)
    (tmp_path / "table").mkdir()
    (tmp_path / "table" / "results.csv").write_text("")
    (tmp_path / "table" / "results.csv").chmod(0)
    locked.chmod(0o500)  # can read, cannot write
    try:
        cases = [
            ("mnist.py", ["--data", tmp_path / "data"], ["cannot open the folder", "Permission denied", "change its"]),
            ("mnist.py", ["--data", tmp_path / "one_unreadable"], ["t10k-labels-idx1-ubyte.gz", "Permission denied"]),
            ("mnist.py", ["--data", idx_folder, "--save", locked / "x.png"], ["locked", "choose a writable folder"]),
            ("predict.py", ["--mnist-index", 0, "--model", tmp_path / "model.keras"], ["Cannot read", "model.keras"]),
            ("experiments.py", ["--quick", "--out", tmp_path / "table"], ["Cannot read", "results.csv", "Permission"]),
        ]
        for script, args, says in cases:
            command = without_override(sys.executable, str(ROOT / script), *map(str, args))
            result = subprocess.run(command, capture_output=True, text=True, env=clean_env(), cwd=tmp_path)
            assert_clean_failure(result, *says)
        assert list(locked.iterdir()) == []
    finally:
        (tmp_path / "data").chmod(0o700)
        locked.chmod(0o700)


def test_a_full_disk_after_training_loses_no_file_and_leaves_nothing(tiny_disk, digits, tmp_path, monkeypatch):
    """--save-model onto a full disk: the error that process.run turns into one sentence naming the
    model's path (issue 32: it said "standard output or a file"), the disk as it was, and nothing of
    Keras' own saving left in the temporary folder (issue 32: a tmpXXXX/assets folder stayed)."""
    import tempfile

    from support import SMALL_RUN, as_data

    from mnist_helpers.lesson import run_lesson, settings

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # TMPDIR, as Python has read it

    with pytest.raises(OSError) as raised:
        run_lesson(
            settings(*SMALL_RUN, "--hidden-units", 64, "--quiet", "--no-plots", "--save-model", tiny_disk / "m.keras"),
            data=as_data(digits),
        )
    said = str(process.as_user_error(raised.value))
    assert (
        raised.value.errno == errno.ENOSPC
        and said.startswith(f"{tiny_disk / 'm.keras'}:")
        and "free some space" in said
    )
    assert list(tiny_disk.iterdir()) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_reader_that_goes_away_ends_the_run_quietly(idx_folder, tmp_path):
    """`mnist.py | head -1`: the pipe closes after one line; the run ends by SIGPIPE, as Unix tools do."""
    if not hasattr(signal, "SIGPIPE"):
        pytest.skip("no SIGPIPE on this system")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "mnist.py"), "--data", str(idx_folder), "--save", str(tmp_path / "x.png")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
        cwd=tmp_path,
    )
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) in (0, -signal.SIGPIPE) and stderr == "", stderr


def shell(command: str, cwd):
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=clean_env(), cwd=cwd)


@pytest.mark.skipif(os.name != "posix" or not os.path.exists("/dev/full"), reason="needs a POSIX shell and /dev/full")
def test_closed_stderr_full_stdout_and_names_that_are_not_utf8(idx_folder, tmp_path):
    run = f"{sys.executable} {ROOT / 'mnist.py'} --data {idx_folder}"
    closed = shell(f"{run} --save closed.png 2>&-", tmp_path)
    assert closed.returncode == 0 and (tmp_path / "closed.png").is_file(), closed.stdout
    nowhere = shell(f"{run} --save nowhere.png >&-", tmp_path)
    assert nowhere.returncode == 0 and nowhere.stderr == "" and (tmp_path / "nowhere.png").is_file()
    full = shell(f"{run} --save full.png > /dev/full", tmp_path)
    assert_clean_failure(full, "No space left on device")
    name = os.fsdecode(b"caf\xe9.png")  # Latin-1, not UTF-8: a surrogate escape in Python
    strict = subprocess.run(
        [sys.executable, str(ROOT / "mnist.py"), "--data", str(idx_folder), "--save", name],
        capture_output=True,
        text=True,
        env=clean_env(PYTHONIOENCODING="utf-8"),
        cwd=tmp_path,
    )
    assert strict.returncode == 0 and "Saved caf\\udce9.png" in strict.stdout, strict.stderr
    assert os.path.exists(os.path.join(tmp_path, name))


def test_every_os_error_and_memory_error_is_one_sentence(capsys):
    """The boundary in process.run, in this process: the path, what the system said, what to do."""
    for error, says in [
        (
            OSError(errno.ENOSPC, "No space left on device", "out/loss.png"),
            "out/loss.png: No space left on device; free",
        ),
        (
            PermissionError(errno.EACCES, "Permission denied", "/data"),
            "/data: Permission denied; you have no permission",
        ),
        (OSError(errno.ENAMETOOLONG, "File name too long", "x" * 300), "File name too long; choose a shorter name"),
        (MemoryError(), "Ran out of memory; use smaller settings"),
    ]:

        def main(argv, error=error):
            raise error

        with pytest.raises(SystemExit) as exited:
            process.run(main)
        assert exited.value.code == 1
        stderr = capsys.readouterr().err
        assert stderr.count("\n") == 1 and stderr.startswith("error: ") and says in stderr, stderr

    def bug(argv):
        raise KeyError("a bug keeps its traceback")

    with pytest.raises(KeyError):
        process.run(bug)


def test_a_file_already_there_is_replaced_and_the_run_says_so(idx_folder, tmp_path):
    (tmp_path / "mine.png").write_bytes(b"the reader's own")
    first = run_script("mnist.py", "--data", idx_folder, "--save", tmp_path / "mine.png")
    assert first.returncode == 0 and f"Saved {tmp_path / 'mine.png'} (replaced):" in first.stdout, first.stderr
    second = run_script("mnist.py", "--data", idx_folder, "--save", tmp_path / "new.png")
    assert f"Saved {tmp_path / 'new.png'}:" in second.stdout


TABLE_WRITER = """
import sys
from mnist_helpers.runs import TABLE_COLUMNS as COLUMNS, update_rows
folder, experiment = sys.argv[1], sys.argv[2]
for i in range(40):
    rows = [dict({column: "1" for column in COLUMNS}, experiment=experiment, setting=str(j)) for j in range(i + 1)]
    update_rows(folder, experiment, rows, ["one", "two"])
"""


def test_two_sessions_writing_one_table_keep_each_others_rows(tmp_path):
    """Two experiments.py sessions with the same --out, as two processes: each rewrites the table 40 times."""
    writers = [
        subprocess.Popen([sys.executable, "-c", TABLE_WRITER, str(tmp_path), name], cwd=ROOT, env=clean_env())
        for name in ("one", "two")
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
    from mnist_helpers.runs import read_rows

    rows = read_rows(tmp_path)
    assert [row["experiment"] for row in rows] == ["one"] * 40 + ["two"] * 40
    assert sorted(path.name for path in tmp_path.iterdir()) == ["results.csv", "results.md"]


def test_a_results_file_that_is_not_a_regular_file_is_refused(tmp_path):
    import experiments

    os.mkfifo(tmp_path / "results.csv")
    with pytest.raises(UserError, match="results.csv is a FIFO"):
        experiments.main(["batch", "--quick", "--out", str(tmp_path)])


def test_a_runs_outputs_are_never_its_inputs_nor_each_other(tmp_path, monkeypatch):
    """Issue 33, item 2: one Plan knows every path a run reads and writes; two outputs that are one file,
    or an output that is an input, whatever names lead there, are refused before any work."""
    import export_web
    import record

    from mnist_helpers.plumbing.files import Plan

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.npz").write_bytes(b"data")
    os.symlink("data.npz", tmp_path / "link.npz")
    os.link(tmp_path / "data.npz", tmp_path / "hard.npz")
    (tmp_path / "x").mkdir()
    cases = [
        (record.main, ["--out", "same.bin", "--gif", "same.bin"], "--gif same.bin is also --out same.bin"),
        (record.main, ["--save-model", "r.keras", "--out", "r.keras"], "--out r.keras is also --save-model r.keras"),
        (record.main, ["--data", "data.npz", "--out", "./x/../link.npz"], "which this run reads"),
        (record.main, ["--data", "data.npz", "--gif", "hard.npz"], "which this run reads"),
        (record.main, ["--plots", ".", "--gif", "hidden_units.png"], "is also --plots"),
        (export_web.main, ["--recording", "r.npz", "--out", "x/recording.js"], "is also --out x/recording.js"),
        (export_web.main, ["--model", "m.keras", "--out", "m.keras"], "which this run reads"),
    ]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for main, flags, says in cases:
        with pytest.raises(UserError, match=re.escape(says)):
            main(flags)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # refused before anything was written
    plan = Plan(tmp_path)  # a folder read: each file in it
    assert not plan.free(tmp_path / "hard.npz") and plan.free(tmp_path / "new.npz")


def test_a_tilde_after_an_equals_sign_is_the_home_folder_for_every_path_flag(tmp_path, monkeypatch):
    """Issue 33, item 11: the shell expands ~ in `--out ~/r.npz`, not in `--out=~/r.npz`; the scripts do,
    as --data does, instead of making a folder named ~."""
    import experiments
    import export_web
    import mnist
    import predict
    import record

    from mnist_helpers.lesson import parser_for, constants

    monkeypatch.setenv("HOME", str(tmp_path))
    home = tmp_path
    parsed = [
        (record.parse_args(["--out=~/r.npz", "--gif=~/r.gif"]), {"out": home / "r.npz", "gif": home / "r.gif"}),
        (
            export_web.parse_args(["--out=~/w.js", "--recording=~/r.npz"]),
            {"out": home / "w.js", "recording": home / "r.npz"},
        ),
        (export_web.parse_args(["--model=~/m.keras"]), {"model": home / "m.keras"}),
        (
            predict.parse_args(["x.png", "--out=~/seen", "--model=~/m.keras"]),
            {"out": home / "seen", "model": home / "m.keras"},
        ),
        (experiments.parse_args(["--out=~/e"]), {"out": home / "e"}),
        (mnist.parse_args(["--save=~/d.png"]), {"save": home / "d.png"}),
        (
            parser_for(constants()).parse_args(["--plots=~/p", "--save-model=~/m.keras"]),
            {"plots": home / "p", "save_model": home / "m.keras"},
        ),
    ]
    for args, expected in parsed:
        assert {name: getattr(args, name) for name in expected} == expected


def test_data_naming_a_user_that_does_not_exist_is_one_sentence_in_every_script(capsys):
    """`--data '~nosuchuser/x'` ended in a traceback (AttributeError in the plan of the run's files): every
    script that reads MNIST says in one sentence that there is no such user, exit code 2 (issue 42)."""
    import experiments
    import mnist
    import predict
    import record

    from mnist_helpers.lesson import run_lesson, settings

    flags = ["--data", "~nosuchuser/x"]
    for name, run in [
        ("mnist.py", lambda: mnist.main(flags)),
        ("mnist_learn.py", lambda: run_lesson(settings(*flags))),
        ("predict.py", lambda: predict.main([*flags, "photo.png"])),
        ("record.py", lambda: record.main(flags)),
        ("experiments.py", lambda: experiments.main(flags)),
    ]:
        with pytest.raises(SystemExit) as raised:
            run()
        said = capsys.readouterr().err
        assert raised.value.code == 2, name
        assert "argument --data: there is no user 'nosuchuser' for ~nosuchuser to stand for" in said, (name, said)
        assert "Traceback" not in said, name
