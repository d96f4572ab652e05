"""mnist_learn.ipynb: mnist_learn.py's cells with the notebook's own (notebook/mnist_learn.md), run top to bottom."""

import base64
import io
import json
import re
import sys

import pytest
from PIL import Image
from conftest import ROOT, as_data, draw_digits, progress_counts, train_here, write_idx_folder

sys.path.insert(0, str(ROOT / "notebook"))
import build  # noqa: E402  (notebook/build.py)

from mnist_helpers import recording  # noqa: E402
from mnist_helpers.lesson_run import constants  # noqa: E402


def test_the_committed_notebook_is_what_the_sources_make():
    committed = (ROOT / "mnist_learn.ipynb").read_text()
    assert committed == build.render(build.build()), "run python notebook/build.py and commit mnist_learn.ipynb"


def test_the_committed_notebook_has_no_outputs_and_no_paths():
    notebook = json.loads((ROOT / "mnist_learn.ipynb").read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    text = json.dumps(notebook)
    assert str(ROOT) not in text and "/home/" not in text and "/tmp/" not in text


def test_its_cells_are_the_lessons_cells_in_order_and_nothing_else_of_the_script():
    lesson = build.lesson_cells()
    cells = [cell.source for cell in build.build().cells if cell.cell_type == "code"]
    where = [cells.index(code) for code in lesson.values()]
    assert where == sorted(where)  # the script's order
    code = "\n".join(cells)
    assert 'x_train = x_train.astype("float32") / 255' in code and "epochs=EPOCHS" in code
    assert "override(" not in code and "save_outputs(" not in code  # the command line's cells stay out
    comments = [line.split("#", 1)[1] for line in code.splitlines() if "#" in line]
    assert not [comment for comment in comments if "--" in comment], "a comment names a flag the notebook lacks"
    steps = [int(line[2]) for line in code.splitlines() if line[:2] == "# " and line[2:4].rstrip(".").isdigit()]
    assert steps == sorted(steps) == list(range(1, 9))
    for cell in cells:  # single-spaced, as written
        lines = cell.splitlines()
        assert len(lines) < 3 or any(lines[i] and lines[i + 1] for i in range(len(lines) - 1)), cell


def test_a_lesson_cell_left_out_stops_the_build(tmp_path, monkeypatch):
    source = build.SOURCE.read_text().replace('```python lesson="fit"\n```\n', "")
    (tmp_path / "mnist_learn.md").write_text(source)
    monkeypatch.setattr(build, "SOURCE", tmp_path / "mnist_learn.md")
    with pytest.raises(ValueError, match="must place each lesson cell once"):
        build.build()


NOTEBOOK_TRAIN_COUNT = 640  # 20 batches of 32, as MNIST's 60,000 are 1,875: Keras then names the batch in its error


def test_it_runs_offline_and_prints_the_scripts_figures(digits, tmp_path, monkeypatch):
    """The notebook on synthetic digits (a folder as MNIST ships it) prints what mnist_learn.py prints on
    the same digits, run in this process with its defaults."""
    import nbclient

    notebook = build.build()
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    x_train, y_train = draw_digits(NOTEBOOK_TRAIN_COUNT, seed=1)
    arrays = dict(digits, x_train=x_train, y_train=y_train)
    monkeypatch.setenv(
        "MNIST_DATA", str(write_idx_folder(tmp_path, arrays))
    )  # the kernel inherits this process's environment
    monkeypatch.delenv("MPLBACKEND", raising=False)  # as in Jupyter: pictures inline
    client.execute()
    errors = [
        (cell.source, output.get("ename"))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert [name for _, name in errors] == ["ValueError"] and "first_try.fit(" in errors[0][0]
    # The words before the failing cell quote the line of the error that says what is wrong.
    failing = next(i for i, cell in enumerate(notebook.cells) if "raises-exception" in cell.metadata.get("tags", []))
    quoted = re.search(r"`(Expected shape[^`]*)`", " ".join(notebook.cells[failing - 1].source.split())).group(1)
    error = next(output for output in notebook.cells[failing].outputs if output.output_type == "error")
    assert quoted in re.sub(r"\x1b\[[0-9;]*m", "", error["evalue"]), error["evalue"]
    streams = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert [output["text"] for output in streams if output.get("name") == "stderr"] == []  # no start-up noise
    printed = "".join(output.get("text", "") for output in streams)
    assert all(done <= total for done, total in progress_counts(printed))
    lesson = train_here("--quiet", data=as_data(arrays))
    assert f"test loss: {lesson.test_loss:.4f}\ntest accuracy: {lesson.test_accuracy:.4f}" in printed
    assert re.search(
        rf"x_train\s+2\s+\({NOTEBOOK_TRAIN_COUNT}, 784\)\s+float32\s+0 to 1", printed
    )  # after the normalize lines
    pictures = [
        output for cell in notebook.cells for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
    ]
    assert len(pictures) == 4
    animations = [
        output for cell in notebook.cells for output in cell.get("outputs", []) if "image/gif" in output.get("data", {})
    ]
    assert len(animations) == 1  # the hidden units forming, inline
    frames = Image.open(io.BytesIO(base64.b64decode(animations[0]["data"]["image/gif"])))
    lesson = constants()
    per_epoch = -(-NOTEBOOK_TRAIN_COUNT // lesson["BATCH_SIZE"])
    assert frames.n_frames == len(recording.moments(per_epoch, lesson["EPOCHS"]))
