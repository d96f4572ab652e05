"""How long one update of the drawing page takes: prepare the drawing, run the network, redraw.

    python bench/page_speed.py [--runs 5]

Opens web/index.html in Debian's chromium (Playwright drives it, as the tests do), draws a 0 with
the mouse, then times 50 updates in the page, several rounds; prints each round's median and the
median of those. The target is one frame at 60 Hz: 16 ms.
"""

import argparse
import shutil
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the project, and the tests' page driver
from test_web import ARGS, ZERO, Page  # noqa: E402  (the tests' browser flags, drawing and page driver)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds of 50 updates (default 5)")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or sys.exit("no chromium on PATH: apt-get install chromium")
    medians = []
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
            print(f"round {round_number + 1}: median {medians[-1]:.1f} ms, slowest {max(times):.1f} ms of 50")
            page.page.close()
        browser.close()
    verdict = "met" if statistics.median(medians) <= 16 else "NOT met"
    print(f"one update: median of {args.runs} rounds {statistics.median(medians):.1f} ms (target 16 ms: {verdict})")


if __name__ == "__main__":
    main()
