"""Make mnist_learn.ipynb: mnist_learn.py's own cells, with the cells only a notebook has between them.

    python notebook/build.py            # write mnist_learn.ipynb (no outputs)
    python notebook/build.py --check    # exit 1 if the committed notebook is not what this makes

mnist_learn.py is a script in jupytext's percent format: each ``# %%`` line starts a cell, and the
lesson's cells carry a tag naming their step (``load``, ``reshape`` ... ``evaluate``). jupytext
reads it as a notebook. notebook/mnist_learn.md (jupytext's Markdown format) holds the notebook's
words and its own cells (the post's print checks, the first fit that fails, the pictures); an empty
code cell there marked ``lesson="load"`` stands for the lesson's cell of that tag. Cells tagged
``script-only`` (the docstring, the flags, saving) are the command line's and stay out. Every
other cell of the lesson must be placed exactly once, or the build stops.
"""

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "notebook" / "mnist_learn.md"
LESSON = ROOT / "mnist_learn.py"
NOTEBOOK = ROOT / "mnist_learn.ipynb"
SCRIPT_ONLY = "script-only"


def lesson_cells() -> dict:
    """The lesson's cells a notebook runs, by their tag, in the file's order."""
    cells = {}
    for cell in jupytext.read(LESSON, fmt="py:percent").cells:
        tags = cell.metadata.get("tags", [])
        if SCRIPT_ONLY in tags:
            continue
        if len(tags) != 1:
            raise ValueError(f"a cell of {LESSON.name} needs one tag naming its step:\n{cell.source}")
        cells[tags[0]] = cell.source
    return cells


def build() -> nbformat.NotebookNode:
    lesson = lesson_cells()
    notebook = jupytext.read(SOURCE, fmt="md")
    placed = []
    for cell in notebook.cells:
        name = cell.metadata.pop("lesson", None)
        if name is not None:
            cell.source = lesson[name]
            placed.append(name)
    if sorted(placed) != sorted(lesson):
        raise ValueError(
            f"{SOURCE.name} must place each lesson cell once: places {placed}, the lesson has {list(lesson)}"
        )
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # stable ids: the same sources make the same file
    return notebook


def render(notebook) -> str:
    return nbformat.writes(notebook, version=4) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether mnist_learn.ipynb is up to date")
    args = parser.parse_args(argv)
    made = render(build())
    if args.check:
        if not NOTEBOOK.exists() or NOTEBOOK.read_text() != made:
            print(f"{NOTEBOOK.name} is not what notebook/build.py makes; run python notebook/build.py", file=sys.stderr)
            return 1
        return 0
    NOTEBOOK.write_text(made)
    print(f"Wrote {NOTEBOOK.name}: {len(made):,} bytes.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
