"""The post's shape facts (ndim, shape) as a table, the network in one line, and the shape check before ``fit``."""

import numpy as np

from .errors import UserError


def shape_table(arrays: dict) -> str:
    """ndim, shape, dtype and value range of each named array, one row each, as the post prints them."""
    rows = [("array", "ndim", "shape", "dtype", "values")]
    for name, array in arrays.items():
        array = np.asarray(array)
        low, high = (array.min(), array.max()) if array.size else (0, 0)
        values = f"{_number(low)}" if low == high else f"{_number(low)} to {_number(high)}"
        rows.append((name, str(array.ndim), str(array.shape), str(array.dtype), values))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, np.floating) else str(value)


def network_line(inputs: int, layers: list, weights: int) -> str:
    """The network in one line: its inputs, each dense layer as (units, activation), and its weight count."""
    dense = " → ".join(f"Dense({units}, {activation})" for units, activation in layers)
    return f"Network: {inputs} inputs → {dense}, {weights:,} weights."


def check_fit_inputs(model, x, y, x_name: str, y_name: str) -> None:
    """Stop with one sentence when ``x``/``y`` do not fit ``model``: the post's two errors, explained.

    Keras would fail deep inside ``fit`` with a long traceback; this says which array is wrong,
    what shape it has, what the model needs, and the line of the lesson that makes it right.
    """
    n = len(x)
    features = model.input_shape[-1]
    classes = model.output_shape[-1]
    if np.ndim(x) != 2 or x.shape[1] != features:
        side = int(round(features**0.5))
        fix = f"{x_name} = {x_name}.reshape(({n}, {side} * {side}))" if side * side == features else "reshape it"
        raise UserError(
            f"{x_name} has shape {x.shape}, but the model needs (samples, {features}): "
            f"flatten each image with `{fix}` before fit."
        )
    if np.ndim(y) == 2 and 0 < y.shape[1] < classes:  # to_categorical ran on labels that lack the top digits
        raise UserError(
            f"{y_name} has {y.shape[1]} columns, one per digit up to its highest label ({y.shape[1] - 1}), but "
            f"the model has {classes} outputs: encode with `{y_name} = to_categorical({y_name}, num_classes={classes})` "
            "when your labels lack some digits."
        )
    if np.ndim(y) != 2 or y.shape[1] != classes:
        raise UserError(
            f"{y_name} has shape {np.shape(y)}, but the model needs one-hot labels of shape (samples, {classes}): "
            f"encode them with `{y_name} = to_categorical({y_name})` before fit."
        )
    if len(y) != n:
        raise UserError(f"{x_name} has {n:,} samples but {y_name} has {len(y):,}; they must match one to one.")
