"""A recording of training: the weights at chosen moments of a fit, the accuracy on test digits at each,
and the animation of the hidden units forming.

record.py runs the lesson, then the same fit again from the same seed with a Keras callback that keeps
the weights after chosen updates (``Recorder``): the lesson's lines stay the post's, and the second
run ends on the lesson's weights, bit for bit, which record.py checks. The recording is one .npz
file; export_web.py puts it into the page, and ``animation`` draws it as a GIF with Pillow.
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .errors import UserError
from .flags import MOST_HIDDEN_UNITS
from .model import weights_of
from .plumbing.files import read_npz, write_output

EARLY = (0, 1, 2, 5, 10, 20, 50, 100, 200)  # the first updates kept: the most changes in the fewest steps
MOST_HALVES = 30  # half epochs kept at most: with EARLY, no recording has more than 39 moments
MOST_MOMENTS = len(EARLY) + MOST_HALVES
SAMPLE_SIZE = 500  # each snapshot's accuracy is on the first 500 test digits, the page's sample
NAMES = ("w1", "b1", "w2", "b2")
RED, BLUE = (178, 24, 43), (33, 102, 172)  # a weight's colour, as web/page.js draws it (red raises, blue lowers)
UNITS_DRAWN = 32  # the animation's units: all of the lesson's 32, or a larger model's first 32
TILE, GAP, COLUMNS = 3 * 28, 6, 8  # each unit drawn 3 times MNIST's size, 8 to a row
SHADES = 12  # shades of red and of blue in the animation: fewer colours, a smaller GIF (1.5 MB, not 2.4)


def moments(updates_per_epoch: int, epochs: int) -> list[int]:
    """The updates after which the weights are kept: 0 (the seeded start), the first few, then every half
    epoch; over MOST_HALVES half epochs, MOST_HALVES of them evenly spread, the last always among them, so
    a long run's recording, GIF and page stay the size of a 15-epoch run's."""
    halves = [round(k * updates_per_epoch / 2) for k in range(1, 2 * epochs + 1)]
    if len(halves) > MOST_HALVES:
        halves = [halves[round(i * (len(halves) - 1) / (MOST_HALVES - 1))] for i in range(MOST_HALVES)]
    return sorted({update for update in EARLY if update < halves[0]} | set(halves))


def record_fit(lesson: dict) -> dict:
    """The lesson's fit again, from its seed, keeping the weights at ``moments``: the recording, as a dict
    of arrays (``save`` writes it). ``lesson`` is the lesson's namespace: the notebook's globals(), or
    what run_lesson leaves."""
    import keras

    class Recorder(keras.callbacks.Callback):
        """Keeps the model's weights before the first update and after each update named in ``at``."""

        def __init__(self, at):
            super().__init__()
            self.at, self.done, self.kept = set(at), 0, {}

        def on_train_begin(self, logs=None):
            self.kept[0] = weights_of(self.model)

        def on_train_batch_end(self, batch, logs=None):
            self.done += 1
            if self.done in self.at:
                self.kept[self.done] = weights_of(self.model)

    per_epoch = -(-len(lesson["x_train"]) // lesson["BATCH_SIZE"])
    recorder = Recorder(moments(per_epoch, lesson["EPOCHS"]))
    keras.utils.set_random_seed(lesson["SEED"])  # as the lesson seeds, just before it builds the model
    model = keras.models.clone_model(lesson["model"])  # the same layers, their first weights drawn again
    model.compile_from_config(lesson["model"].get_compile_config())
    x_val, y_val = lesson["x_val"], lesson["y_val"]
    model.fit(
        lesson["x_train"],
        lesson["y_train"],
        epochs=lesson["EPOCHS"],
        batch_size=lesson["BATCH_SIZE"],
        validation_data=(x_val, y_val),
        callbacks=[recorder],
        verbose=0,
    )
    updates = sorted(recorder.kept)
    x_sample, y_sample = lesson["x_test"][:SAMPLE_SIZE], lesson["y_test"][:SAMPLE_SIZE]
    accuracy = []
    for update in updates:
        model.set_weights(recorder.kept[update])
        accuracy.append(model.evaluate(x_sample, y_sample, verbose=0)[1])
    recording = {name: np.stack([recorder.kept[u][k] for u in updates]) for k, name in enumerate(NAMES)}
    return dict(recording, updates=np.array(updates), accuracy=np.array(accuracy), sample=np.array(len(x_sample)))


def final_weights(recording: dict) -> list[np.ndarray]:
    """w1, b1, w2, b2 after the last update recorded."""
    return [recording[name][-1] for name in NAMES]


def save(recording: dict, path) -> bool:
    """Write the recording as an .npz file (atomically); True when it replaced a file."""

    def write(temporary: Path):
        with open(temporary, "wb") as file:
            np.savez(file, **recording)

    return write_output(path, write)


KIND = "a recording made by record.py (an .npz file)"


def load(path) -> dict:
    """A recording written by ``save`` (record.py --out), read by the one bounded reader
    (mnist_helpers/plumbing/files.py) and checked: the arrays a page and a GIF need, the weights as float32."""
    path = Path(path)
    fix = f"make it again with `python record.py --out {path}`"
    try:
        stored = read_npz(path, LAYOUT, KIND, fix, check=lambda layout: check_layout(layout, path, fix))
    except FileNotFoundError:
        raise UserError(f"There is no recording at {path}; make one with `python record.py --out {path}`.")
    with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf, refused just below
        weights = {name: stored[name].astype(np.float32) for name in NAMES}  # as Keras keeps them
    if not all(np.isfinite(array).all() for array in weights.values()):
        raise UserError(f"{path} holds weights that are not numbers (NaN or infinite): its training diverged; {fix}.")
    updates, accuracy, sample = stored["updates"], stored["accuracy"], stored["sample"]
    if not (
        np.all((accuracy >= 0) & (accuracy <= 1)) and np.all(np.diff(updates) > 0) and updates[0] >= 0 and sample >= 1
    ):
        raise UserError(f"{path} holds accuracies outside 0-1, update counts that do not rise, or no sample; {fix}.")
    return dict(stored, **weights)


LAYOUT = {**dict.fromkeys((*NAMES, "accuracy"), np.floating), "updates": np.integer, "sample": np.integer}


def check_layout(layout: dict, path, fix: str) -> None:
    """A recording's arrays, by their headers alone (``{name: (shape, dtype)}``), before any is read: the
    lesson's network (784 → hidden → 10) at 2 to MOST_MOMENTS moments, floats and whole numbers where
    record.py writes them. A file that claims more is refused before it is unpacked."""
    wrong = [f"{name} {dtype}" for name, (_, dtype) in layout.items() if not np.issubdtype(dtype, LAYOUT[name])]
    if wrong:
        raise UserError(
            f"{path} holds {', '.join(wrong)}, where a recording's weights and accuracies are floats and its "
            f"updates and sample whole numbers; {fix}."
        )
    shapes = {name: shape for name, (shape, _) in layout.items()}
    count = shapes["updates"][0] if len(shapes["updates"]) == 1 else None
    hidden = shapes["w1"][-1] if len(shapes["w1"]) == 3 else None
    expected = {"w1": (count, 784, hidden), "b1": (count, hidden), "w2": (count, hidden, 10), "b2": (count, 10)}
    expected.update(accuracy=(count,), updates=(count,), sample=())
    if shapes != expected or not 2 <= count <= MOST_MOMENTS or not 1 <= hidden <= MOST_HIDDEN_UNITS:
        raise UserError(f"{path} holds arrays of shapes {shapes}, not a recording of the lesson's network; {fix}.")


def red_blue(values: np.ndarray) -> np.ndarray:
    """RGB uint8 of ``values`` scaled to their largest: RED for positive, BLUE for negative, white for 0."""
    scaled = values / max(float(np.abs(values).max()), 1e-12)
    colour = np.where(scaled[..., None] > 0, RED, BLUE)
    return np.round(255 + (colour - 255) * np.abs(scaled)[..., None]).astype(np.uint8)


def frame(recording: dict, index: int, font) -> Image.Image:
    """One picture of the animation: the first UNITS_DRAWN units' weights after ``index``'s update, each
    scaled to its own largest, under the update count and the accuracy then."""
    w1 = recording["w1"][index]
    units = min(UNITS_DRAWN, w1.shape[1])
    rows = -(-units // COLUMNS)
    top = 58
    picture = Image.new("RGB", (GAP + COLUMNS * (TILE + GAP), top + rows * (TILE + GAP)), "white")
    for unit in range(units):
        weights = w1[:, unit].reshape(28, 28) / max(float(np.abs(w1[:, unit]).max()), 1e-12)
        shaded = red_blue(np.round(weights * SHADES) / SHADES)
        tile = Image.fromarray(shaded).resize((TILE, TILE), Image.Resampling.NEAREST)
        picture.paste(tile, (GAP + (unit % COLUMNS) * (TILE + GAP), top + (unit // COLUMNS) * (TILE + GAP)))
    update, total = int(recording["updates"][index]), int(recording["updates"][-1])
    draw = ImageDraw.Draw(picture)
    draw.text((GAP, 6), f"The {units} hidden units after {update:,} of {total:,} updates", fill="black", font=font)
    said = f"{float(recording['accuracy'][index]):.1%} of {int(recording['sample'])} test digits read right"
    draw.text((GAP, 32), said, fill=(60, 60, 60), font=font)
    return picture


def animation(recording: dict) -> bytes:
    """The hidden units forming, frame by frame, as an animated GIF (Pillow): the last frame held longest."""
    font = ImageFont.load_default(size=18)
    frames = [frame(recording, index, font) for index in range(len(recording["updates"]))]
    durations = [700] * (len(frames) - 1) + [3000]
    gif = io.BytesIO()
    frames[0].save(
        gif, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True
    )
    return gif.getvalue()
