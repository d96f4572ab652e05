"""Every picture the project draws, in one look, saved the same way.

Matplotlib is imported here and only here, so a run that draws nothing never loads it.
Each picture is saved as a PNG (atomically: never a half-written file) and shown in a window
only when Matplotlib has an interactive backend; a headless machine just gets the file.
"""

import math

import matplotlib
import numpy as np

matplotlib.rcParams.update(
    {
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "font.size": 10,
        "axes.titlesize": 10,
        "figure.titlesize": 13,
        "figure.titleweight": "bold",
    }
)

import matplotlib.pyplot as plt  # noqa: E402  (after the style is set)
from matplotlib.backends import BackendFilter, backend_registry  # noqa: E402

from .files import atomic_output  # noqa: E402

DIGIT_CMAP = "gray_r"  # dark ink on white, like a pen on paper


def can_show_windows() -> bool:
    return plt.get_backend().lower() in backend_registry.list_builtin(BackendFilter.INTERACTIVE)


def save_figure(figure, path) -> None:
    """Write ``figure`` to ``path`` as PNG, show it if a window can open, then free it."""
    with atomic_output(path) as temporary:
        figure.savefig(temporary, format="png")
    if can_show_windows():
        plt.show()
    plt.close(figure)


def grid_shape(count: int) -> tuple[int, int]:
    """Rows and columns of a near-square grid for ``count`` panels, wider than tall."""
    columns = math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns


def digit_grid(ax, images, titles, gap: int = 8) -> None:
    """Draw 28×28 ``images`` as one picture (fast: one image, not one plot per digit), titles above each."""
    rows, columns = grid_shape(len(images))
    cell = 28 + gap
    sheet = np.zeros((rows * cell, columns * cell))
    for i, image in enumerate(images):
        row, column = divmod(i, columns)
        sheet[row * cell + gap : (row + 1) * cell, column * cell + gap // 2 : column * cell + gap // 2 + 28] = (
            np.asarray(image, dtype=float).reshape(28, 28) / max(float(np.max(image)), 1e-9)
        )
    ax.imshow(sheet, cmap=DIGIT_CMAP, vmin=0, vmax=1)
    for i, title in enumerate(titles):
        row, column = divmod(i, columns)
        ax.text(column * cell + cell / 2, row * cell + gap - 1, title, ha="center", va="bottom", fontsize=8)
    ax.set_axis_off()


def digits_figure(images, labels, count: int, index: int):
    """Mnist.py's picture: the first ``count`` digits with their labels, and digit ``index`` large."""
    figure = plt.figure(figsize=(12, 6), layout="constrained")
    figure.suptitle("MNIST training digits")
    grid_side, large_side = figure.subfigures(1, 2, width_ratios=[1, 1])
    grid_side.suptitle(f"train_images[:{count}] with their labels", fontsize=11)
    digit_grid(grid_side.subplots(), images[:count], [f"label {label}" for label in labels[:count]])
    large_side.suptitle(f"train_images[{index}], label {labels[index]}: 28 × 28 pixels", fontsize=11)
    ax = large_side.subplots()
    picture = ax.imshow(images[index], cmap=DIGIT_CMAP, vmin=0, vmax=255)
    ax.set_xticks(range(0, 28, 4))
    ax.set_yticks(range(0, 28, 4))
    large_side.colorbar(picture, ax=ax, label="pixel intensity (0 = paper, 255 = ink)", shrink=0.8)
    return figure
