"""Every picture the project draws, in one look, saved the same way.

Matplotlib is imported here and only here, so a run that draws nothing never loads it.
Each picture is saved (atomically: never a half-written file) and nothing more: no script but
mnist.py opens a window, and mnist.py only where Matplotlib has an interactive backend.
"""

import math
import textwrap
import warnings
from pathlib import Path

import matplotlib
import numpy as np

STYLE = {  # every picture's look, the notebook's too
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 10,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
}
matplotlib.rcParams.update(STYLE)

import matplotlib.pyplot as plt  # noqa: E402  (after the style is set)
import matplotlib.ticker  # noqa: E402
from matplotlib.backend_bases import FigureCanvasBase  # noqa: E402
from matplotlib.backends import BackendFilter, backend_registry  # noqa: E402

from .plumbing.files import open_regular, write_output  # noqa: E402

DIGIT_CMAP = "gray_r"  # dark ink on white, like a pen on paper


def drawable(text: str) -> str:
    """``text`` as a picture can show it: a byte of a file name that is not UTF-8 becomes '�'."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def can_show_windows() -> bool:
    return plt.get_backend().lower() in backend_registry.list_builtin(BackendFilter.INTERACTIVE)


def drawn_by(path, mark: str) -> bool:
    """True when ``path`` is a regular file whose PNG carries ``mark`` (save_figure's): a picture that script
    drew, which it may replace; anything else is the reader's."""
    from PIL import Image

    try:
        with open_regular(path) as file, Image.open(file) as image:  # a FIFO is never read: it could wait forever
            return image.format == "PNG" and image.info.get("Software") == mark
    except Exception:  # not a file, not an image, unreadable, a link that leads nowhere: not the script's
        return False


def save_figure(figure, path, keep_open: bool = False, mark: str | None = None) -> bool:
    """Write ``figure`` to ``path`` in the format its suffix names (PNG by default), then free it
    unless ``keep_open``; ``mark``, a PNG's "Software" text, says which script drew it. Never opens a
    window. True when it replaced a file."""
    path = Path(path)

    def draw(temporary):
        with warnings.catch_warnings():  # a name in letters the font lacks (数字.png) is drawn with boxes
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
            figure.savefig(temporary, format=figure_format(path), metadata={"Software": mark} if mark else None)

    replaced = write_output(path, draw)
    if not keep_open:
        plt.close(figure)
    return replaced


def figure_format(path) -> str:
    """The Matplotlib format a file name asks for: 'digits.jpg' → 'jpg'; no suffix → 'png'."""
    return Path(path).suffix.lstrip(".").lower() or "png"


def image_formats() -> list[str]:
    """The suffixes save_figure can write (png, jpg, pdf, svg ...)."""
    return sorted(FigureCanvasBase.get_supported_filetypes())


def show_window(figure) -> bool:
    """Open ``figure`` in a window where Matplotlib has an interactive backend; True if it did."""
    if not can_show_windows():
        return False
    plt.show()
    return True


def grid_shape(count: int) -> tuple[int, int]:
    """Rows and columns of a near-square grid for ``count`` panels, wider than tall."""
    columns = math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns


def tile(images, gap: int, top: int = 0, left: int = 0, fill: float = 0.0):
    """Lay 28×28 ``images`` out in a near-square grid as one array, each at (``top``, ``left``) in
    its cell of 28 + ``gap`` pixels. One image is far faster to draw than one plot per digit."""
    rows, columns = grid_shape(len(images))
    cell = 28 + gap
    sheet = np.full((rows * cell, columns * cell), fill)
    for i, image in enumerate(images):
        row, column = divmod(i, columns)
        y, x = row * cell + top, column * cell + left
        sheet[y : y + 28, x : x + 28] = np.asarray(image, dtype=float).reshape(28, 28)
    return sheet, columns


def digit_grid(ax, images, titles, gap: int = 8) -> None:
    """Draw 28×28 ``images`` as one picture, each scaled to its own brightest pixel, titles above each."""
    scaled = [np.asarray(image, dtype=float) / max(float(np.max(image)), 1e-9) for image in images]
    sheet, columns = tile(scaled, gap, top=gap, left=gap // 2)
    cell = 28 + gap
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


def learning_curves_figure(history: dict):
    """Loss and accuracy per epoch, training against validation: where overfitting shows."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    figure.suptitle("Learning curves")
    epochs = range(1, len(history["loss"]) + 1)
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.plot(epochs, history[metric], "o-", label=f"training {metric}")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "s--", label=f"validation {metric}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    return figure


def confusion_matrix(true_labels, predicted_labels, classes: int = 10):
    """counts[t, p]: how many digits with true label t were predicted as p."""
    pairs = np.asarray(true_labels, dtype=int) * classes + np.asarray(predicted_labels, dtype=int)
    return np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)


def confusion_figure(counts):
    """The confusion matrix with its counts: correct answers on the diagonal (green), mistakes elsewhere (red)."""
    figure, ax = plt.subplots(figsize=(7.5, 6.5), layout="constrained")
    total, correct = counts.sum(), np.trace(counts)
    figure.suptitle(f"Confusion matrix: {correct:,} of {total:,} test digits right ({correct / max(total, 1):.2%})")
    diagonal = np.eye(len(counts), dtype=bool)
    darkest_mistake = max(counts[~diagonal].max(), 1)
    ax.imshow(np.ma.masked_where(diagonal, counts), cmap="Reds", vmin=0, vmax=darkest_mistake)
    ax.imshow(np.ma.masked_where(~diagonal, counts), cmap="Greens", vmin=0, vmax=max(counts.max(), 1) * 1.6)
    for (true, predicted), count in np.ndenumerate(counts):
        dark = true != predicted and count > 0.6 * darkest_mistake
        ax.text(predicted, true, str(count), ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ax.set_xticks(range(len(counts)))
    ax.set_yticks(range(len(counts)))
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    return figure


def mistakes_figure(images, true_labels, probabilities, most: int = 25):
    """Up to ``most`` misclassified digits, each titled with the truth, the guess and its confidence."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != true_labels)[:most]
    rows, columns = grid_shape(max(len(wrong), 1))
    figure, ax = plt.subplots(figsize=(9, 9 * rows / columns + 0.5), layout="constrained")  # the grid's shape: no gap
    figure.suptitle(f"Mistakes: the first {len(wrong)} misclassified test digits (how sure: the softmax output)")
    titles = [f"true {true_labels[i]}, read {predicted[i]},\n{probabilities[i, predicted[i]]:.0%} sure" for i in wrong]
    if len(wrong):
        digit_grid(ax, images[wrong], titles, gap=12)
        ax.set_anchor("N")  # the grid right under the title
    else:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No mistakes on the test set.", ha="center", va="center")
    return figure


MOST_UNITS_DRAWN = 64  # above this many hidden units, the picture shows the 64 with the largest weights


def strongest_units(kernel, most: int = MOST_UNITS_DRAWN) -> np.ndarray:
    """The indices of the ``most`` hidden units with the largest weights (by root mean square), in order."""
    if kernel.shape[1] <= most:
        return np.arange(kernel.shape[1])
    return np.sort(np.argsort(-np.sqrt((kernel**2).mean(axis=0)), kind="stable")[:most])


def hidden_units_figure(kernel):
    """One 28×28 picture per hidden unit of its 784 input weights: red pixels excite the unit, blue inhibit it."""
    units = kernel.shape[1]
    shown = strongest_units(kernel)
    rows, columns = grid_shape(len(shown))
    each = [kernel[:, unit] / max(np.abs(kernel[:, unit]).max(), 1e-12) for unit in shown]
    sheet, _ = tile(each, gap=4, fill=np.nan)  # NaN: the gaps, drawn white
    figure, ax = plt.subplots(
        figsize=(max(4.5, 2.2 + columns * 0.75), max(3.5, 1.2 + rows * 0.75)), layout="constrained"
    )
    if len(shown) < units:
        title = f"The {len(shown)} of {units} hidden units\nwith the largest weights"
    else:
        title = f"What the {units} hidden units look for"
    figure.suptitle(title + "\n(first layer's weights, each scaled to its largest)", fontsize=11)
    colours = matplotlib.colormaps["RdBu_r"].with_extremes(bad="white")
    picture = ax.imshow(sheet, cmap=colours, vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    figure.colorbar(picture, ax=ax, shrink=0.8, label="blue lowers, red raises the unit's output")
    return figure


def save_training_pictures(paths, history: dict, x_test, test_labels, probabilities, kernel) -> list[bool]:
    """Draw the four pictures of a training run and save them to ``paths``: learning curves, confusion
    matrix, mistakes, hidden units. For each, True when it replaced a file."""
    images = np.asarray(x_test).reshape(-1, 28, 28)
    figures = (
        learning_curves_figure(history),
        confusion_figure(confusion_matrix(test_labels, probabilities.argmax(axis=1))),
        mistakes_figure(images, test_labels, probabilities),
        hidden_units_figure(kernel),
    )
    return [save_figure(figure, path) for figure, path in zip(figures, paths, strict=True)]


def save_run_pictures(paths, model, history: dict, x_test, y_test, rows=None) -> list:  # [(path, replaced a file)]
    """The four pictures of a run to the first four ``paths``, of the lesson's own test arrays as it evaluated
    them, and with ``rows`` (your runs, this one last) the picture of your runs to the fifth."""
    import keras

    # One call of the model on the whole test set: model.predict's answers (bit for bit here), without
    # the 0.4 s predict spends compiling a loop over batches of 32 for one use.
    probabilities = keras.ops.convert_to_numpy(model(x_test, training=False))
    kernel = model.layers[0].get_weights()[0]
    labels = y_test.argmax(axis=1)
    drawn = list(zip(paths[:4], save_training_pictures(paths[:4], history, x_test, labels, probabilities, kernel)))
    if rows:
        drawn.append((paths[4], save_figure(runs_figure(rows), paths[4])))
    return drawn


TITLE_WIDTH = 90  # characters on one line of a picture's title


def prediction_figure(name: str, original, seen, probabilities, why=None):
    """Predict.py's picture: the image as given (an 8-bit L, RGB or RGBA picture), the 28×28 digit
    the network saw, and its ten scores; with ``why`` (each pixel's contribution to the answer's score
    and the biases' constant, from model.pixel_contributions), the map of those contributions."""
    panels = 4 if why is not None else 3
    figure, axes = plt.subplots(
        1,
        panels,
        figsize=(13 + 3.6 * (panels - 3), 4.5),
        layout="constrained",
        width_ratios=[1.2, 1, 1.3, 1.1][:panels],
    )
    photo_ax, seen_ax, scores_ax = axes[:3]
    best = int(np.argmax(probabilities))
    # The file's name, not its path; a long one wraps onto more lines rather than running off the picture.
    figure.suptitle(
        textwrap.fill(f"{drawable(name)}: the network reads {best} ({probabilities[best]:.1%})", TITLE_WIDTH)
    )
    photo_ax.imshow(original, cmap="gray", vmin=0, vmax=255)  # the colour map is for greyscale; RGB shows as is
    photo_ax.set_title("the image")
    photo_ax.set_axis_off()
    seen_ax.imshow(seen, cmap=DIGIT_CMAP, vmin=0, vmax=1)
    seen_ax.set_title("what the network saw: 28 × 28, centred")
    seen_ax.set_xticks(range(0, 28, 4))
    seen_ax.set_yticks(range(0, 28, 4))
    bars = scores_ax.bar(range(10), probabilities, color="lightgray")
    bars[best].set_color("tab:green")
    scores_ax.set_xticks(range(10))
    scores_ax.set_ylim(0, 1)
    scores_ax.set_xlabel("digit")
    scores_ax.set_title("the network's answer (softmax output)")
    scores_ax.grid(axis="y", alpha=0.3)
    if why is not None:
        contributions, constant = why
        largest = max(float(np.abs(contributions).max()), 1e-12)
        why_ax = axes[3]
        why_ax.imshow(contributions.reshape(28, 28), cmap="RdBu_r", vmin=-largest, vmax=largest)
        why_ax.set_title(
            f"why {best}: each pixel's push on {best}'s score\n(red raises it, blue lowers it)\n"
            f"pixels {contributions.sum():+.2f}, biases {constant:+.2f}: score {contributions.sum() + constant:.2f}"
        )
        why_ax.set_axis_off()
    return figure


ERROR_AXIS = 30.0  # every experiment picture's error axis: 0 to 30% (raw pixels reach 21%) ...


def error_axis_top(errors_percent) -> float:
    """... or 0 to 100% when a value does not fit (a quick run's)."""
    return ERROR_AXIS if max(errors_percent) <= ERROR_AXIS else 100.0


def experiment_figure(title: str, settings: list, test_accuracies: list, histories: list):
    """Experiments.py's picture: test error by setting (from 0, on one scale in every picture, values on the
    bars), and each setting's accuracy epoch by epoch."""
    figure, (bars_ax, curves_ax) = plt.subplots(1, 2, figsize=(13, 5), layout="constrained", width_ratios=[1, 1.3])
    figure.suptitle(textwrap.fill(title, TITLE_WIDTH))  # a quick run's long title wraps, never cut
    colours = [f"C{i}" for i in range(len(settings))]
    errors = [100 * (1 - accuracy) for accuracy in test_accuracies]
    bars = bars_ax.bar(range(len(settings)), errors, color=colours)
    bars_ax.bar_label(bars, labels=[f"{error:.2f}%" for error in errors], padding=2)
    bars_ax.set_xticks(range(len(settings)), settings, rotation=20, ha="right")
    bars_ax.set_ylim(0, error_axis_top(errors))
    bars_ax.set_ylabel("test error, % (lower is better)")
    bars_ax.set_title("test error by setting")
    bars_ax.grid(axis="y", alpha=0.3)
    for setting, history, colour in zip(settings, histories, colours):
        epochs = range(1, len(history["accuracy"]) + 1)
        curves_ax.plot(epochs, history["accuracy"], "o-", color=colour, label=f"{setting}: training")
        curves_ax.plot(epochs, history["val_accuracy"], "s--", color=colour, alpha=0.7, label=f"{setting}: validation")
    epoch_axis(curves_ax, "accuracy", "accuracy after each epoch (solid: training, dashed: validation)")
    return figure


def epoch_axis(ax, ylabel: str, title: str) -> None:
    """An axis of figures after each epoch, as the comparing pictures draw it: whole epochs, a grid, a legend."""
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


MOST_RUNS_DRAWN = 10  # your runs picture: the last 10 rows of runs.csv, this one last


def run_label(number: int, row: dict, backend: bool = False) -> str:
    """'#3: 2 epochs × batch 10, 32 units': a run of runs.csv by its number and the settings it was run with
    (the backend too, when ``backend``: where the runs drawn together ran on several)."""
    label = f"#{number}: {row['EPOCHS']} epochs × batch {row['BATCH_SIZE']}, {row['HIDDEN_UNITS']} units"
    extras = [
        "raw pixels" if row["SCALE_PIXELS"] is False else "",
        "split validation" if row["VALIDATION"] == "split" else "",
        f"seed {row['SEED']}" if row["SEED"] not in (1337, None) else "",
        backend_of(row) if backend else "",
    ]
    return ", ".join([label, *filter(None, extras)]).replace("$", r"\$")  # a cell's text drawn as text, not math


def backend_of(row: dict) -> str:
    """The backend a row of runs.csv ran on, its first word ('tensorflow'); a log without one: 'backend unknown'."""
    return (str(row["backend"] or "").split() or ["backend unknown"])[0]


def drawable_run(row: dict) -> bool:
    """Whether a row's figures can be drawn: accuracies from 0 to 1, seconds (when there) from 0 to a year (a
    cell edited to 'nan' or '1e308' reads as a number, and would draw nothing or squash every other run)."""
    accuracies = [row["test accuracy"], *(row["val accuracy per epoch"] or [])]
    seconds = row["seconds"]
    return all(0 <= a <= 1 for a in accuracies) and (seconds is None or 0 <= seconds <= 365 * 24 * 3600)


def runs_figure(rows: list[dict], last_is_this_run: bool = True):
    """Your runs side by side (rows of runs.csv; the last, this run's when it drew them): each run's
    validation accuracy after each epoch, overlaid, and its test accuracy against the seconds it took."""
    first = max(0, len(rows) - MOST_RUNS_DRAWN)
    shown = [(number, row) for number, row in enumerate(rows[first:], first + 1) if drawable_run(row)]
    left_out = [f"#{number}" for number, row in enumerate(rows[first:], first + 1) if not drawable_run(row)]
    figure, (curves_ax, time_ax) = plt.subplots(1, 2, figsize=(13, 5), layout="constrained", width_ratios=[1.3, 1])
    drawn = f"the last {len(rows) - first} of {len(rows)}" if first else f"all {len(rows)}"
    title = f"Your runs ({drawn} in runs.csv" + (f"; #{len(rows)} is this one)" if last_is_this_run else ")")
    if left_out:  # said where it is missed: in the picture
        title += f"\nleft out: {', '.join(left_out)} (figures that are not accuracies from 0 to 1 or seconds)"
    figure.suptitle(title)
    several = len({backend_of(row) for _, row in shown}) > 1
    for k, (number, row) in enumerate(shown):
        mine = last_is_this_run and number == len(rows)
        accuracies = row["val accuracy per epoch"] or []
        curves_ax.plot(
            range(1, len(accuracies) + 1),
            accuracies,
            "o-",
            color=f"C{k}",
            linewidth=3 if mine else 1.5,
            label=run_label(number, row, several) + (" (this run)" if mine else ""),
        )
        if row["seconds"] is not None:  # a log without the time a run took has no point on this side
            test, seconds = row["test accuracy"], row["seconds"]
            time_ax.scatter(seconds, test, s=90 if mine else 40, color=f"C{k}", zorder=3)
            time_ax.annotate(f"#{number}", (seconds, test), xytext=(5, 4), textcoords="offset points")
    epoch_axis(curves_ax, "validation accuracy", "validation accuracy after each epoch")
    time_ax.set_xlabel("seconds (fit and evaluate)")
    time_ax.set_ylabel("test accuracy")
    time_ax.set_title("test accuracy against the time it took")
    time_ax.margins(0.15)  # room for the numbers beside the points
    time_ax.grid(alpha=0.3)
    return figure
