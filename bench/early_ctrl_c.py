"""How early Ctrl-C is met with "Interrupted." rather than Python's own traceback.

    python bench/early_ctrl_c.py --data ../shared/mnist [--rounds 3]

Starts `python mnist.py` again and again and sends SIGINT 2, 5, 8 ... 59 ms after each start. Before
Python installs its own handler the process simply dies of the signal; after the script's first line
(`process.start`) it says "Interrupted." and exits 130; in between (Python's start-up, site's .pth
files, compiling the script, the first import) Python prints its KeyboardInterrupt traceback.
"""

import argparse
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the MNIST folder")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    seen = collections.defaultdict(collections.Counter)
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            for ms in range(2, 60, 3):
                command = [sys.executable, os.path.join(ROOT, "mnist.py"), "--data", args.data, "--save", "x.png"]
                process = subprocess.Popen(
                    command,
                    cwd=folder,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=dict(os.environ, MPLBACKEND="Agg"),
                )
                time.sleep(ms / 1000)
                process.send_signal(signal.SIGINT)
                stderr = process.communicate()[1]
                if "Traceback" in stderr or stderr.strip() == "KeyboardInterrupt":
                    seen[ms]["Python's traceback"] += 1
                elif "Interrupted." in stderr:
                    seen[ms]["Interrupted."] += 1
                else:
                    seen[ms][f"exit {process.returncode}, nothing said"] += 1
    for ms, outcomes in sorted(seen.items()):
        print(f"{ms:3d} ms: " + ", ".join(f"{what} {count}" for what, count in sorted(outcomes.items())))


if __name__ == "__main__":
    main()
