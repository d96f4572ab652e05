"""mnist_learn.ipynb: mnist_learn.py's cells with the notebook's own (notebook/mnist_learn.md), run top to bottom."""

import base64
import io
import json
import re
import sys

import pytest
from PIL import Image
from conftest import ROOT, as_data, draw_digits, offline_env, progress_counts, train_here, write_idx_folder

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

# The test double for Keras' download (no internet in CI): an IPython start-up file in the kernel that,
# once the notebook has imported Keras, makes keras.datasets.mnist.load_data read the four gzipped IDX
# files in MNIST_DATA. It cannot see the project either: it reads the files itself.
OFFLINE_MNIST = """
import gzip, os, sys
import numpy as np

def _idx(name, offset):
    with gzip.open(os.path.join(os.environ["MNIST_DATA"], name + ".gz")) as file:
        return np.frombuffer(file.read(), dtype=np.uint8, offset=offset)

def _load_data(path="mnist.npz"):
    x_train, x_test = (_idx(name, 16).reshape(-1, 28, 28) for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"))
    return (x_train, _idx("train-labels-idx1-ubyte", 8)), (x_test, _idx("t10k-labels-idx1-ubyte", 8))

def _stand_in(*_):
    if "keras.datasets.mnist" in sys.modules:
        sys.modules["keras.datasets.mnist"].load_data = _load_data

get_ipython().events.register("pre_run_cell", _stand_in)
"""
EXPLAINED_STARTUP_LINES = (
    "oneDNN custom operations are on",
    "Could not find cuda drivers",
    "All log messages before absl",
)


def run_alone(tmp_path, arrays, monkeypatch, cells=None):
    """The committed notebook copied alone into an empty folder and run top to bottom in a kernel that
    cannot import the project, its data given through the stand-in for Keras' download; then one cell
    more, which says whether the kernel could have imported mnist_helpers."""
    import nbclient
    import nbformat

    folder = tmp_path / "alone"
    folder.mkdir()
    (folder / "mnist_learn.ipynb").write_bytes((ROOT / "mnist_learn.ipynb").read_bytes())
    notebook = nbformat.read(folder / "mnist_learn.ipynb", as_version=4)
    notebook.cells = notebook.cells[:cells]
    notebook.cells.append(
        nbformat.v4.new_code_cell('print("sees the project:", importlib.util.find_spec("mnist_helpers") is not None)')
    )
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    if arrays is not None:
        (startup / "00-offline-mnist.py").write_text(OFFLINE_MNIST)
        monkeypatch.setenv("MNIST_DATA", str(write_idx_folder(tmp_path / "mnist", arrays)))
    for name in ("PYTHONPATH", "MPLBACKEND", "TF_CPP_MIN_LOG_LEVEL"):  # as in Jupyter: no project path, pictures inline
        monkeypatch.delenv(name, raising=False)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.allow_errors = cells is not None
    client.execute()
    assert sorted(path.name for path in folder.iterdir()) == ["mnist_learn.ipynb"]  # nothing written beside it
    return notebook


def test_it_runs_alone_and_prints_the_scripts_figures(digits, tmp_path, monkeypatch):
    """Copied alone into an empty folder, in a kernel that cannot import mnist_helpers, the notebook runs
    top to bottom, fails only where it means to, and prints what mnist_learn.py prints on the same digits,
    run in this process with its defaults; its pictures and its animation are drawn inline."""
    x_train, y_train = draw_digits(NOTEBOOK_TRAIN_COUNT, seed=1)
    arrays = dict(digits, x_train=x_train, y_train=y_train)
    notebook = run_alone(tmp_path, arrays, monkeypatch)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [
        (cell.source, output.get("ename")) for cell in code for output in cell.outputs if output.output_type == "error"
    ]
    assert [name for _, name in errors] == ["ValueError"] and "first_try.fit(" in errors[0][0]
    printed = "".join(output.get("text", "") for cell in code for output in cell.outputs)
    assert printed.endswith("sees the project: False\n")
    # The words before the failing cell quote the line of the error that says what is wrong.
    failing = next(i for i, cell in enumerate(notebook.cells) if "raises-exception" in cell.metadata.get("tags", []))
    quoted = re.search(r"`(Expected shape[^`]*)`", " ".join(notebook.cells[failing - 1].source.split())).group(1)
    error = next(output for output in notebook.cells[failing].outputs if output.output_type == "error")
    assert quoted in re.sub(r"\x1b\[[0-9;]*m", "", error["evalue"]), error["evalue"]
    # TensorFlow's start-up: only the lines the words above the first cell explain, and only there.
    stderr = [
        (i, line)
        for i, cell in enumerate(code)
        for output in cell.outputs
        if output.get("name") == "stderr"
        for line in output["text"].splitlines()
    ]
    imports = next(i for i, cell in enumerate(code) if "from keras.datasets import mnist" in cell.source)
    assert all(i == imports and any(kind in line for kind in EXPLAINED_STARTUP_LINES) for i, line in stderr), stderr
    explained = " ".join(" ".join(cell.source.split()) for cell in notebook.cells[:3] if cell.cell_type == "markdown")
    assert all(kind in explained for kind in EXPLAINED_STARTUP_LINES)
    assert all(done <= total for done, total in progress_counts(printed))
    lesson = train_here("--quiet", data=as_data(arrays))
    assert f"test accuracy: {lesson.test_accuracy}\n" in printed  # as the script computed it, in this session
    assert "float32 0.0 1.0\n" in printed  # after the normalize lines
    outputs = [output for cell in code for output in cell.outputs]
    assert len([output for output in outputs if "image/png" in output.get("data", {})]) == 4
    animations = [output for output in outputs if "image/gif" in output.get("data", {})]
    assert len(animations) == 1  # the hidden units forming, inline
    frames = Image.open(io.BytesIO(base64.b64decode(animations[0]["data"]["image/gif"])))
    lesson = constants()
    per_epoch = -(-NOTEBOOK_TRAIN_COUNT // lesson["BATCH_SIZE"])
    assert frames.n_frames == len(recording.moments(per_epoch, lesson["EPOCHS"]))


def test_offline_its_load_cell_fails_with_keras_own_error_and_says_where_mnist_npz_goes(tmp_path, monkeypatch):
    """No internet and no MNIST in Keras' cache: the first error is the load cell's, Keras' own (no
    ImportError anywhere), and the words above that cell say where to put mnist.npz."""
    for name, value in offline_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MNIST_DATA", raising=False)
    notebook = build.build()
    load = next(i for i, cell in enumerate(notebook.cells) if "mnist.load_data()" in cell.source)
    ran = run_alone(tmp_path, None, monkeypatch, cells=load + 1)
    errors = [
        (i, output)
        for i, cell in enumerate(ran.cells)
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert [i for i, _ in errors] == [load], errors
    assert "mnist.npz" in errors[0][1]["evalue"]  # Keras' get_file names what it could not fetch
    assert "ImportError" not in errors[0][1]["ename"] and "ModuleNotFoundError" not in errors[0][1]["ename"]
    words = " ".join(notebook.cells[load - 1].source.split())
    assert "put `mnist.npz` in Keras' cache, `~/.keras/datasets/`" in words


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
