"""mnist_learn.ipynb: mnist_learn.py's cells with the notebook's own (notebook/mnist_learn.md), run top to bottom."""

import base64
import io
import json
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image
from support import (
    ROOT,
    as_data,
    draw_digits,
    offline_env,
    progress_counts,
    train_here,
    uncoloured,
    write_idx_folder,
)

sys.path.insert(0, str(ROOT / "notebook"))
import build  # noqa: E402  (notebook/build.py)

from mnist_helpers import recording  # noqa: E402
from mnist_helpers.lesson import constants  # noqa: E402


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


def red_lines(notebook):
    """Each line a cell printed to standard error, with the words of the nearest Markdown cell above it."""
    words = ""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            words = " ".join(cell.source.split())
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr":
                yield from ((line, words) for line in output["text"].splitlines() if line.strip())


def run_cells(client, notebook, stop_at_error=False):
    """Run a notebook's cells in the client's kernel, top to bottom (Run All stops at the first error)."""
    client.nb = notebook
    for index, cell in enumerate(notebook.cells):
        client.execute_cell(cell, index)
        if stop_at_error and any(output.output_type == "error" for output in cell.get("outputs", [])):
            break


def run_alone(tmp_path, arrays, monkeypatch):
    """The committed notebook copied alone into an empty folder, in a kernel that cannot import the project,
    with no internet, as a reader without internet meets it, three times in one kernel. First with nothing in
    Keras' cache: run top to bottom it stops at the load cell. Then the reader names a folder of the four IDX
    files in MNIST_FOLDER and runs that cell, the cell after it and the load cell again. Then, with the folder
    unnamed again, a mnist.npz the reader made (np.savez_compressed) sits in Keras' cache and the whole
    notebook runs from the top, with one cell more at its end, which says whether the kernel could have
    imported mnist_helpers. (the first run, the folder's load cell, the last run, the home-made file's
    bytes before and after.)"""
    import nbclient

    folder = tmp_path / "alone"
    folder.mkdir()
    (folder / "mnist_learn.ipynb").write_bytes((ROOT / "mnist_learn.ipynb").read_bytes())
    first, again = (nbformat.read(folder / "mnist_learn.ipynb", as_version=4) for _ in range(2))
    again.cells.append(
        nbformat.v4.new_code_cell('print("sees the project:", importlib.util.find_spec("mnist_helpers") is not None)')
    )
    cell_of = {cell.source.split(" = ", 1)[0]: cell.source for cell in first.cells if cell.cell_type == "code"}
    named = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                cell_of["MNIST_FOLDER"].replace('""', repr(str(write_idx_folder(tmp_path / "idx", arrays))), 1)
            ),
            *(nbformat.v4.new_code_cell(cell.source) for cell in first.cells if "offline_mnist(" in cell.source),
            *(nbformat.v4.new_code_cell(cell.source) for cell in first.cells if "mnist.load_data()" in cell.source),
        ]
    )
    env = offline_env(tmp_path)  # no internet, an empty Keras cache
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # As in Jupyter: no project path, pictures inline, and what the kernel's libraries write to its standard
    # error shown in the cells (ipykernel does not show it under pytest, which it knows by this variable).
    for name in ("PYTHONPATH", "MPLBACKEND", "TF_CPP_MIN_LOG_LEVEL", "PYTEST_CURRENT_TEST"):
        monkeypatch.delenv(name, raising=False)
    client = nbclient.NotebookClient(
        first, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.allow_errors = True  # the test reads every error itself
    home_made = Path(env["KERAS_HOME"]) / "datasets" / "mnist.npz"
    with client.setup_kernel():
        run_cells(client, first, stop_at_error=True)
        run_cells(client, named)
        home_made.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(home_made, **arrays)
        made = home_made.read_bytes()
        run_cells(client, again)
    assert sorted(path.name for path in folder.iterdir()) == ["mnist_learn.ipynb"]  # nothing written beside it
    return first, named.cells[-1], again, (made, home_made.read_bytes() if home_made.exists() else None)


def test_offline_it_stops_at_the_load_cell_then_reads_your_files_and_prints_the_scripts_figures(
    digits, tmp_path, monkeypatch
):
    """Copied alone into an empty folder, in a kernel that cannot import mnist_helpers: without internet
    and MNIST, the first error is the load cell's, Keras' own (no ImportError anywhere), and the words
    above that cell say what to do. A folder of the four IDX files named in MNIST_FOLDER loads. A mnist.npz
    the reader made, in Keras' cache (Keras would download over it, and delete it when that fails), is read
    and left byte for byte as it was; with it the notebook runs top to bottom, fails only where it means
    to, and prints what mnist_learn.py prints on the same digits, run in this process with its defaults;
    its pictures and its animation are drawn inline."""
    x_train, y_train = draw_digits(NOTEBOOK_TRAIN_COUNT, seed=1)
    arrays = dict(digits, x_train=x_train, y_train=y_train)
    first, named, notebook, (made, after) = run_alone(tmp_path, arrays, monkeypatch)
    # Offline: the load cell's error, Keras' own.
    load = next(i for i, cell in enumerate(first.cells) if "mnist.load_data()" in cell.source)
    errors = [
        (i, output)
        for i, cell in enumerate(first.cells)
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert [i for i, _ in errors] == [load], errors
    assert "mnist.npz" in errors[0][1]["evalue"]  # Keras' get_file names what it could not fetch
    shown = uncoloured("\n".join(errors[0][1]["traceback"])).strip()
    assert shown == f"{errors[0][1]['ename']}: {errors[0][1]['evalue']}" and "\n" not in shown, shown  # no traceback
    assert "ImportError" not in errors[0][1]["ename"] and "ModuleNotFoundError" not in errors[0][1]["ename"]
    words = " ".join(" ".join(cell.source.split()) for cell in first.cells[:load] if cell.cell_type == "markdown")
    assert "name the folder that holds your copy in `MNIST_FOLDER`" in words and "`mnist.npz`" in words
    assert "`train-images-idx3-ubyte.gz`" in words
    # The folder named in MNIST_FOLDER: the four IDX files, loaded.
    assert [output.output_type for output in named.outputs] == ["stream"], named.outputs
    assert named.outputs[0]["text"].startswith("MNIST from ") and "\n(640, 28, 28)\n" in named.outputs[0]["text"]
    # The reader's own mnist.npz in Keras' cache: read, and left as it was.
    assert after == made, "the notebook changed or deleted the reader's mnist.npz"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [
        (cell.source, output.get("ename")) for cell in code for output in cell.outputs if output.output_type == "error"
    ]
    assert [name for _, name in errors] == ["ValueError"] and "first_try.fit(" in errors[0][0]
    printed = "".join(output.get("text", "") for cell in code for output in cell.outputs)
    assert "MNIST from " in printed and "keras" in printed.split("MNIST from ", 1)[1].split("\n", 1)[0]
    assert printed.endswith("sees the project: False\n")
    # The words before the failing cell quote the line of the error that says what is wrong.
    failing = next(i for i, cell in enumerate(notebook.cells) if "raises-exception" in cell.metadata.get("tags", []))
    quoted = re.search(r"`(Expected shape[^`]*)`", " ".join(notebook.cells[failing - 1].source.split())).group(1)
    error = next(output for output in notebook.cells[failing].outputs if output.output_type == "error")
    assert quoted in uncoloured(error["evalue"]), error["evalue"]
    shown = uncoloured("\n".join(error["traceback"]))
    assert "Traceback" not in shown and "File " not in shown and quoted in shown  # Keras' report, no library lines
    # Every line in red (the kernel's standard error) is named, in backquotes, by the words just above its cell.
    for run in (first, nbformat.v4.new_notebook(cells=[named]), notebook):
        for line, words in red_lines(run):
            assert any(named in line for named in re.findall(r"`([^`]+)`", words)), (line, words)
    assert all(done <= total for done, total in progress_counts(printed))
    lesson = train_here("--quiet", data=as_data(arrays))
    assert f"test accuracy: {lesson.test_accuracy}\n" in printed  # as the script computed it, in this session
    assert "float32 0.0 1.0\n" in printed  # after the normalize lines
    assert "What is x_train's shape after the reshape line?\nPut your answer" in printed  # its check cells ask
    outputs = [output for cell in code for output in cell.outputs]
    assert len([output for output in outputs if "image/png" in output.get("data", {})]) == 4
    animations = [output for output in outputs if "image/gif" in output.get("data", {})]
    assert len(animations) == 1  # the hidden units forming, inline
    frames = Image.open(io.BytesIO(base64.b64decode(animations[0]["data"]["image/gif"])))
    lesson = constants()
    per_epoch = -(-NOTEBOOK_TRAIN_COUNT // lesson["BATCH_SIZE"])
    assert frames.n_frames == len(recording.moments(per_epoch, lesson["EPOCHS"]))


def test_its_picture_cells_are_the_scripts_drawing_code():
    """The picture and recording cells hold the functions the script draws and records with, as written."""
    import inspect

    from mnist_helpers import plotting

    code = "\n".join(cell.source for cell in build.build().cells if cell.cell_type == "code")
    for function in (
        plotting.confusion_figure,
        plotting.hidden_units_figure,
        recording.record_fit,
        recording.animation,
    ):
        assert inspect.getsource(function) in code
    assert "mnist_helpers" not in code and "import mnist_helpers" not in code
