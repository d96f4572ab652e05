"""Put a trained model into the drawing page: writes its weights to web/weights.js.

The page (web/index.html) runs the network in the browser, so it needs the numbers Keras learned.
Train and save a model, export it, then open the page:

    python mnist_learn.py --save-model mnist_model.keras
    python export_web.py --model mnist_model.keras
    open web/index.html        # or double-click it: it works straight from the file system
"""

from mnist_helpers import lifecycle

lifecycle.start(__name__)  # first: Ctrl-C and errors as one sentence from here on (mnist_helpers/lifecycle.py)


import argparse
import base64
from pathlib import Path

import numpy as np

from mnist_helpers.errors import UserError
from mnist_helpers.files import atomic_output, ensure_writable_folder, refuse_folder
from mnist_helpers.model_file import keras_file, load_digit_model

MODEL = "mnist_model.keras"  # where mnist_learn.py --save-model puts it in the examples
OUT = Path(__file__).resolve().parent / "web" / "weights.js"  # what web/index.html includes


def dense_weights(model, path) -> list[np.ndarray]:
    """w1, b1, w2, b2 of a model built as mnist_learn.py builds it: Dense(n, relu), then Dense(10, softmax)."""
    layers = [
        (type(layer).__name__, getattr(getattr(layer, "activation", None), "__name__", None)) for layer in model.layers
    ]
    if layers != [("Dense", "relu"), ("Dense", "softmax")]:
        found = ", ".join(f"{kind}({activation})" if activation else kind for kind, activation in layers)
        raise UserError(
            f"{path} is built as {found}, but the page runs Dense(relu) then Dense(softmax), as mnist_learn.py "
            "builds it; export a model saved by `python mnist_learn.py --save-model`."
        )
    return [np.asarray(weights, dtype="<f4") for layer in model.layers for weights in layer.get_weights()]


def weights_script(weights: list[np.ndarray], source: str) -> str:
    """The page's data script: each array as little-endian float32 bytes in base64, and its shape."""
    names = ("w1", "b1", "w2", "b2")
    arrays = ",\n".join(
        f'  {name}: {{shape: {list(array.shape)}, base64: "{base64.b64encode(array.tobytes()).decode()}"}}'
        for name, array in zip(names, weights)
    )
    return (
        f"// Made by export_web.py from {source}: 784 inputs, {weights[0].shape[1]} hidden units, 10 outputs.\n"
        f'window.MNIST_WEIGHTS = {{\n  source: "{source}",\n{arrays}\n}};\n'
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=keras_file, default=Path(MODEL), metavar="PATH", help=f"the saved model (default {MODEL})"
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, metavar="PATH", help="the data script (default web/weights.js)"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    refuse_folder(args.out, "--out")
    ensure_writable_folder(args.out.parent, "the weights")
    weights = dense_weights(load_digit_model(args.model), args.model)
    with atomic_output(args.out) as temporary:
        temporary.write_text(weights_script(weights, args.model.name), encoding="utf-8")
    print(f"Wrote {args.out}: {sum(w.size for w in weights):,} weights of {args.model.name}. Open web/index.html.")


if __name__ == "__main__":
    lifecycle.run(main)
