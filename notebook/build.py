"""Make mnist_learn.ipynb: mnist_learn.py's own cells, with the cells only a notebook has between them.

    python notebook/build.py            # write mnist_learn.ipynb (no outputs)
    python notebook/build.py --check    # exit 1 if the committed notebook is not what this makes

mnist_learn.py is a script in jupytext's percent format: each ``# %%`` line starts a cell, and the
lesson's cells carry a tag naming their step (``load``, ``reshape`` ... ``evaluate``). jupytext
reads it as a notebook. notebook/mnist_learn.md (jupytext's Markdown format) holds the notebook's
words and its own cells (the first fit that fails, the pictures); an empty code cell there marked
``lesson="load"`` stands for the lesson's cell of that tag. Cells tagged ``script-only`` (the
docstring, the flags, the offline data, saving) are the command line's and stay out. Every other
cell of the lesson must be placed exactly once, or the build stops.

A cell marked ``source="learning_curves_figure"`` gets, above its own lines, the source of those
definitions (functions and constants, by name) from the modules that find MNIST's files (Keras'
cache, the IDX names), draw the script's pictures and record its fit: the notebook shows the very
code the script runs, and imports nothing of the project, so it runs alone (Colab, Kaggle). Those
definitions may use only the standard library, NumPy, Matplotlib, Pillow and Keras, which the
notebook's cells import themselves.
"""

import argparse
import ast
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "notebook" / "mnist_learn.md"
LESSON = ROOT / "mnist_learn.py"
NOTEBOOK = ROOT / "mnist_learn.ipynb"
SCRIPT_ONLY = "script-only"
# Where the notebook's cells take their code from: the modules the script finds MNIST, draws and records with.
NOTEBOOK_MODULES = [
    ROOT / "mnist_helpers" / name for name in ("data.py", "plotting.py", "recording.py", "model.py", "post.py")
]


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


def definitions() -> dict:
    """Each top-level function, class and constant of NOTEBOOK_MODULES by name: its source lines, as written."""
    found = {}
    for module in NOTEBOOK_MODULES:
        text = module.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.parse(text).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                targets = [getattr(target, "elts", [target]) for target in node.targets]  # RED, BLUE = ...
                names = [name.id for names in targets for name in names if isinstance(name, ast.Name)]
            else:
                continue
            for name in names:
                if name in found:
                    raise ValueError(f"{name} is defined in two of the notebook's modules; the notebook takes one")
                found[name] = "\n".join(lines[node.lineno - 1 : node.end_lineno])
    return found


DEFINES = ("def ", "class ")


def with_sources(cell, sources: dict, defined: set) -> None:
    """Put the source of the definitions a cell names (``source="a b"``) above its own lines; ``defined``,
    the names the cells above have defined, grows by them. A definition that uses another of the
    modules' names that no cell defines stops the build (it would stop the notebook with a NameError)."""
    names = cell.metadata.pop("source", "").split()
    missing = [name for name in names if name not in sources]
    if missing:
        raise ValueError(f"{SOURCE.name} names {missing}, which no module of NOTEBOOK_MODULES defines")
    defined.update(names)
    used = set()
    for name in names:  # the names a definition reads that it does not set itself (its locals)
        nodes = [node for node in ast.walk(ast.parse(sources[name])) if isinstance(node, ast.Name)]
        used |= {n.id for n in nodes if isinstance(n.ctx, ast.Load)} - {
            n.id for n in nodes if isinstance(n.ctx, ast.Store)
        }
    undefined = sorted(name for name in used & set(sources) if name not in defined)
    if undefined:
        raise ValueError(f"{SOURCE.name}: the cell of {names} uses {undefined}; add them to its source= or one above")
    if names:
        shown = list(dict.fromkeys(sources[name] for name in names))  # RED and BLUE: their one line, once
        text = shown[0]
        for before, block in zip(shown, shown[1:]):  # constants one to a line, two blank lines around a def
            text += ("\n" if not before.startswith(DEFINES) and not block.startswith(DEFINES) else "\n\n\n") + block
        cell.source = text + "\n\n\n" + cell.source


def build() -> nbformat.NotebookNode:
    lesson = lesson_cells()
    notebook = jupytext.read(SOURCE, fmt="md")
    placed, sources, defined = [], definitions(), set()
    for cell in notebook.cells:
        with_sources(cell, sources, defined)
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
