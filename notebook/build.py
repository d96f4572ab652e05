"""Make mnist_learn.ipynb from notebook/mnist_learn.md and mnist_learn.py's own lines.

    python notebook/build.py            # write mnist_learn.ipynb (no outputs)
    python notebook/build.py --check    # exit 1 if the committed notebook is not what this makes

notebook/mnist_learn.md holds the notebook's words and the cells only a notebook has (the post's
print checks, the failing first fit, the pictures), in jupytext's Markdown format. A line
``# lesson: N`` in a code cell becomes step N of ``mnist_learn.train`` (the lines under its
``# N. ...`` comment; ``# lesson: validation`` the lines under ``# Validation data``), with the
command line's plumbing taken out: ``settings.epochs`` becomes ``EPOCHS``, the printing and checking
helpers and the flags' ``if settings...`` blocks go. ``# constants`` and ``# imports`` become the
script's constants and Keras imports. So the lesson's code is written once, in mnist_learn.py.
"""

import argparse
import re
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "notebook" / "mnist_learn.md"
LESSON = ROOT / "mnist_learn.py"
NOTEBOOK = ROOT / "mnist_learn.ipynb"
SEED_LINE = re.compile(r"^SEED = \d+")  # in mnist_helpers/cli.py, shared by the scripts
CONSTANT = re.compile(r"^(EPOCHS|BATCH_SIZE|HIDDEN_UNITS|STEPS_PER_EXECUTION) = |^# Speed:")
SETTINGS = {
    "settings.epochs": "EPOCHS",
    "settings.batch_size": "BATCH_SIZE",
    "settings.hidden_units": "HIDDEN_UNITS",
    "settings.seed": "SEED",
    "data or load_data(settings.data, log=log)": "load_data()",
}
PLUMBING = re.compile(
    r"^\s*(log = |log\(|lesson_cli\.|check_fit_inputs\(|return |verbose=settings\.verbose,)|^\S.*= lesson_cli\."
)


def lesson_steps(source: str) -> dict[str, str]:
    """The body of ``train`` cut at its comments that start a paragraph: {"1": "...", "validation": "..."}."""
    body = source[source.index("def train(") :].split("\n", 1)[1].splitlines()
    end = next(i for i, line in enumerate(body) if line and not line.startswith("    "))  # the next definition
    lines = [line[4:] for line in body[:end]]
    steps, key = {}, None
    for line in lines:
        heading = re.match(r"^# (\d+)\. |^# (Validation) data", line)
        if heading:
            key = (heading.group(1) or heading.group(2)).lower()
            steps[key] = []
        if key is not None:
            steps[key].append(line)
    return {key: notebook_lines("\n".join(lines).strip()) for key, lines in steps.items()}


def notebook_lines(code: str) -> str:
    """A step of the lesson as a notebook runs it: the constants for the flags, no plumbing."""
    for setting, constant in SETTINGS.items():
        code = code.replace(setting, constant)
    code = code.replace(", verbose=settings.verbose", "")
    kept, lines = [], code.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if re.match(r"^if settings\.", line):  # a flag's block: keep its else branch, if any
            i += 1
            while i < len(lines) and lines[i].startswith("    "):
                i += 1
            if i < len(lines) and lines[i] == "else:":
                i += 1
                while i < len(lines) and lines[i].startswith("    "):
                    kept.append(lines[i][4:])
                    i += 1
            continue
        if not PLUMBING.match(line):
            kept.append(line)
        i += 1
    code = "\n".join(kept).strip()
    if "settings" in code or "lesson_cli" in code:
        raise ValueError(f"a lesson line the notebook cannot run:\n{code}")
    return code


def constants_and_imports(source: str) -> tuple[str, str]:
    lines = source.splitlines()
    seed = next(line for line in (ROOT / "mnist_helpers" / "cli.py").read_text().splitlines() if SEED_LINE.match(line))
    constants = [line for line in lines if CONSTANT.match(line)]
    constants.insert(constants.index(next(line for line in constants if line.startswith("HIDDEN_UNITS"))) + 1, seed)
    imports = [line for line in lines if re.match(r"^(import keras|from keras)", line)]
    imports += [
        "",
        "try:  # in the project's folder: its loader (MNIST_DATA, then Keras' cache, then Keras' download)",
        "    from mnist_helpers.mnist_data import load_data",
        "except ModuleNotFoundError:  # the notebook on its own, as in Colab: Keras downloads MNIST",
        "    from keras.datasets.mnist import load_data",
    ]
    return "\n".join(constants), "\n".join(imports)


def build() -> nbformat.NotebookNode:
    source = LESSON.read_text()
    steps = lesson_steps(source)
    constants, imports = constants_and_imports(source)
    notebook = jupytext.reads(SOURCE.read_text(), fmt="md")
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        text = cell.source.strip()
        if text == "# constants":
            cell.source = constants
        elif text == "# imports":
            cell.source = imports
        else:  # each "# lesson: N" line becomes that step
            lines = cell.source.splitlines()
            cell.source = "\n\n".join(
                steps[line.removeprefix("# lesson: ")] if line.startswith("# lesson: ") else line for line in lines
            )
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # stable ids: the same source makes the same file
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
        print(f"{NOTEBOOK.name} is up to date.")
        return 0
    NOTEBOOK.write_text(made)
    print(f"Wrote {NOTEBOOK.name}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
