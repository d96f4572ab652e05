"""What `pip install -r requirements.txt` installs on each Python and platform a reader may have.

    python bench/platforms.py

pip cannot resolve for a Python it is not running on (its --python-version skips environment
markers), so this asks uv, which evaluates requirements.txt's markers for the target Python and
platform, and prints one row per cell: whether it resolves, and which Keras and backend it gets.
Only wheels count: a package that must be built from source (h5py without HDF5) fails on most
readers' machines. It needs the package index (uv is in requirements-dev.txt).
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
PLATFORMS = {  # uv's name: a reader's name
    "x86_64-unknown-linux-gnu": "Linux x86_64",
    "aarch64-unknown-linux-gnu": "Linux aarch64",
    "aarch64-apple-darwin": "macOS, Apple silicon",
    "x86_64-pc-windows-msvc": "Windows x86_64",
    "x86_64-apple-darwin": "macOS, Intel",
}
SHOWN = ("keras", "tensorflow", "jax", "numpy")


def resolve(python: str, platform: str) -> str:
    """One cell: 'keras 3.15.1, tensorflow 2.21.0, numpy 2.5.5', or why it does not resolve."""
    uv = shutil.which("uv") or sys.exit("uv is not installed: pip install -r requirements-dev.txt")
    command = [uv, "pip", "compile", "requirements.txt", "--python-version", python, "--python-platform", platform]
    command += ["--only-binary", ":all:", "--no-header", "--no-annotate", "-q"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        reason = [line.strip() for line in done.stderr.splitlines() if "hint:" in line or "cause:" in line]
        return "does not install: " + (reason[0] if reason else done.stderr.strip().splitlines()[-1])
    pins = dict(re.findall(r"^([\w-]+)==(\S+)$", done.stdout, re.M))
    return ", ".join(f"{name} {pins[name]}" for name in SHOWN if name in pins)


def main() -> None:
    print("| platform | Python | installs |\n| --- | --- | --- |")
    for platform, name in PLATFORMS.items():
        for python in PYTHONS:
            print(f"| {name} | {python} | {resolve(python, platform)} |", flush=True)


if __name__ == "__main__":
    main()
