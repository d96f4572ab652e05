"""Make every picture and table the README and docs/ show, and the page's shipped weights, from the code as it is.

    MNIST_DATA=/path/to/mnist python docs/make_pictures.py             # all (about 4 minutes on 2 cores)
    MNIST_DATA=/path/to/mnist python docs/make_pictures.py run page    # some

run          python mnist_learn.py --plots docs: the four pictures of the default run
runs         docs/runs.png and the comparison in docs/runs.md: the post's suggestions run one after
             another (the default, 2 epochs of batch 10, 512 and 784 hidden units), as a reader's runs.csv
recording    python record.py: docs/training.gif, the default run's hidden units forming; the
             recording, its final weights and 500 test digits go into the page (export_web.py
             --recording --sample: web/recording.js, weights.js, sample.js), so it ships the default run
predict      docs/predict_seen.png: predict.py --show on an MNIST test digit rendered as a scan
page         docs/web_page.png: web/index.html in headless Chromium with a 7 drawn on it
experiments  python experiments.py: docs/experiment_*.png and the results table of docs/experiments.md
handwriting  the quality table of docs/handwriting.md (bench/handwriting.py)

The tables go into those pages between their <!-- ... --> markers. Needs the test requirements
(Playwright) and Debian's chromium for the page.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from support import ABOUT  # noqa: E402  (what the shipped page says of its weights, which a test checks)


def python(*args, cwd=ROOT):
    print("$ python", " ".join(map(str, args)), flush=True)
    subprocess.run([sys.executable, *map(str, args)], check=True, cwd=cwd, env=dict(os.environ, MPLBACKEND="Agg"))


def replace_in_page(page: Path, name: str, text: str) -> None:
    """Put ``text`` between <!-- NAME --> and <!-- end NAME --> in ``page`` (a Markdown file)."""
    pattern = re.compile(rf"(<!-- {name}: .*?-->\n).*?(<!-- end {name} -->)", re.S)
    old = page.read_text()
    if not pattern.search(old):
        raise SystemExit(f"{page.name} has no <!-- {name}: ... --> marker")
    page.write_text(pattern.sub(lambda m: m.group(1) + text.strip() + "\n" + m.group(2), old))


def run(scratch: Path) -> None:
    model = scratch / "mnist_model.keras"
    python("mnist_learn.py", "--plots", DOCS, "--save-model", model, "--quiet", "--no-runs")


RUNS = [  # the post's own suggestions, one after another, as a reader runs them
    [],
    ["--epochs", "2", "--batch-size", "10"],
    ["--hidden-units", "512"],
    ["--hidden-units", "784"],
]


def runs(scratch: Path) -> None:
    table = scratch / "runs.csv"
    for flags in RUNS[:-1]:
        python(ROOT / "mnist_learn.py", *flags, "--runs", table, "--no-plots", "--quiet", cwd=scratch)
    said = subprocess.run(
        [sys.executable, ROOT / "mnist_learn.py", *RUNS[-1], "--runs", table, "--no-plots"],
        check=True,
        cwd=scratch,
        capture_output=True,
        text=True,
        env=dict(os.environ, MPLBACKEND="Agg"),
    ).stdout
    comparison = said[said.index("Your runs (") :].replace(str(table), "runs.csv")
    replace_in_page(DOCS / "runs.md", "runs comparison", f"```\n{comparison}```")
    python("experiments.py", "--mine", "--runs", table, "--plots", DOCS)


def recording(scratch: Path) -> None:
    out = scratch / "recording.npz"
    python("record.py", "--quiet", "--no-plots", "--out", out, "--gif", DOCS / "training.gif")
    python("export_web.py", "--recording", out, "--sample", "--about", ABOUT)


def predict(scratch: Path) -> None:
    import numpy as np
    from support import scan

    from mnist_helpers.flags import silent
    from mnist_helpers.data import load_data

    model = scratch / "mnist_model.keras"
    if not model.exists():
        python("mnist_learn.py", "--no-plots", "--save-model", model, "--quiet", "--no-runs")
    _, (x_test, _) = load_data(log=silent)
    scan(x_test[0], np.random.default_rng(7)).save(scratch / "digit.jpg", quality=90)
    python("predict.py", scratch / "digit.jpg", "--model", model, "--out", scratch)
    shutil.copy(scratch / "digit.png", DOCS / "predict_seen.png")


def page(scratch: Path) -> None:
    from playwright.sync_api import sync_playwright
    from support import ARGS, CHROMIUM, SEVEN, Page

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        shown = Page(browser, ROOT / "web", width=1100)
        shown.draw(SEVEN)
        shown.page.screenshot(path=str(DOCS / "web_page.png"), full_page=True)
        browser.close()
    print(f"Wrote {DOCS / 'web_page.png'}")


def experiments(scratch: Path) -> None:
    out = scratch / "experiments"
    python("experiments.py", "--quiet", "--out", out)
    for name in ("normalize", "hidden"):
        shutil.copy(out / f"{name}.png", DOCS / f"experiment_{name}.png")
    replace_in_page(DOCS / "experiments.md", "experiments table", (out / "results.md").read_text())


def handwriting(scratch: Path) -> None:
    python("bench/handwriting.py", "--out", scratch / "handwriting.md")
    replace_in_page(DOCS / "handwriting.md", "handwriting table", (scratch / "handwriting.md").read_text())


PARTS = {
    "run": run,
    "runs": runs,
    "recording": recording,
    "predict": predict,
    "page": page,
    "experiments": experiments,
    "handwriting": handwriting,
}


def main():
    names = sys.argv[1:] or list(PARTS)
    unknown = [name for name in names if name not in PARTS]
    if unknown or not os.environ.get("MNIST_DATA"):
        raise SystemExit(__doc__)
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            PARTS[name](Path(scratch))


if __name__ == "__main__":
    main()
