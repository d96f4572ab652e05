"""Speed benchmark: the lesson against the post's own script, in one run, on this machine.

    MNIST_DATA=../shared/mnist python bench/speed.py [--runs 3] [--only lesson "no framework"] [--busy]

Runs, alternating and each in a fresh Python: the post's final script (bench/post_script.py),
the project's mnist_learn.py (defaults), the same training with no framework (mnist_by_hand.py,
NumPy alone) and as hand-written TensorFlow without Keras' fit (bench/tf_reference.py); then the
post's mnist.py (bench/post_mnist.py) against the project's mnist.py. Prints medians of wall time,
time inside fit (or the training loop), peak memory (RSS) and test accuracy, and the ratios the
speed targets are set in. --busy keeps one core busy with another program throughout, as a reader's
machine often is; --only runs some of the programs (the ratios need both of theirs).
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = {
    "post": ["bench/timed_fit.py", "bench/post_script.py"],
    "lesson": ["bench/timed_fit.py", "mnist_learn.py", "--no-plots", "--runs", "{tmp}/runs.csv"],
    # As the README's command runs: its four pictures, its row in runs.csv and the picture of your runs.
    "lesson, pictures": ["bench/timed_fit.py", "mnist_learn.py", "--plots", "{tmp}/plots", "--runs", "{tmp}/runs.csv"],
    "no framework": ["mnist_by_hand.py"],
    "tensorflow": ["bench/tf_reference.py"],
    "post mnist.py": ["bench/post_mnist.py"],
    "mnist.py": ["mnist.py", "--save", "{tmp}/digits.png"],
}
TARGETS = [  # (what, numerator, denominator, column, at most)
    ("lesson total / post total", "lesson", "post", "wall", 0.60),
    ("lesson with its pictures / post total", "lesson, pictures", "post", "wall", 0.65),
    ("lesson peak RSS / post peak RSS", "lesson", "post", "rss", 1.00),
    ("mnist.py / post mnist.py", "mnist.py", "post mnist.py", "wall", 0.30),
    ("no framework total / lesson total", "no framework", "lesson", "wall", 0.35),
    ("no framework peak RSS / lesson peak RSS", "no framework", "lesson", "rss", 0.50),
    ("lesson fit / post fit", "lesson", "post", "fit", None),
    ("TensorFlow without fit / post fit (the floor)", "tensorflow", "post", "fit", None),
]


def run_once(name: str, tmp: str) -> dict:
    """One fresh-process run: wall seconds, fit seconds, peak RSS (MiB), test accuracy."""
    fit_file = Path(tmp) / "fit.txt"
    fit_file.unlink(missing_ok=True)
    (Path(tmp) / "runs.csv").unlink(missing_ok=True)  # each run a reader's first: one row, a picture of one run
    command = [sys.executable, *(arg.format(tmp=tmp) for arg in PROGRAMS[name])]
    env = dict(os.environ, BENCH_FIT_FILE=str(fit_file), MPLBACKEND="Agg")
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if process.returncode != 0:
        sys.exit(f"{name} failed (exit {process.returncode}):\n{text[-2000:]}")
    result = {"wall": wall, "rss": usage.ru_maxrss / 1024, "fit": None, "accuracy": None}
    if name == "tensorflow":
        figures = json.loads(text.strip().splitlines()[-1])
        result.update(fit=figures["fit_seconds"], accuracy=figures["test_accuracy"])
    elif fit_file.exists():
        result["fit"] = float(fit_file.read_text().split()[0])
    found = re.findall(r"test accuracy:? ([\d.]+)", text)
    if found:
        result["accuracy"] = float(found[-1])
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds; each runs every program once (default 3)")
    parser.add_argument("--only", nargs="+", choices=list(PROGRAMS), metavar="NAME", help="these programs only")
    parser.add_argument("--busy", action="store_true", help="keep one core busy with a spinning Python throughout")
    args = parser.parse_args()
    if not os.environ.get("MNIST_DATA"):
        sys.exit("Set MNIST_DATA to the MNIST folder, e.g. MNIST_DATA=../shared/mnist python bench/speed.py")
    programs = args.only or list(PROGRAMS)
    results = {name: [] for name in programs}
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for round_number in range(args.runs):
                order = programs if round_number % 2 == 0 else programs[::-1]
                for name in order:
                    results[name].append(run_once(name, tmp))
                    wall = results[name][-1]["wall"]
                    print(f"round {round_number + 1}/{args.runs}: {name:<16} {wall:.2f} s", flush=True)
    finally:
        if spinner:
            spinner.kill()

    def median(name, column):
        values = [r[column] for r in results[name] if r[column] is not None]
        return statistics.median(values) if values else None

    print(
        f"\nMedians of {args.runs} runs on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        + (", one core kept busy" if args.busy else "")
    )
    print("| program | total s | fit s | peak RSS MiB | test accuracy |\n| --- | ---: | ---: | ---: | ---: |")
    for name in programs:
        cells = [median(name, c) for c in ("wall", "fit", "rss", "accuracy")]
        formatted = [f"{v:.2f}" if v is not None else "–" for v in cells[:2]] + [
            f"{cells[2]:.0f}",
            f"{cells[3]:.4f}" if cells[3] is not None else "–",
        ]
        print(f"| {name} | " + " | ".join(formatted) + " |")

    def paired(top, bottom, column):
        """Median of the ratios within each round: drifts of the machine between rounds cancel out."""
        return statistics.median(a[column] / b[column] for a, b in zip(results[top], results[bottom]))

    print("\n| ratio | of medians | median of rounds | target |\n| --- | ---: | ---: | ---: |")
    for label, top, bottom, column, limit in TARGETS:
        if top not in results or bottom not in results:
            continue
        ratio = median(top, column) / median(bottom, column)
        verdict = "–" if limit is None else f"≤ {limit:.2f} {'met' if ratio <= limit else 'NOT met'}"
        print(f"| {label} | {ratio:.2f} | {paired(top, bottom, column):.2f} | {verdict} |")


if __name__ == "__main__":
    main()
