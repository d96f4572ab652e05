"""The hostile cases of the reliability issue, run end to end as a user would run them.

    MNIST_DATA=../shared/mnist python bench/hostile.py [--only NAME ...]

Each case runs a script in a fresh Python, in a folder of its own, with TMPDIR pointing at an empty
folder, and is judged on four things: the exit code and message it should give, no traceback, no
file left behind (in its folder or in TMPDIR) but the outputs it names, and every input file (the
data, the model, the user's own files) byte for byte as before (SHA-256 before and after). Cases
that need root (a device node, a small tmpfs) or setpriv (permission bits as root) say so and are
skipped where this machine cannot run them. Prints one line per case and a summary.
"""

import argparse
import gzip
import hashlib
import io
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, PngImagePlugin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mnist_helpers.data import idx_header  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from support import npz_with, write_idx  # noqa: E402  (tests/support.py)

IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
SCRIPTS = ("mnist.py", "mnist_learn.py", "mnist_by_hand.py", "predict.py", "export_web.py", "experiments.py")


def small_mnist(source: Path) -> dict:
    """600 training and 200 test digits of the real MNIST."""
    sys.path.insert(0, str(ROOT))
    from mnist_helpers.data import load_data

    (x_train, y_train), (x_test, y_test) = load_data(source, log=lambda *lines: None)
    return {"x_train": x_train[:600], "y_train": y_train[:600], "x_test": x_test[:200], "y_test": y_test[:200]}


def idx_folder(folder: Path, arrays: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in IDX_NAMES.items():
        write_idx(folder / f"{name}.gz", arrays[key])
    return folder


def digit_png(path: Path) -> Path:
    picture = Image.new("L", (120, 120), 255)
    ImageDraw.Draw(picture).line((60, 15, 60, 105), fill=0, width=12)
    picture.save(path)
    return path


def checksums(folder: Path) -> dict:
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.exists():
            continue
        if path.is_file() and os.access(path, os.R_OK):
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif not path.is_dir():
            info = path.lstat()
            found[str(path)] = f"{stat.S_IFMT(info.st_mode)}:{info.st_ino}:{info.st_rdev}"
    return found


def as_root_without_override(command: list) -> list | None:
    if os.geteuid() != 0:
        return command
    if not shutil.which("setpriv"):
        return None
    dropped = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", dropped, "--inh-caps", dropped, *command]


class Case:
    def __init__(
        self, name, script, args, says, exit_codes=(1,), outputs=(), shell=None, env=None, signal_after=None, run=None
    ):
        self.name, self.script, self.args, self.says = name, script, args, says
        self.exit_codes, self.outputs, self.shell, self.env = exit_codes, outputs, shell, env or {}
        self.signal_after, self.run = signal_after, run


def cases(work: Path, data: Path, arrays: dict, model: Path) -> list:
    inputs = work / "inputs"
    mine = inputs / "mine"
    mine.mkdir(parents=True)
    (mine / "mine.png").write_bytes(b"the reader's own picture")
    (mine / "mine.js").write_text("// the reader's own script\n")
    (mine / "mine.keras").write_bytes(model.read_bytes())
    (mine / "results").mkdir()
    os.mkfifo(mine / "fifo.png")
    os.mkfifo(mine / "results" / "results.csv")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(mine / "socket.png"))
    (mine / "link.png").symlink_to("mine.png")
    found = []
    if os.geteuid() == 0:
        os.mknod(mine / "null.png", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        found.append(Case("device as --save", "mnist.py", ["--data", data, "--save", mine / "null.png"], "is a device"))
    bad = inputs / "bad"
    bad.mkdir()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10**12, 28, 28)})
    npz = {
        "npy header of 10^12 images": npz_with(bad / "huge.npz", arrays, "x_train.npy", header.getvalue() + bytes(9)),
        "encrypted npz member": npz_with(bad / "enc.npz", arrays, "y_test.npy", b"secret", flags=1),
        "unknown compression method": npz_with(bad / "method.npz", arrays, "y_test.npy", b"x" * 40, method=99),
    }
    deflated = bad / "deflate.npz"
    np.savez_compressed(deflated, **arrays)
    raw = bytearray(deflated.read_bytes())
    raw[len(raw) // 3 : len(raw) // 3 + 64] = bytes(64)
    deflated.write_bytes(bytes(raw))
    npz["corrupt deflate data"] = deflated
    bomb = idx_folder(bad / "bomb", arrays)
    (bomb / "train-images-idx3-ubyte.gz").write_bytes(
        gzip.compress(idx_header((4_294_967_295, 28, 28)) + bytes(50_000_000), compresslevel=9)
    )
    few = bad / "few.npz"
    np.savez(few, **dict(arrays, x_train=arrays["x_train"][:9], y_train=arrays["y_train"][:9]))
    subset = bad / "subset.npz"
    low = arrays["y_train"] < 5
    np.savez(subset, **dict(arrays, x_train=arrays["x_train"][low], y_train=arrays["y_train"][low]))
    text = bad / "text.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "x" * (PngImagePlugin.MAX_TEXT_CHUNK + 10), zip=True)
    Image.new("L", (28, 28), 255).save(text, pnginfo=info)
    Image.fromarray(np.full((28, 28), np.nan, np.float32), mode="F").save(bad / "nan.tif")
    lab = Image.new("LAB", (120, 120), (230, 128, 128))
    ImageDraw.Draw(lab).line((60, 15, 60, 105), fill=(20, 128, 128), width=12)
    lab.save(bad / "lab.tif")
    odd_name = bad / os.fsdecode(b"caf\xe9.png")
    digit_png(odd_name)
    digit_png(bad / "数字.png")
    locked = inputs / "locked"  # readable, not writable
    shutil.copytree(data, locked)
    closed = inputs / "closed"  # neither
    shutil.copytree(data, closed)
    unreadable_model = inputs / "unreadable.keras"
    unreadable_model.write_bytes(model.read_bytes())
    py = sys.executable
    found += [
        Case("FIFO as --save", "mnist.py", ["--data", data, "--save", mine / "fifo.png"], "is a FIFO"),
        Case("socket as --save", "mnist.py", ["--data", data, "--save", mine / "socket.png"], "is a socket"),
        Case("a folder as --save", "mnist.py", ["--data", data, "--save", mine], "is a folder"),
        Case(
            "your file as --save", "mnist.py", ["--data", data, "--save", "mine.png"], "(replaced)", (0,), ["mine.png"]
        ),
        Case(
            "a link as --save",
            "mnist.py",
            ["--data", data, "--save", "link.png"],
            "(replaced)",
            (0,),
            ["link.png", "real.png"],
        ),
        Case(
            "your file as export --out",
            "export_web.py",
            ["--model", model, "--out", "mine.js"],
            "(replaced)",
            (0,),
            ["mine.js"],
        ),
        Case(
            "a name whose temporary cannot fit",
            "export_web.py",
            ["--model", model, "--out", "d." + "x" * 250],
            "shorter name",
        ),
        *[Case(name, "mnist.py", ["--data", path], "is damaged") for name, path in npz.items()],
        Case("gzip bomb claiming 2^32 images", "mnist.py", ["--data", bomb], "more than a file of its size can hold"),
        Case(
            "--validation split with 9 images",
            "mnist_learn.py",
            ["--data", few, "--validation", "split", "--no-plots"],
            "leave none",
        ),
        Case("labels 0-4 only", "mnist_learn.py", ["--data", subset, "--no-plots", "--epochs", "1"], "num_classes=10"),
        Case("--batch-size 2^63", "mnist_learn.py", ["--data", data, "--batch-size", str(2**63)], "at most", (2,)),
        Case(
            "--save-model DIR/.keras",
            "mnist_learn.py",
            ["--data", data, "--save-model", "models/.keras"],
            "NAME.keras",
            (2,),
        ),
        Case("PNG text chunk too large", "predict.py", [text, "--model", model], "could not be read"),
        Case("float TIFF of NaN", "predict.py", [bad / "nan.tif", "--model", model], "not numbers"),
        Case("LAB TIFF", "predict.py", [bad / "lab.tif", "--model", model], "lab.tif: ", (0,)),
        Case(
            "non-UTF-8 name, --show, strict UTF-8 stdout",
            "predict.py",
            [odd_name, "--model", model, "--show"],
            "what the network saw",
            (0,),
            ["seen"],
            env={"PYTHONIOENCODING": "utf-8"},
        ),
        Case(
            "CJK name, --show",
            "predict.py",
            [bad / "数字.png", "--model", model, "--show"],
            "what the network saw",
            (0,),
            ["seen"],
        ),
        Case(
            "FIFO as results.csv", "experiments.py", ["--quick", "--out", mine / "results", "--data", data], "is a FIFO"
        ),
        Case(
            "mnist.py | head -1",
            None,
            [],
            "",
            (0, 141),
            ["mnist_digits.png"],  # written whole before the line that met the closed pipe
            shell=f"{py} {ROOT}/mnist.py --data {data} | head -1",
        ),
        Case(
            "mnist_by_hand.py | head -2",
            None,
            [],
            "",
            (0, 141),
            shell=f"{py} {ROOT}/mnist_by_hand.py --data {data} | head -2",
        ),
        Case(
            "mnist_learn.py | head -3",
            None,
            [],
            "",
            (0, 141),
            shell=f"{py} {ROOT}/mnist_learn.py --data {data} --no-plots | head -3",
        ),
        Case(
            "predict.py | head -1",
            None,
            [],
            "",
            (0, 141),
            shell=f"{py} {ROOT}/predict.py --mnist-index 0 --mnist-index 1 --data {data} --model {model} | head -1",
        ),
        Case(
            "mnist.py > /dev/full",
            None,
            [],
            "No space left on device",
            shell=f"{py} {ROOT}/mnist.py --data {data} > /dev/full",
        ),
        Case(
            "mnist_learn.py > /dev/full",
            None,
            [],
            "No space left on device",
            shell=f"{py} {ROOT}/mnist_learn.py --data {data} --no-plots --epochs 1 > /dev/full",
        ),
        Case("mnist.py >&-", None, [], "", (0,), ["mnist_digits.png"], shell=f"{py} {ROOT}/mnist.py --data {data} >&-"),
        Case(
            "mnist_learn.py 2>&-",
            None,
            [],
            "",
            (0,),
            shell=f"{py} {ROOT}/mnist_learn.py --data {data} --no-plots --no-runs --epochs 1 2>&-",
        ),
        *[
            Case(
                f"{stop.name} during training",
                "mnist_learn.py",
                ["--data", data, "--epochs", "50", "--batch-size", "10", "--save-model", "m.keras"],
                f"Interrupted ({stop.name})",
                (128 + stop,),
                signal_after=(stop, "Training on"),
            )
            for stop in (signal.SIGTERM, signal.SIGHUP)
        ],
    ]
    plain = [py, str(ROOT / "mnist.py"), "--data", str(data)]
    for name, command, says in [
        ("--data without permission", plain[:-1] + [str(closed)], "Permission denied"),
        (
            "--save in a folder without write permission",
            plain + ["--save", str(locked / "x.png")],
            "choose a writable folder",
        ),
        (
            "unreadable model",
            [py, str(ROOT / "predict.py"), "--mnist-index", "0", "--data", str(data), "--model", str(unreadable_model)],
            "Cannot read",
        ),
    ]:
        wrapped = as_root_without_override(command)
        if wrapped:
            found.append(Case(name, None, [], says, run=wrapped))
    found.append(Case("two experiments.py sharing --out", None, [], "", (0,), ["shared"], run="two sessions"))
    return found, listener, [(locked, 0o500), (closed, 0), (unreadable_model, 0)]


def run_case(case: Case, folder: Path, data: Path) -> tuple[int, str, str]:
    temporary = folder.parent / f"{folder.name}-tmp"
    temporary.mkdir()
    env = dict(os.environ, TMPDIR=str(temporary), MPLBACKEND="Agg", **case.env)
    env.pop("MNIST_DATA", None)
    if case.run == "two sessions":
        command = [
            sys.executable,
            str(ROOT / "experiments.py"),
            "batch",
            "--quick",
            "--data",
            str(data),
            "--out",
            "shared",
        ]
        other = [*command[:2], "validation", *command[3:]]
        first = subprocess.Popen(
            command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        second = subprocess.Popen(other, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        outs = [first.communicate(), second.communicate()]
        rows = (folder / "shared" / "results.csv").read_text().splitlines()
        kinds = {row.split(",")[0] for row in rows[1:]}
        said = "" if kinds == {"batch", "validation"} else f"rows of {sorted(kinds)} only"
        return max(first.returncode, second.returncode), "".join(o for o, _ in outs), "".join(e for _, e in outs) + said
    if case.shell:
        done = subprocess.run(
            ["bash", "-c", "set -o pipefail; " + case.shell], cwd=folder, env=env, capture_output=True, text=True
        )
        return done.returncode, done.stdout, done.stderr
    command = case.run or [sys.executable, str(ROOT / case.script), *map(str, case.args)]
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if case.signal_after:
        signum, after = case.signal_after
        for line in process.stdout:
            if after in line:
                break
        time.sleep(1.5)
        process.send_signal(signum)
    out, err = process.communicate(timeout=600)
    return process.returncode, out, err


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="cases whose names contain one of these")
    args = parser.parse_args()
    if not os.environ.get("MNIST_DATA"):
        sys.exit("Set MNIST_DATA to the MNIST folder, e.g. MNIST_DATA=../shared/mnist python bench/hostile.py")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        arrays = small_mnist(Path(os.environ["MNIST_DATA"]))
        data = idx_folder(work / "inputs" / "data", arrays)
        model = work / "inputs" / "model.keras"
        made = subprocess.run(
            [
                sys.executable,
                str(ROOT / "mnist_learn.py"),
                "--data",
                str(data),
                "--save-model",
                str(model),
                "--no-plots",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            env=dict(os.environ, MPLBACKEND="Agg"),
        )
        assert made.returncode == 0, made.stderr
        all_cases, listener, locks = cases(work, data, arrays, model)
        before = checksums(work / "inputs")
        modes = {path: path.stat().st_mode for path, _ in locks}
        for path, mode in locks:
            path.chmod(mode)
        failures, ran = [], 0
        for number, case in enumerate(all_cases):
            if args.only and not any(part in case.name for part in args.only):
                continue
            folder = work / f"case{number}"
            folder.mkdir()
            if case.name == "your file as --save":
                shutil.copy(work / "inputs" / "mine" / "mine.png", folder / "mine.png")
            if case.name == "your file as export --out":
                shutil.copy(work / "inputs" / "mine" / "mine.js", folder / "mine.js")
            if case.name == "a link as --save":
                (folder / "real.png").write_bytes(b"the reader's own")
                (folder / "link.png").symlink_to("real.png")
            started = time.perf_counter()
            code, out, err = run_case(case, folder, data)
            ran += 1
            problems = []
            if code not in case.exit_codes:
                problems.append(f"exit {code}, not {case.exit_codes}")
            if "Traceback" in err:
                problems.append("a traceback")
            if case.says and case.says not in out + err:
                problems.append(f"no {case.says!r}")
            if "Warning" in err or "warning" in err:
                problems.append("a warning")
            left = sorted(p.name for p in folder.iterdir() if p.name not in case.outputs)
            if left:
                problems.append(f"left {left}")
            if case.name == "a link as --save" and not (folder / "link.png").is_symlink():
                problems.append("the link was replaced")
            leftovers = list((folder.parent / f"{folder.name}-tmp").iterdir())
            if leftovers:
                problems.append(f"left {len(leftovers)} in TMPDIR")
            verdict = "ok" if not problems else "FAILED: " + "; ".join(problems)
            print(f"{case.name:<46} exit {code:>4}  {time.perf_counter() - started:5.1f} s  {verdict}", flush=True)
            if problems:
                failures.append((case.name, err[-600:]))
        for path, mode in modes.items():
            path.chmod(mode)
        after = checksums(work / "inputs")
        changed = sorted(path for path in before if after.get(path) != before[path])
        listener.close()
        print(
            f"\n{ran} cases, {ran - len(failures)} held; input files changed: {changed or 'none'} "
            f"(SHA-256 of {len(before)} files before and after)"
        )
        for name, err in failures:
            print(f"\n--- {name}:\n{err}")


if __name__ == "__main__":
    main()
