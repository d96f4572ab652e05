"""Put a trained model into the drawing page: writes its weights to web/weights.js.

The page (web/index.html) runs the network in the browser, so it needs the numbers Keras learned.
Train and save a model, export it, then open the page:

    python mnist_learn.py --save-model mnist_model.keras
    python export_web.py --model mnist_model.keras
    open web/index.html        # or double-click it: it works straight from the file system

The page also carries a sample of MNIST's test digits (web/sample.js), to show its accuracy while you
teach it: `--sample` writes that file again, from the MNIST the scripts load. To replay a run's
training in the page, record it and export the recording instead of a model:

    python record.py --hidden-units 64 --out mine.npz
    python export_web.py --recording mine.npz      # writes web/weights.js and web/recording.js
"""

from mnist_helpers.plumbing import process

process.start(__name__)  # first: Ctrl-C and errors as one sentence from here on (mnist_helpers/plumbing/process.py)


import argparse
import base64
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_helpers.flags import add_data_flag, path_arg, silent, keras_file
from mnist_helpers.model import layer_kinds, network_weights, load_digit_model
from mnist_helpers.errors import UserError
from mnist_helpers.plumbing.files import Plan, said, write_outputs
from mnist_helpers.data import load_data
from mnist_helpers.recording import (
    NAMES,
    SAMPLE_SIZE,
    final_weights,
    load as load_recording,
)  # the sample: MNIST's first 500 test digits

MODEL = "mnist_model.keras"  # where mnist_learn.py --save-model puts it in the examples
WEB = Path(__file__).resolve().parent / "web"
OUT = WEB / "weights.js"  # what web/index.html includes
SAMPLE_NAME = "sample.js"  # beside the weights: the test digits the page measures its accuracy on
RECORDING_NAME = "recording.js"  # beside the weights: the moments of training the page replays
SAMPLE_COLUMNS = 25  # digits to a row of that PNG


def dense_weights(model, path) -> list[np.ndarray]:
    """w1, b1, w2, b2 of a model built as mnist_learn.py builds it: Dense(n, relu), then Dense(10, softmax)."""
    weights = network_weights(model)
    if weights is None:
        raise UserError(
            f"{path} is built as {', '.join(layer_kinds(model))}, but the page runs Dense(relu) then Dense(softmax), "
            "as mnist_learn.py builds it; export a model saved by `python mnist_learn.py --save-model`."
        )
    check_page_weights(weights, path)
    return weights


def check_page_weights(weights: list[np.ndarray], path) -> None:
    """The arrays as the page uses them (web/network.js checks the same when it loads): w1 (784, n), b1 (n,),
    w2 (n, 10), b2 (10,), every number finite."""
    shapes = [array.shape for array in weights]
    hidden = shapes[0][1] if shapes and len(shapes[0]) == 2 else None
    if shapes != [(784, hidden), (hidden,), (hidden, 10), (10,)]:
        raise UserError(
            f"{path} holds arrays of shapes {shapes}, but the page needs w1 (784, n), b1 (n,), w2 (n, 10) and "
            "b2 (10,): both layers with their biases; export a model saved by `python mnist_learn.py --save-model`."
        )
    if not all(np.isfinite(array).all() for array in weights):
        raise UserError(
            f"{path} holds weights that are not numbers (NaN or infinite): its training diverged; "
            "train it again (smaller --batch-size or fewer --epochs if it diverges again)."
        )


def weights_script(weights: list[np.ndarray], source: str) -> str:
    """The page's data script: each array as little-endian float32 bytes in base64, and its shape; where
    the weights come from as a JSON string, whatever characters it holds. The weights are float32 already
    (a model's, or a recording's as ``recording.load`` converts them): "<f4" only fixes the byte order."""
    arrays = ",\n".join(
        f'  {name}: {{shape: {list(array.shape)}, base64: "{base64.b64encode(array.astype("<f4").tobytes()).decode()}"}}'
        for name, array in zip(NAMES, weights)
    )
    return (
        f"// Made by export_web.py from {json.dumps(source)[1:-1]}: 784 inputs, {weights[0].shape[1]} hidden units, "
        f"10 outputs.\nwindow.MNIST_WEIGHTS = {{\n  source: {json.dumps(source)},\n{arrays}\n}};\n"
    )


def sample_script(images: np.ndarray, labels: np.ndarray) -> str:
    """The page's sample: uint8 digits (n, 28, 28) as one greyscale PNG, SAMPLE_COLUMNS to a row, in a
    data URL (a page opened from a file may read the pixels of a data URL, not of another file), and
    their labels as a string of digits."""
    rows = len(images) // SAMPLE_COLUMNS
    sheet = images[: rows * SAMPLE_COLUMNS].reshape(rows, SAMPLE_COLUMNS, 28, 28).transpose(0, 2, 1, 3)
    png = io.BytesIO()
    Image.fromarray(sheet.reshape(rows * 28, SAMPLE_COLUMNS * 28)).save(png, "PNG", optimize=True)
    return (
        f"// Made by export_web.py --sample: the first {rows * SAMPLE_COLUMNS} digits of MNIST's test set, "
        f"{SAMPLE_COLUMNS} to a row, and their labels.\nwindow.MNIST_SAMPLE = {{\n  count: {rows * SAMPLE_COLUMNS},\n"
        f'  columns: {SAMPLE_COLUMNS},\n  labels: "{"".join(map(str, labels[: rows * SAMPLE_COLUMNS]))}",\n'
        f'  png: "data:image/png;base64,{base64.b64encode(png.getvalue()).decode()}"\n}};\n'
    )


MOST_ABOUT = 1000  # characters of --about: the page refuses a longer word on where its weights come from


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--model", type=keras_file, default=Path(MODEL), metavar="PATH", help=f"the saved model (default {MODEL})"
    )
    parser.add_argument(
        "--out", type=path_arg, default=OUT, metavar="PATH", help="the data script (default web/weights.js)"
    )
    parser.add_argument(
        "--about",
        metavar="TEXT",
        help="where the weights come from, for the page's footer (default: the model's file name)",
    )
    parser.add_argument(
        "--sample",
        action="store_true",
        help=f"also write the page's {SAMPLE_SIZE} test digits, to {SAMPLE_NAME} beside --out",
    )
    source.add_argument(
        "--recording",
        type=path_arg,
        metavar="PATH",
        help=f"export a recording made by record.py instead of --model: its last weights, and its moments to {RECORDING_NAME} beside --out",
    )
    add_data_flag(parser)
    args = parser.parse_args(argv)
    if args.about is not None and len(args.about) > MOST_ABOUT:
        parser.error(
            f"argument --about: at most {MOST_ABOUT:,} characters (one line under the page), got {len(args.about):,}"
        )
    return args


def recording_script(recording: dict, source: str) -> str:
    """The page's replay: each moment's w1, b1, w2, b2 as little-endian float16 in base64 (half the bytes
    of float32, and a thousandth of a weight apart at most), but the last, which is weights.js."""
    weights = np.concatenate([recording[name].reshape(len(recording["updates"]), -1) for name in NAMES], axis=1)
    if not np.abs(weights).max() <= np.finfo("<f2").max:  # compared, not cast: no overflow warning; NaN fails too
        raise UserError(
            f"{source} holds weights too large for the page's replay (beyond 65,504): its training diverged; "
            "record it again (smaller --batch-size or fewer --epochs)."
        )
    moments = ",\n".join(f'    "{base64.b64encode(row.astype("<f2").tobytes()).decode()}"' for row in weights[:-1])
    return (
        f"// Made by export_web.py --recording from {json.dumps(source)[1:-1]}: {len(weights)} moments of its "
        f"training, the last being weights.js.\nwindow.MNIST_RECORDING = {{\n  hidden: {recording['w1'].shape[-1]},\n"
        f"  sample: {int(recording['sample'])},\n  updates: {json.dumps(recording['updates'].tolist())},\n"
        f"  accuracy: {json.dumps([round(float(a), 6) for a in recording['accuracy']])},\n"
        f"  ends: {json.dumps([float(b) for b in recording['b2'][-1]])},  // b2 at the last moment: weights.js's own\n"
        f"  moments: [\n{moments}\n  ]\n}};\n"
    )


def main(argv=None):
    args = parse_args(argv)
    folder = args.out.parent
    plan = Plan(args.recording or args.model, args.data)  # the page's files are never one of these, nor each other
    plan.writes(args.out, "--out", "the weights")
    if args.recording is not None:
        plan.writes(folder / RECORDING_NAME, "--recording", "the page's recording")
    if args.sample:
        plan.writes(folder / SAMPLE_NAME, "--sample", "the sample")
    if args.recording is not None:
        recording = load_recording(args.recording)
        weights, name = final_weights(recording), args.recording.name
        check_page_weights(weights, args.recording)
    else:
        weights, name = dense_weights(load_digit_model(args.model), args.model), args.model.name
    about = f"{sum(w.size for w in weights):,} weights of {name}"
    outputs = [(args.out, weights_script(weights, args.about or name), about)]  # (path, text, what): all made first
    if args.recording is not None:
        moments = f"{len(recording['updates'])} moments of {name}'s training"
        outputs.append((folder / RECORDING_NAME, recording_script(recording, name), moments))
    if args.sample:
        _, (x_test, y_test) = load_data(args.data, log=silent)
        count = min(SAMPLE_SIZE, len(x_test)) // SAMPLE_COLUMNS * SAMPLE_COLUMNS  # whole rows of the PNG
        if count == 0:
            raise UserError(
                f"--sample: the data holds {len(x_test)} test digits, and the page's sample takes whole rows of "
                f"{SAMPLE_COLUMNS}; use data with at least {SAMPLE_COLUMNS} test digits (MNIST has 10,000)."
            )
        outputs.append((folder / SAMPLE_NAME, sample_script(x_test[:count], y_test[:count]), f"{count} test digits"))
    # The page's files as one set: all new or all old, even if the disk fills or the run is stopped half way.
    writes = [
        (path, lambda temporary, text=text: temporary.write_text(text, encoding="utf-8")) for path, text, _ in outputs
    ]
    for (path, _, what), replaced in zip(outputs, write_outputs(writes)):
        print(f"Wrote {said(path, replaced)}: {what}.")
    print("Open web/index.html, or reload it.")


if __name__ == "__main__":
    process.run(main)
