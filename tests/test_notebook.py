"""mnist_learn.ipynb: generated from notebook/mnist_learn.md and mnist_learn.py, and run top to bottom."""

import json
import re
import sys

import pytest
from conftest import MNIST_DATA, ROOT, needs_mnist

sys.path.insert(0, str(ROOT / "notebook"))
import build  # noqa: E402  (notebook/build.py)


def test_the_committed_notebook_is_what_the_sources_make():
    committed = (ROOT / "mnist_learn.ipynb").read_text()
    assert committed == build.render(build.build()), "run python notebook/build.py and commit mnist_learn.ipynb"


def test_the_committed_notebook_has_no_outputs_and_no_paths():
    notebook = json.loads((ROOT / "mnist_learn.ipynb").read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    text = json.dumps(notebook)
    assert str(ROOT) not in text and "/home/" not in text and "/tmp/" not in text


def test_its_cells_are_the_lessons_lines():
    """Every line of mnist_learn.train that a notebook can run stands in a cell, in the lesson's order."""
    steps = build.lesson_steps((ROOT / "mnist_learn.py").read_text())
    cells = [cell.source for cell in build.build().cells if cell.cell_type == "code"]
    for key, code in steps.items():
        assert code in cells, key
    assert 'x_train = x_train.astype("float32") / 255' in steps["4"]
    assert "epochs=EPOCHS" in steps["7"] and "settings" not in "".join(steps.values())


def test_a_lesson_line_the_notebook_cannot_run_stops_the_build():
    with pytest.raises(ValueError, match="a lesson line the notebook cannot run"):
        build.notebook_lines("model.fit(x_train, y_train, epochs=settings.new_flag)")


@needs_mnist
def test_it_runs_offline_and_prints_the_scripts_figures(default_run, monkeypatch):
    import nbclient

    notebook = build.build()
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    monkeypatch.setenv("MNIST_DATA", MNIST_DATA)  # the kernel inherits this process's environment
    monkeypatch.delenv("MPLBACKEND", raising=False)  # as in Jupyter: pictures inline
    client.execute()
    errors = [
        (cell.source, output.get("ename"))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert [(source.split("(")[0], name) for source, name in errors] == [("model.fit", "ValueError")]
    assert errors[0][0] == "model.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE)"
    printed = "".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )
    lesson, _ = default_run
    assert f"test loss: {lesson.test_loss:.4f}\ntest accuracy: {lesson.test_accuracy:.4f}" in printed
    assert re.search(r"\(60000, 784\) float32 0\.0 1\.0", printed)
    pictures = [
        output for cell in notebook.cells for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
    ]
    assert len(pictures) == 4
