"""What the tests share, and bench/ and docs/ may import: the synthetic digits, script runners, the pictures
and damaged files the tests make, the browser page driver, and the handwriting conditions of the README's
quality table (bench/handwriting.py prints the table, tests/test_real_mnist.py checks its goals)."""

import base64
import functools
import gzip
import io
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from mnist_helpers.data import idx_header
from mnist_helpers.digit_image import stroke_width, to_mnist_digit

ROOT = Path(__file__).resolve().parent.parent
TRAIN_COUNT = 600
TEST_COUNT = 200
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def draw_digits(count: int, seed: int):
    """``count`` 28×28 uint8 images of the digits 0-9 (white on black, as MNIST) and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 10).astype(np.uint8)
    font = ImageFont.load_default(size=20)
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        picture = Image.new("L", (28, 28), 0)
        dx, dy = rng.integers(-3, 4, size=2)
        ImageDraw.Draw(picture).text((14 + dx, 14 + dy), str(label), fill=255, font=font, anchor="mm")
        images[i] = np.asarray(picture)
    return images, labels


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file, gzip-compressed when the name ends in .gz."""
    data = idx_header(array.shape) + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    Path(path).write_bytes(gzip.compress(data, mtime=0) if str(path).endswith(".gz") else data)


def write_idx_folder(folder: Path, arrays: dict, suffix: str = ".gz", names: dict = IDX_FILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in names.items():
        write_idx(folder / f"{name}{suffix}", arrays[key])
    return folder


SMALL_RUN = ("--epochs", 5, "--batch-size", 10)  # 300 updates: enough to learn the synthetic digits
MNIST_DATA = os.environ.get("MNIST_DATA") and os.path.abspath(os.environ["MNIST_DATA"])  # scripts run in other folders
needs_mnist = pytest.mark.skipif(
    not MNIST_DATA, reason="MNIST_DATA is not set: point it at a folder with the real MNIST files"
)
# The tests that use the default run on the real MNIST: it is trained once for the whole session, by the
# first worker that asks for it (conftest.py), so they spread over both workers.
on_the_default_run = pytest.mark.default_run


def as_data(arrays: dict):
    """{"x_train": ...} as load_data returns it: ((x_train, y_train), (x_test, y_test))."""
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def train_here(*flags, data):
    """The lesson in this process: mnist_learn.py itself, run with these flags (and --no-plots) on this data."""
    from mnist_helpers.lesson import run_lesson, settings
    from mnist_helpers.model import result

    return result(run_lesson(settings(*flags, "--no-plots"), data=data))


on_the_fresh_run = pytest.mark.xdist_group("fresh_run")  # its tests share the one run


def run_listing_modules(script, *args, cwd):
    """Run a script as `python SCRIPT ARGS` does, and print at its exit which Matplotlib modules were loaded."""
    probe = (
        "import atexit, os, runpy, sys, types\n"
        "def report():\n"
        "    loaded = [n for n, m in sys.modules.items() if n.split('.')[0] == 'matplotlib' and isinstance(m, types.ModuleType)]\n"
        "    print('loaded:', loaded, 'keras' in sys.modules, flush=True)\n"
        "atexit.register(report)\n"
        f"sys.argv = {[str(ROOT / script), *map(str, args)]!r}\n"
        "sys.path.insert(0, os.path.dirname(sys.argv[0]))\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=clean_env(), cwd=cwd)


def clean_env(**extra):
    """The environment for a script run: no MNIST_DATA, no network (a dead proxy), Keras home in a temp dir."""
    env = {k: v for k, v in os.environ.items() if k not in ("MNIST_DATA", "TF_CPP_MIN_LOG_LEVEL")}
    env.update(MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def offline_env(tmp_path):
    """No MNIST anywhere: no MNIST_DATA, an empty Keras home, and no network (a proxy on a closed port)."""
    (tmp_path / "keras").mkdir(exist_ok=True)  # a writable Keras home: Keras' fallback in /tmp is not used
    dead = "http://127.0.0.1:9"
    return clean_env(
        KERAS_HOME=tmp_path / "keras",
        HOME=tmp_path,
        https_proxy=dead,
        HTTPS_PROXY=dead,
        http_proxy=dead,
        HTTP_PROXY=dead,
    )


def run_script(script, *args, env=None, cwd=None, timeout=300):
    """Run one of the project's scripts in a fresh Python, as a user would, by default in an empty folder."""
    path = script if Path(script).is_absolute() else ROOT / script
    cwd = cwd or tempfile.mkdtemp(prefix="run-")
    return subprocess.run(
        [sys.executable, str(path), *map(str, args)],
        capture_output=True,
        text=True,
        env=env or clean_env(),
        cwd=cwd,
        timeout=timeout,
    )


PEAK_PROBE = """
import atexit, re, runpy, sys
def peak():
    with open("/proc/self/status") as status:
        print("peak kB", re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1), file=sys.stderr)
atexit.register(peak)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_with_peak(script, *args, cwd):
    """A script in a fresh Python, as run_script runs it: (the process, its peak memory in kB, Linux's VmHWM)."""
    process = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE, str(ROOT / script), *map(str, args)],
        capture_output=True,
        text=True,
        env=clean_env(MPLBACKEND="Agg"),
        cwd=cwd,
        timeout=120,
    )
    return process, int(process.stderr.split("peak kB ")[1].split()[0])


def epoch_figures(output: str) -> list[str]:
    """Each epoch's closing figures and the test figures a run printed; the progress in between depends on timing."""
    epochs = re.findall(r"accuracy: \d\.\d+ - loss: \d+\.\d+ - val_accuracy: \d\.\d+ - val_loss: \d+\.\d+", output)
    return epochs + re.findall(r"^test (?:loss|accuracy): .*$", output, re.M)


def uncoloured(text: str) -> str:
    """``text`` without the terminal's colours and bold (ANSI escape codes), as a reader reads it."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def progress_counts(output: str) -> list[tuple[int, int]]:
    """Every 'done/total' count Keras' progress bars printed."""
    return [(int(done), int(total)) for done, total in re.findall(r"(\d+)/(\d+) ━", uncoloured(output))]


def assert_clean_failure(result, *expected_in_message, exit_code=None):
    """A user error: non-zero exit, no traceback, one 'error:' line naming the problem."""
    assert result.returncode != 0, result.stdout + result.stderr
    if exit_code is not None:
        assert result.returncode == exit_code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    message = result.stderr[result.stderr.index("error:") :]  # a long message goes on as a short list
    for text in expected_in_message:
        assert text in message, message


def page_weights(script: str) -> list:
    """w1, b1, w2, b2 of a weights.js as export_web.weights_script writes it, as float32 arrays."""
    found = re.findall(r'(\w+): \{shape: \[([\d, ]+)\], base64: "([^"]*)"\}', script)
    assert [name for name, _, _ in found] == ["w1", "b1", "w2", "b2"], found
    return [
        np.frombuffer(base64.b64decode(data), dtype="<f4").reshape([int(n) for n in shape.split(",")]).copy()
        for _, shape, data in found
    ]


def page_sample(script: str) -> tuple:
    """The digits and labels of a sample.js as export_web.sample_script writes it: uint8 (n, 28, 28), (n,)."""
    count = int(re.search(r"count: (\d+)", script).group(1))
    columns = int(re.search(r"columns: (\d+)", script).group(1))
    labels = np.array([int(c) for c in re.search(r'labels: "(\d*)"', script).group(1)])
    png = base64.b64decode(re.search(r'png: "data:image/png;base64,([^"]*)"', script).group(1))
    sheet = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    rows = sheet.reshape(-1, 28, columns, 28).transpose(0, 2, 1, 3).reshape(-1, 28, 28)
    return rows[:count], labels


# Damaged files made on purpose (tests/test_data.py, tests/test_recording.py, bench/hostile.py)


def npz_with(path, digits, member: str, data: bytes, flags: int = 0, method: int = zipfile.ZIP_STORED):
    """An .npz of the synthetic digits whose ``member`` holds ``data``, its zip headers saying ``flags``
    (bit 0: encrypted) and compression ``method``."""
    np.savez(path, **digits)
    with zipfile.ZipFile(path) as archive:
        others = {name: archive.read(name) for name in archive.namelist() if name != member}
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in others.items():
            archive.writestr(name, content)
        archive.writestr(member, data)  # last: its two headers are the last of their kinds
    raw = bytearray(path.read_bytes())
    for signature, at_flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local, central header
        header = raw.rfind(signature)
        raw[header + at_flags : header + at_flags + 4] = struct.pack("<HH", flags, method)
    path.write_bytes(bytes(raw))
    return path


# Pictures: a page with one large digit on it, MNIST digits as scans, image files that are not right


PAPER, INK = 215, 35  # light grey paper, dark ink: a pen on paper under room light


def page(digit: str = "7", size=(300, 400), at=(150, 200), paper=PAPER, ink=INK, mode="L") -> Image.Image:
    """A page with one large handwritten-looking digit on it."""
    colour = (lambda v: v) if mode == "L" else (lambda v: (v, v, v))
    image = Image.new(mode, size, colour(paper))
    font = ImageFont.load_default(size=160)
    ImageDraw.Draw(image).text(at, digit, fill=colour(ink), font=font, anchor="mm")
    return image


def in_shadow(image: Image.Image, side: str, reach: float, dim: float = 0.5, slant: float = 0.15) -> np.ndarray:
    """The picture's grey levels with a hand's shadow over it: from ``side`` (left, top, right, bottom), reaching
    ``reach`` of the way across, its edge slanted and 3 pixels soft, the paper in it ``dim`` as bright."""
    values = np.asarray(image, dtype=np.float32)
    if side in ("top", "bottom"):
        values = values.T
    height, width = values.shape
    rows, columns = np.indices(values.shape, dtype=np.float32)
    across = columns if side in ("left", "top") else width - 1 - columns
    shade = np.clip((reach * width + slant * (rows - height / 2) - across) / 3 + 0.5, 0, 1)
    values = values * (1 - (1 - dim) * shade)
    return values.T if side in ("top", "bottom") else values


def save(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_bomb(path, side: int = 30000):
    """A valid side×side PNG (1 bit per pixel, all black): 130 KB on disk, 900 MB once decoded."""
    packer = zlib.compressobj(9)
    row = b"\0" * (1 + side // 8)  # filter byte + one bit per pixel
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")
    )
    return path


def write_truncated_jpeg(path):
    whole = io.BytesIO()
    page(mode="RGB").save(whole, format="JPEG", quality=90)
    path.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    return path


def scan(digit, rng) -> Image.Image:
    """An MNIST digit as a phone or scanner would see it written on paper: enlarged ×6-10, dark ink
    on light grey paper, off-centre on a larger page, with sensor noise."""
    scale = int(rng.integers(6, 11))
    side = 28 * scale
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR), np.float32) / 255
    height, width = side + rng.integers(40, 240, size=2)
    paper, pen = rng.uniform(0.72, 0.9), rng.uniform(0.05, 0.3)
    sheet = np.full((height, width), paper, np.float32)
    top, left = rng.integers(0, height - side), rng.integers(0, width - side)
    sheet[top : top + side, left : left + side] = paper * (1 - ink) + pen * ink
    sheet += rng.normal(0, 0.03, sheet.shape)
    return Image.fromarray((np.clip(sheet, 0, 1) * 255).round().astype(np.uint8))


# The drawing page in a browser: Debian's Chromium driven by Playwright (tests/test_web.py, bench/, docs/)

WEB = ROOT / "web"
SCRIPTS = ("network.js", "prepare.js", "page.js")  # as index.html loads them, in this order
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [  # as root in a container, with no network: no sandbox, no background connections
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Page:
    """A page opened from the file system, with every console error and every request it made."""

    def __init__(self, browser, folder: Path, width: int = 1100, height: int = 900):
        self.errors, self.requests = [], []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto((folder / "index.html").as_uri())

    def draw(self, strokes):
        """Strokes in the pad's own coordinates, 0 to 1, drawn with the mouse."""
        box = self.page.locator("#pad").bounding_box()
        for stroke in strokes:
            at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
            self.page.mouse.move(*at[0])
            self.page.mouse.down()
            for x, y in at[1:]:
                self.page.mouse.move(x, y, steps=2)
            self.page.mouse.up()
        self.page.wait_for_function("() => window.mnistPage.state.lastUpdateMs !== null")

    def state(self):
        return self.page.evaluate(
            """() => { const s = window.mnistPage.state;
                return { seen: s.seen && Array.from(s.seen), ms: s.lastUpdateMs,
                         probabilities: s.result && Array.from(s.result.probabilities) }; }"""
        )


ONE = [[(0.5, 0.15), (0.5, 0.85)]]
ZERO = [[(0.5 + 0.22 * math.sin(t * math.pi / 10), 0.5 - 0.33 * math.cos(t * math.pi / 10)) for t in range(21)]]
SEVEN = [[(0.25, 0.18), (0.75, 0.18), (0.42, 0.85)]]


def drawings(folder: Path) -> list[Path]:
    """44 drawings on the pad's 280 × 280 white, as PNGs: each digit small and thin off in a corner, large
    and thick, and middling elsewhere; then six more, thinner and thicker still; then eight middling ones in
    a shadow with a hard edge."""
    from PIL import ImageDraw, ImageFont

    variants = [(80, 2, (60, 70)), (210, 14, (140, 140)), (140, 7, (185, 170))]  # size, stroke, centre
    variants_more = [(230, 1, (140, 140)), (60, 10, (200, 80)), (170, 22, (120, 150))]
    paths = []
    for i, (digit, (size, stroke, centre)) in enumerate(
        [(d, v) for d in range(10) for v in variants] + [(d, v) for d, v in zip((2, 3, 5, 6, 8, 9), variants_more * 2)]
    ):
        picture = Image.new("RGB", (280, 280), "white")
        font = ImageFont.load_default(size=size)
        ImageDraw.Draw(picture).text(
            centre, str(digit), fill="black", font=font, anchor="mm", stroke_width=stroke, stroke_fill="black"
        )
        paths.append(folder / f"drawing{i}_{digit}.png")
        picture.save(paths[-1])
    # Eight more under a hand's shadow with a hard edge: the digit inside it, across its edge, beside it.
    for k, (side, reach) in enumerate([("left", 0.5), ("top", 0.35), ("right", 0.6), ("bottom", 0.45)] * 2):
        picture = Image.open(paths[3 * k + 2]).convert("L")  # a middling digit, right of and below the middle
        shaded = in_shadow(picture, side, reach, slant=0.1 * (k - 4))
        paths.append(folder / f"shadow{k}_{side}.png")
        Image.fromarray(np.rint(shaded).astype(np.uint8)).save(paths[-1])
    return paths


# The lesson with one line changed as a reader would change it


def edited_lesson(folder, old: str, new: str):
    """A copy of the lesson with one line changed as a reader would change it."""
    source = (ROOT / "mnist_learn.py").read_text(encoding="utf-8")
    assert source.count(old) == 1, old
    (folder / "mnist_learn.py").write_text(source.replace(old, new), encoding="utf-8")
    return folder / "mnist_learn.py"


# The README's handwriting conditions: MNIST test digits drawn as photos of many pens and papers

ABOUT = "the default run of mnist_learn.py (python mnist_learn.py: 5 epochs, batches of 128, seed 1337)"  # shipped page
COUNT, SEED = 500, 2026
SCALE = 10  # the digits are drawn 10 times MNIST's size: 280 pixels for 28


_skeletons = {}  # the thin pen and its unprepared counterpart thin the same digits: once each


def skeleton(digit: np.ndarray, side: int) -> np.ndarray:
    """The digit's strokes thinned to 1-pixel lines (Zhang and Suen's thinning), at side × side."""
    key = (digit.tobytes(), side)
    if key not in _skeletons:
        _skeletons[key] = _thinned(
            np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR)) > 127
        )
    return _skeletons[key]


def _removable(step: int) -> np.ndarray:
    """Zhang and Suen's test for one sub-iteration, for all 256 neighbourhoods: bit i of the index is
    neighbour P(i+2) (P2 above the pixel, then clockwise to P9)."""
    p = (np.arange(256)[:, None] >> np.arange(8)) & 1  # P2 ... P9 of each neighbourhood
    neighbours = p.sum(axis=1)
    transitions = sum((1 - p[:, i]) & p[:, (i + 1) % 8] for i in range(8))  # 0 -> 1 going round
    if step == 0:
        edge = (1 - (p[:, 0] & p[:, 2] & p[:, 4])) & (1 - (p[:, 2] & p[:, 4] & p[:, 6]))
    else:
        edge = (1 - (p[:, 0] & p[:, 2] & p[:, 6])) & (1 - (p[:, 0] & p[:, 4] & p[:, 6]))
    return (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & (edge == 1)


REMOVABLE = (_removable(0), _removable(1))


def _thinned(mask: np.ndarray) -> np.ndarray:
    """Each sub-iteration tests every remaining ink pixel's 8 neighbours at once and removes those that pass."""
    image = np.pad(mask, 1).astype(np.uint8)  # a margin: every pixel has 8 neighbours
    width = image.shape[1]
    flat = image.ravel()
    neighbours = [-width, -width + 1, 1, width + 1, width, width - 1, -1, -width - 1]  # P2 ... P9, clockwise
    ink = np.flatnonzero(flat)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            code = np.zeros(len(ink), np.uint8)
            for bit, offset in enumerate(neighbours):
                code |= flat[ink + offset] << bit
            remove = REMOVABLE[step][code]
            if remove.any():
                flat[ink[remove]] = 0
                ink = ink[~remove]
                changed = True
    return image[1:-1, 1:-1].astype(bool)


THINNED_AT = 28 * SCALE  # the strokes are thinned at 10× enlargement, as drawn


def pen_strokes(digit: np.ndarray, width: float) -> np.ndarray:
    """The digit thinned to its skeleton and redrawn along it with a pen ``width`` pixels wide, at SCALE ×
    its size: a thin pen."""
    lines = skeleton(digit, THINNED_AT)
    side, step = 28 * SCALE, 28 * SCALE / THINNED_AT
    picture = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(picture)
    for y, x in zip(*np.nonzero(lines)):
        cy, cx = (y + 0.5) * step, (x + 0.5) * step
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
            if 0 <= y + dy < THINNED_AT and 0 <= x + dx < THINNED_AT and lines[y + dy, x + dx]:
                draw.line((cx, cy, cx + dx * step, cy + dy * step), fill=255, width=max(1, round(width)))
    return np.asarray(picture, np.float32) / 255


def marker_strokes(digit: np.ndarray, width: float) -> np.ndarray:
    """The digit at SCALE × its size with its strokes dilated to about ``width`` pixels: a broad marker.
    Dilation by blurring the strokes and keeping all the blur reaches."""
    ink = enlarged(digit) > 0.5
    grow = max(0.0, float(width - stroke_width(ink)) / 2)
    blurred = Image.fromarray((ink * 255).astype(np.uint8)).filter(ImageFilter.BoxBlur(grow))
    return (np.asarray(blurred, np.float32) > 255 * 0.02).astype(np.float32)


def enlarged(digit: np.ndarray, size: int = 28 * SCALE, blur: float = 0) -> np.ndarray:
    picture = Image.fromarray(digit).resize((size, size), Image.Resampling.BILINEAR)
    if blur:
        picture = picture.filter(ImageFilter.GaussianBlur(blur))
    return np.asarray(picture, np.float32) / 255


def on_paper(ink: np.ndarray, rng, margin=(20, 120), shadow: bool = False) -> Image.Image:
    """Ink (0-1) as dark ink on light grey paper, off-centre on a larger page, with sensor noise."""
    side_y, side_x = ink.shape
    height, width = side_y + int(rng.integers(*margin)), side_x + int(rng.integers(*margin))
    paper, pen = rng.uniform(0.72, 0.9), rng.uniform(0.05, 0.3)
    sheet = np.full((height, width), paper, np.float32)
    top, left = int(rng.integers(0, height - side_y + 1)), int(rng.integers(0, width - side_x + 1))
    sheet[top : top + side_y, left : left + side_x] = paper * (1 - ink) + pen * ink
    if shadow:  # the light falls off across the page: a third as bright at the far edge
        sheet *= np.linspace(1.0, 0.35, width, dtype=np.float32)[None, :]
    sheet += rng.standard_normal(sheet.shape, dtype=np.float32) * 0.03
    return Image.fromarray((np.clip(sheet, 0, 1) * 255).round().astype(np.uint8))


def as_jpeg(picture: Image.Image) -> Image.Image:
    """The picture saved as a JPEG (quality 85, a phone's) and opened again."""
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return Image.open(io.BytesIO(buffer.getvalue()))


def tight(ink: np.ndarray) -> np.ndarray:
    """The page cut so the digit fills 90% of it."""
    rows, columns = np.nonzero(ink > 0.1)
    side = max(rows.max() - rows.min(), columns.max() - columns.min()) + 1
    pad = int(side / 0.9 - side) // 2
    cy, cx = (rows.min() + rows.max()) // 2, (columns.min() + columns.max()) // 2
    half = side // 2 + pad
    padded = np.pad(ink, half)
    return padded[cy : cy + 2 * half, cx : cx + 2 * half]


def in_big_photo(
    digit: np.ndarray, rng, tall=None, papers=(0.8, 0.92), light: float = 0, pen_width: float = 0
) -> Image.Image:
    """The digit about 340 pixels tall (or drawn from the range ``tall``), dark pen on light paper (grey drawn
    from ``papers``), somewhere in a 3024 × 4032 photo (12 megapixels, a phone's) with sensor noise: one field
    of it for every photo (``photo_noise``), each photo its own paper, pen and place. Drawing 12 million fresh
    normal numbers a photo was most of the row's time. ``light``: the light falls off by that fraction from
    one edge of the photo to the other, in a direction of its own. ``pen_width``: the digit's strokes thinned
    and drawn again with a pen that many pixels wide in the photo, in place of MNIST's own strokes."""
    side = round(rng.uniform(*tall) * 28 / 20) if tall else 476  # MNIST's digits fill 20 of their 28 pixels
    if pen_width:
        strokes = Image.fromarray(pen_strokes(digit, pen_width * 28 * SCALE / side))
        ink = np.asarray(strokes.resize((side, side), Image.Resampling.BILINEAR), np.float32)
    else:
        ink = enlarged(digit, size=side)
    paper, pen = rng.uniform(*papers), rng.uniform(0.05, 0.25)
    sheet = photo_noise() + np.float32(paper)  # one pass: the paper and its noise
    height, width = sheet.shape
    top, left = int(rng.integers(0, height - ink.shape[0])), int(rng.integers(0, width - ink.shape[1]))
    sheet[top : top + ink.shape[0], left : left + ink.shape[1]] += (pen - paper) * ink  # paper·(1 - ink) + pen·ink
    if light:  # 1 at the brightest corner, 1 - light at the darkest: a plane, made of a column and a row
        angle = rng.uniform(0, 2 * np.pi)
        down = np.cos(angle) * np.arange(height, dtype=np.float32)
        across = np.sin(angle) * np.arange(width, dtype=np.float32)
        down -= down.min()
        across -= across.min()
        scale = np.float32(light) / (down.max() + across.max())
        sheet *= np.subtract.outer(1 - scale * down, scale * across)
    np.clip(sheet, 0, 1, out=sheet)
    sheet *= 255
    return Image.fromarray(np.rint(sheet, out=sheet).astype(np.uint8))


@functools.cache
def photo_noise(height: int = 4032, width: int = 3024) -> np.ndarray:
    """A phone sensor's noise over a 12-megapixel photo (σ = 0.03 of white), drawn once (seed 12)."""
    noise = np.random.default_rng(12).standard_normal((height, width), dtype=np.float32)
    noise *= 0.03
    noise.flags.writeable = False
    return noise


def shadowed_photo(digit: np.ndarray, rng, tall=(350, 700), page=(2000, 1500)) -> Image.Image:
    """A hand's or a phone's shadow with a hard edge over part of the page: the digit 350-700 pixels tall on a
    2000 × 1500 page (dark pen, light paper, sensor noise), the shadow from one side (any of the four) reaching
    a quarter to half way across, its edge slanted up to 15° and soft over 2-12 pixels, the shadowed paper 40%
    to 60% as bright; the digit inside the shadow, across its edge or beside it (a third of the digits each)."""
    side = round(rng.uniform(*tall) * 28 / 20)  # MNIST's digits fill 20 of their 28 pixels
    ink = enlarged(digit, size=side)
    width, height = page
    paper, pen = rng.uniform(0.75, 0.92), rng.uniform(0.05, 0.25)
    reach, slant, soft = rng.uniform(0.25, 0.5), np.tan(np.radians(rng.uniform(-15, 15))), rng.uniform(2, 12)
    dim, where, source = rng.uniform(0.4, 0.6), int(rng.integers(3)), int(rng.integers(4))
    # u: how far from the shadow's side, v: along it (both in pixels); the shadow is where u < its edge at v.
    across, along = (width, height) if source % 2 == 0 else (height, width)
    v = rng.uniform(side / 2, along - side / 2)  # the digit's centre
    edge = reach * across + slant * (v - along / 2)
    u = {
        0: rng.uniform(side / 2, max(side / 2, edge - side / 2)),  # inside
        1: edge + rng.uniform(-0.2, 0.2) * side,  # across the edge
        2: rng.uniform(min(edge + side / 2, across - side / 2), across - side / 2),  # beside it
    }[where]
    u = float(np.clip(u, side / 2, across - side / 2))
    rows, columns = np.indices((height, width), dtype=np.float32)
    us, vs, centre = {  # from the left, the top, the right, the bottom
        0: (columns, rows, (v, u)),
        1: (rows, columns, (u, v)),
        2: (width - 1 - columns, rows, (v, width - 1 - u)),
        3: (height - 1 - rows, columns, (height - 1 - u, v)),
    }[source]
    top, left = (int(np.clip(c - side / 2, 0, limit - side)) for c, limit in zip(centre, (height, width)))
    sheet = photo_noise()[:height, :width] + np.float32(paper)
    sheet[top : top + side, left : left + side] += (pen - paper) * ink
    shade = np.clip((reach * across + slant * (vs - along / 2) - us) / soft + 0.5, 0, 1)  # 1 in the shadow
    sheet *= 1 - (1 - dim) * shade
    return Image.fromarray(np.rint(np.clip(sheet, 0, 1) * 255).astype(np.uint8))


BIG_PHOTO_COUNT = 50  # a 12-megapixel photo takes about 0.15 s to draw and prepare: 50 of the 500
UNEVEN_PHOTO_COUNT = 40  # as many as the set of 12-megapixel photos issue 32 measured


def small(digit: np.ndarray, size: int) -> np.ndarray:
    """The digit reduced to size × size: a soft, low-resolution scan of it."""
    return np.asarray(Image.fromarray(digit).resize((size, size), Image.Resampling.BOX))


UNEVEN = {"papers": (205 / 255, 245 / 255), "light": 0.15}  # the uneven-light row's paper and light


CONDITIONS = {  # name: what it is, how to draw one digit
    "scan": ("the present scan: enlarged 6-10×, off-centre on a larger page, noise", None),
    "broad marker": (
        "strokes dilated to about a fifth of the digit's height",
        lambda digit, rng: on_paper(marker_strokes(digit, 0.2 * 20 * SCALE), rng),
    ),
    "thin pen": (
        "strokes thinned to 1-2 pixels at 10× enlargement",
        lambda digit, rng: on_paper(pen_strokes(digit, rng.uniform(1, 2)), rng),
    ),
    "tight crop": (
        "the digit fills 90% of the picture",
        lambda digit, rng: on_paper(tight(enlarged(digit)), rng, margin=(0, 1)),
    ),
    "soft 16 × 16": (
        "reduced to 16 × 16, enlarged with blur",
        lambda digit, rng: on_paper(enlarged(small(digit, 16), blur=SCALE * 28 / 16 / 2), rng),
    ),
    "soft 8 × 8": (
        "reduced to 8 × 8, enlarged with blur",
        lambda digit, rng: on_paper(enlarged(small(digit, 8), blur=SCALE * 28 / 8 / 2), rng),
    ),
    "uneven light": (
        "a shadow across the page: a third as bright at the far edge",
        lambda digit, rng: on_paper(enlarged(digit), rng, shadow=True),
    ),
    "bold close-up": (
        "a broad marker (strokes a quarter of the digit's height) filling 90% of the picture: ink on a third of it",
        lambda digit, rng: on_paper(tight(marker_strokes(digit, 0.25 * 20 * SCALE)), rng, margin=(0, 1)),
    ),
    "small in a 12 MP photo": (
        f"a digit about 340 pixels tall in a 3024 × 4032 photo (the first {BIG_PHOTO_COUNT} digits)",
        in_big_photo,
    ),
    "small, uneven light, 12 MP": (
        f"a digit 250-400 pixels tall on paper of grey 205-245 in a 3024 × 4032 photo, the light 15% weaker at "
        f"one edge than at the other (the first {UNEVEN_PHOTO_COUNT} digits)",
        lambda digit, rng: in_big_photo(digit, rng, tall=(250, 400), **UNEVEN),
    ),
}
SHADOW_COUNT = 40  # as many as the set of shadowed photos issue 41 measured
CONDITIONS["hard shadow"] = (
    "a shadow with a hard edge from one side, a quarter to half way across a 2000 × 1500 page, the paper in it "
    f"40-60% as bright; the digit (350-700 pixels tall) inside it, across its edge or beside it (the first {SHADOW_COUNT} digits)",
    shadowed_photo,
)
FIRST = {
    "small in a 12 MP photo": BIG_PHOTO_COUNT,
    "small, uneven light, 12 MP": UNEVEN_PHOTO_COUNT,
    "hard shadow": SHADOW_COUNT,
}


def unprepared_small(digit: np.ndarray, size: int) -> np.ndarray:
    """The raw digit reduced and enlarged the same way, given to the network with no preparation."""
    return enlarged(small(digit, size), size=28, blur=28 / size / 2)


def unprepared_thinned(digit: np.ndarray) -> np.ndarray:
    """The digit thinned as the thin pen's is, redrawn at MNIST's own stroke width (2.5 pixels at 28) and
    given to the network at 28 × 28 with no preparation: what the thinning alone leaves of the digit."""
    return np.asarray(Image.fromarray(pen_strokes(digit, 2.5 * SCALE)).resize((28, 28), Image.Resampling.BOX))


def chosen_digits(x_test, y_test, count: int = COUNT, seed: int = SEED):
    """The same ``count`` test digits every time: (digits, labels)."""
    chosen = np.random.default_rng(seed).choice(len(x_test), count, replace=False)
    return x_test[chosen], y_test[chosen]


def accuracy(model, digits: list, labels) -> float:
    scores = model.predict(np.stack(digits).reshape(len(digits), 784).astype(np.float32), verbose=0)
    return float(np.mean(scores.argmax(axis=1) == labels))


def quality_row(model, name: str, digits, labels, seed: int = SEED, conditions=CONDITIONS) -> dict:
    """One condition: the digits drawn that way and prepared by digit_image.py, read by ``model``, against
    the same digits raw (and, for the soft and thin rows, given to it the same way with no preparation)."""
    what, draw = conditions[name]
    if name in FIRST:  # the 12-megapixel rows: the first of the digits
        digits, labels = digits[: FIRST[name]], labels[: FIRST[name]]
    rng = np.random.default_rng(seed)  # the same pages whatever the preparation does
    started = time.perf_counter()
    pictures = (as_jpeg(scan(digit, rng)) if draw is None else draw(digit, rng) for digit in digits)
    prepared = [to_mnist_digit(picture) for picture in pictures]  # each drawn, then prepared: one in memory at a time
    row = {"condition": name, "what": what, "count": len(digits), "prepared": accuracy(model, prepared, labels)}
    row["raw"] = accuracy(model, [digit / np.float32(255) for digit in digits], labels)
    if name.startswith("soft "):
        size = int(name.split()[1])
        row["unprepared"] = accuracy(model, [unprepared_small(digit, size) for digit in digits], labels)
    if name == "thin pen":
        row["unprepared"] = accuracy(model, [unprepared_thinned(digit) for digit in digits], labels)
    row["seconds"] = time.perf_counter() - started
    return row


def quality_table(model, x_test, y_test, count: int = COUNT, seed: int = SEED) -> list[dict]:
    """One row per condition, on the same ``count`` test digits."""
    digits, labels = chosen_digits(x_test, y_test, count, seed)
    return [quality_row(model, name, digits, labels, seed) for name in CONDITIONS]


def markdown(rows: list[dict]) -> str:
    lines = [
        "| condition | what it is | prepared by predict.py | raw 28 × 28 | the same digits, unprepared |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        unprepared = f"{row['unprepared']:.1%}" if "unprepared" in row else "–"
        lines.append(
            f"| {row['condition']} | {row['what']} | {row['prepared']:.1%} | {row['raw']:.1%} | {unprepared} |"
        )
    return "\n".join(lines) + "\n"
