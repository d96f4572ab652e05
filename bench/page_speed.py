"""How long the drawing page takes: one update (prepare the drawing, run the network, redraw), one
teaching step (forward, loss, backward, update, the sample's accuracy, redraw), and how much it weighs.

    python bench/page_speed.py [--runs 5]

Opens web/index.html in Debian's chromium (Playwright drives it, as the tests do), draws a 0 with
the mouse, then times 50 updates and 20 teaching steps in the page, several rounds; prints each
round's medians and the median of those. The targets: an update within one frame at 60 Hz (16 ms),
a teaching step within 50 ms, the page with its weights and sample at most 600 KB, and with its
recording (the replay) at most 1.6 MB.
"""

import argparse
import shutil
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the project, and the tests' page driver (tests/support.py)
from support import ARGS, ZERO, Page  # noqa: E402  (the tests' browser flags, drawing and page driver)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds of 50 updates (default 5)")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or sys.exit("no chromium on PATH: apt-get install chromium")
    medians, teaching = [], []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=ARGS)
        for round_number in range(args.runs):
            page = Page(browser, ROOT / "web")
            page.draw(ZERO)
            times = page.page.evaluate(
                "() => Array.from({length: 50}, () => { window.mnistPage.update(); "
                "return window.mnistPage.state.lastUpdateMs; })"
            )
            medians.append(statistics.median(times))
            page.page.wait_for_function("() => window.mnistPage.state.sampleRight !== null")
            steps = page.page.evaluate(
                "() => { window.mnistPage.state.label = 6; return Array.from({length: 20}, () => {"
                " window.mnistPage.teach(); return window.mnistPage.state.lastTeachMs; }); }"
            )
            teaching.append(statistics.median(steps))
            print(
                f"round {round_number + 1}: update median {medians[-1]:.1f} ms (slowest {max(times):.1f} of 50), "
                f"teaching step median {teaching[-1]:.1f} ms (slowest {max(steps):.1f} of 20)"
            )
            page.page.close()
        browser.close()
    sizes = {path.name: path.stat().st_size for path in (ROOT / "web").iterdir()}
    whole = sum(sizes.values())
    for what, figures, target in (("one update", medians, 16), ("one teaching step", teaching, 50)):
        verdict = "met" if statistics.median(figures) <= target else "NOT met"
        print(
            f"{what}: median of {args.runs} rounds {statistics.median(figures):.1f} ms (target {target} ms: {verdict})"
        )
    for what, size, target in (
        ("the page with its weights and sample", whole - sizes.get("recording.js", 0), 600_000),
        ("the page with its recording too", whole, 1_600_000),
    ):
        print(f"{what}: {size / 1000:.0f} KB (target {target // 1000} KB: {'met' if size <= target else 'NOT met'})")


if __name__ == "__main__":
    main()
