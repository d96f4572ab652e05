"""The README's two set-up commands are the contract; CI must run exactly the test one."""

from conftest import ROOT

TEST_COMMAND = "pip install -r requirements-dev.txt && ruff check . && ruff format --check . && python -m pytest"
RUN_COMMAND = "pip install -r requirements.txt && python mnist_learn.py"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert RUN_COMMAND in readme and TEST_COMMAND in readme
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert TEST_COMMAND in ci_lines
