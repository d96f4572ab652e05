"""Checks of what the README and docs/ say, against what holds on a reader's machine."""

import re

from conftest import ROOT


FIGURE = re.compile(r"\b0\.9\d{3}\b|\b9\d\.\d{1,2} ?%")  # a test accuracy, as a run prints it or in percent
ELSEWHERE = re.compile(r"another (CPU|machine)|other machines?\b|other last digits", re.I)


def test_every_figure_quoted_says_another_machine_prints_others():
    """A figure in the README or docs/ is one machine's: the paragraph quoting it, or one beside it (the
    words above a table), says so, as the README does for the default run (issue 41)."""
    unsaid = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        paragraphs = re.split(r"\n\s*\n", page.read_text())
        for k, paragraph in enumerate(paragraphs):
            near = paragraphs[max(0, k - 1) : k + 2]
            if FIGURE.search(paragraph) and not any(ELSEWHERE.search(text) for text in near):
                unsaid.append(f"{page.name}: {FIGURE.search(paragraph)[0]} in {paragraph[:80]!r}")
    assert not unsaid, "\n".join(unsaid)
