"""How long mnist_helpers/ is, and how long its code alone would be: issue 42's line budget measured.

    python bench/helper_lines.py                      # the working tree
    python bench/helper_lines.py d9c2665 HEAD         # git revisions, side by side

For each: the lines of its modules as ``wc -l`` counts them, how many modules, and the floor: the same
modules with every docstring and comment taken out (a function left with no body gets ``...``), then
formatted by the project's formatter (``ruff format``, pyproject.toml's line length), as the test command
requires. No shortening of the words can bring the helpers below their floor; only removing code can.
"""

import argparse
import ast
import io
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def modules(revision: str | None) -> dict[str, str]:
    """{path: source} of the helpers' .py files, in the working tree or at a git revision."""
    if revision is None:
        return {
            str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
            for path in (ROOT / "mnist_helpers").rglob("*.py")
        }
    names = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", revision, "mnist_helpers"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {
        name: subprocess.run(
            ["git", "show", f"{revision}:{name}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        for name in names
        if name.endswith(".py")
    }


def without_prose(source: str) -> str:
    """``source`` with its docstrings and comments (but ``noqa`` ones, which the linter needs) taken out."""
    docstrings, only = set(), {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
                if len(node.body) == 1:
                    only[first.lineno] = " " * first.col_offset + "..."
    comments = {
        token.start[0]: token.start[1]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and "noqa" not in token.string
    }
    kept = []
    for number, line in enumerate(source.splitlines(), 1):
        if number in only:
            kept.append(only[number])
        elif number not in docstrings:
            line = line[: comments[number]].rstrip() if number in comments else line
            if line.strip() or number not in comments:
                kept.append(line)
    return "\n".join(kept) + "\n"


def measure(revision: str | None) -> tuple[int, int, int]:
    """(lines, modules, the floor's lines) of the helpers at ``revision``."""
    sources = modules(revision)
    with tempfile.TemporaryDirectory() as folder:
        for name, source in sources.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(without_prose(source), encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "ruff", "format", "--quiet", "--config", str(ROOT / "pyproject.toml"), folder],
            check=True,
        )
        floor = sum(len(path.read_text(encoding="utf-8").splitlines()) for path in Path(folder).rglob("*.py"))
    lines = sum(len(source.splitlines()) for source in sources.values())
    counted = [name for name in sources if not name.endswith("__init__.py")]
    return lines, len(counted), floor


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="*", help="git revisions (default: the working tree)")
    args = parser.parse_args(argv)
    print(f"{'revision':<12} {'lines':>6} {'modules':>8} {'floor':>6}")
    for revision in args.revisions or [None]:
        lines, count, floor = measure(revision)
        print(f"{revision or 'working tree':<12} {lines:>6,} {count:>8} {floor:>6,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
