"""The drawing page, web/index.html, in a real browser: Debian's Chromium driven by Playwright."""

import base64
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

import export_web
from mnist_helpers.digit_image import read_digit
from mnist_helpers.errors import UserError

WEB = ROOT / "web"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium on PATH: install Debian's chromium (apt-get install chromium)"
    ),
    pytest.mark.xdist_group("browser"),  # one browser for the module's tests
]
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


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Page:
    """A page opened from the file system, with every console error and every request it made."""

    def __init__(self, browser, folder: Path, width: int = 1100):
        self.errors, self.requests = [], []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
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
                self.page.mouse.move(x, y, steps=6)
            self.page.mouse.up()
        self.page.wait_for_function("() => window.mnistPage.state.lastUpdateMs !== null")

    def state(self):
        return self.page.evaluate(
            """() => { const s = window.mnistPage.state;
                return { seen: s.seen && Array.from(s.seen), ms: s.lastUpdateMs,
                         probabilities: s.result && Array.from(s.result.probabilities) }; }"""
        )


def page_with(folder: Path, model_path) -> Path:
    """A copy of the page with ``model_path``'s weights, written by export_web.py."""
    for name in ("index.html", "app.js", "style.css"):
        shutil.copy(WEB / name, folder / name)
    export_web.main(["--model", str(model_path), "--out", str(folder / "weights.js")])
    return folder


ONE = [[(0.5, 0.15), (0.5, 0.85)]]
ZERO = [[(0.5 + 0.22 * math.sin(t * math.pi / 10), 0.5 - 0.33 * math.cos(t * math.pi / 10)) for t in range(21)]]
SEVEN = [[(0.25, 0.18), (0.75, 0.18), (0.42, 0.85)]]


def test_page_and_weights_are_small():
    sizes = {path.name: path.stat().st_size for path in WEB.iterdir()}
    assert set(sizes) == {"index.html", "app.js", "style.css", "weights.js"}
    assert sum(sizes.values()) < 400_000, sizes


def test_the_page_fetches_nothing_from_the_network():
    for name in ("index.html", "app.js", "style.css"):
        text = (WEB / name).read_text()
        assert "http://" not in text and "https://" not in text and "fetch(" not in text, name


@pytest.mark.parametrize("digit, strokes", [("1", ONE), ("0", ZERO), ("7", SEVEN)])
def test_drawn_digits_are_read_and_prepared_as_digit_image_does(browser, tmp_path, digit, strokes):
    page = Page(browser, WEB)
    page.draw(strokes)
    state = page.state()
    assert int(np.argmax(state["probabilities"])) == int(digit), state["probabilities"]
    assert page.page.locator("#outputs li.best").inner_text().startswith(digit)
    # The same strokes as a PNG, through the preparation predict.py uses.
    png = page.page.evaluate("() => document.getElementById('pad').toDataURL('image/png')")
    (tmp_path / "pad.png").write_bytes(base64.b64decode(png.split(",", 1)[1]))
    _, python_digit = read_digit(tmp_path / "pad.png")
    difference = np.abs(np.array(state["seen"]).reshape(28, 28) - python_digit).mean()
    print(
        f"\n{digit}: page against digit_image.py, mean absolute difference {difference:.4f}; update {state['ms']:.1f} ms"
    )
    assert difference <= 0.01
    assert page.errors == []
    assert all(url.startswith(WEB.as_uri() + "/") for url in page.requests), page.requests


def test_an_empty_pad_shows_no_guess(browser):
    page = Page(browser, WEB)
    assert page.state()["probabilities"] is None
    assert page.page.locator("#guess").inner_text() == "Draw a digit on the pad."
    page.draw(SEVEN)
    assert page.state()["probabilities"] is not None
    page.page.click("#clear")
    assert page.state()["probabilities"] is None and page.page.locator("#outputs li.best").count() == 0


@pytest.mark.parametrize("width", [360, 768, 1280])
def test_the_layout_fits_any_width(browser, width):
    page = Page(browser, WEB, width=width)
    assert page.page.evaluate("() => document.documentElement.scrollWidth") <= width
    box = page.page.locator("#pad").bounding_box()
    assert box["width"] >= 200 and box["x"] + box["width"] <= width


def test_the_forward_pass_equals_keras(browser, synthetic_run, digits, tmp_path):
    import keras

    _, model_path = synthetic_run
    page = Page(browser, page_with(tmp_path, model_path))
    model = keras.saving.load_model(model_path)
    pixels = digits["x_test"][:20].reshape(20, 784).astype("float32") / 255
    in_page = page.page.evaluate(
        "(rows) => rows.map((row) => { const r = window.mnistPage.forward(row);"
        " return [Array.from(r.hidden), Array.from(r.probabilities)]; })",
        pixels.tolist(),
    )
    hidden = keras.Model(model.inputs, model.layers[0].output).predict(pixels, verbose=0)
    np.testing.assert_allclose([row[0] for row in in_page], hidden, atol=1e-5)
    np.testing.assert_allclose([row[1] for row in in_page], model.predict(pixels, verbose=0), atol=1e-5)
    assert page.errors == []


def test_a_larger_model_shows_its_64_most_active_units(browser, tmp_path):
    import keras

    model = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(100, activation="relu"), keras.layers.Dense(10, activation="softmax")]
    )
    model.save(tmp_path / "wide.keras")
    page = Page(browser, page_with(tmp_path, tmp_path / "wide.keras"))
    assert page.page.locator(".unit").count() == 64
    assert "This model has 100 hidden units: the 64 most active are shown." in page.page.inner_text("#hidden-note")
    page.draw(ONE)
    shown = page.page.evaluate(
        "() => Array.from(document.querySelectorAll('.unit div')).map((d) => Number(d.textContent))"
    )
    result = page.page.evaluate("() => Array.from(window.mnistPage.state.result.hidden)")
    assert sorted(shown, reverse=True) == pytest.approx(sorted(result, reverse=True)[:64], abs=0.006)


def test_export_refuses_models_that_are_not_ours(tmp_path):
    import keras

    (tmp_path / "weights.js").write_text("// the user's own\n")
    three = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(16), keras.layers.Dense(10)]
    )
    three.save(tmp_path / "three.keras")
    keras.Sequential([keras.Input((100,)), keras.layers.Dense(10)]).save(tmp_path / "small.keras")
    (tmp_path / "text.keras").write_text("not a model")
    for name, says in [
        ("three.keras", "is built as Dense(relu), Dense(linear), Dense(linear), but the page runs"),
        ("small.keras", "takes inputs of shape (None, 100)"),
        ("text.keras", "is not a Keras model file"),
        ("missing.keras", "There is no model at"),
    ]:
        with pytest.raises(UserError, match=re_escape(says)):
            export_web.main(["--model", str(tmp_path / name), "--out", str(tmp_path / "weights.js")])
    assert (tmp_path / "weights.js").read_text() == "// the user's own\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def re_escape(text: str) -> str:
    return re.escape(text)


def test_the_readme_screenshot_is_a_real_page():
    with Image.open(ROOT / "docs" / "web_page.png") as image:
        assert image.width >= 800 and np.asarray(image.convert("L")).std() > 20


def test_a_small_drawing_is_thinned_as_digit_image_does(browser, tmp_path):
    """Drawn small, the pen's strokes are broad for the digit: page and Python thin them alike."""
    page = Page(browser, WEB)
    page.draw([[(0.4 + 0.2 * x, 0.35 + 0.3 * y) for x, y in stroke] for stroke in SEVEN])
    png = page.page.evaluate("() => document.getElementById('pad').toDataURL('image/png')")
    (tmp_path / "pad.png").write_bytes(base64.b64decode(png.split(",", 1)[1]))
    _, python_digit = read_digit(tmp_path / "pad.png")
    difference = np.abs(np.array(page.state()["seen"]).reshape(28, 28) - python_digit).mean()
    assert difference < 0.05, difference


def copy_of_the_page(folder: Path, weights: str | None) -> Path:
    """The page with ``weights`` as its weights.js (None: no weights.js at all)."""
    for name in ("index.html", "app.js", "style.css"):
        shutil.copy(WEB / name, folder / name)
    if weights is not None:
        (folder / "weights.js").write_text(weights)
    return folder


def test_the_page_says_what_is_wrong_with_its_weights_and_the_fix(browser, tmp_path):
    shipped = (WEB / "weights.js").read_text()
    nan = base64.b64encode(np.full(10, np.nan, "<f4").tobytes()).decode()
    cases = {
        "missing": None,
        "empty": "",
        "broken": shipped[: len(shipped) // 2],
        "wrong shape": shipped.replace("shape: [10]", "shape: [11]"),
        "NaN": re.sub(r'(b2: \{shape: \[10\], base64: ")[^"]*', rf"\g<1>{nan}", shipped),
    }
    for name, weights in cases.items():
        (tmp_path / name).mkdir()
        page = Page(browser, copy_of_the_page(tmp_path / name, weights))
        said = page.page.locator("#guess").inner_text()
        assert "web/weights.js" in said and "python export_web.py --model mnist_model.keras" in said, (name, said)
        assert "Draw a digit" not in said, name
        page.page.close()
    assert "not finite" in said  # the last case: NaN never reaches the bars


def test_two_fingers_draw_two_strokes(browser):
    """Two pointers down at once: each draws its own line, none joins the other's."""
    page = Page(browser, WEB)
    box = page.page.locator("#pad").bounding_box()
    touch = page.page.context.new_cdp_session(page.page)  # real touches, as a touch screen sends them

    def fingers(kind, *points):
        spots = [
            {"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"], "id": i}
            for i, (x, y) in enumerate(points)
        ]
        touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": spots})

    fingers("touchStart", (0.2, 0.2), (0.8, 0.8))
    for step in range(1, 5):
        fingers("touchMove", (0.2, 0.2 + 0.05 * step), (0.8, 0.8 - 0.05 * step))
    fingers("touchEnd")
    ink = page.page.evaluate(
        """() => { const pad = document.getElementById("pad");
            const data = pad.getContext("2d").getImageData(0, 0, pad.width, pad.height).data;
            const dark = (x, y) => data[4 * (Math.round(y * pad.height) * pad.width + Math.round(x * pad.width))] < 128;
            return { first: dark(0.2, 0.3), second: dark(0.8, 0.7), between: dark(0.5, 0.5) }; }"""
    )
    assert ink == {"first": True, "second": True, "between": False}, ink


def test_export_writes_any_model_name_as_data_and_refuses_what_the_page_cannot_run(tmp_path, synthetic_run):
    import keras

    _, model_path = synthetic_run
    odd = tmp_path / 'my "best"\n<b>.keras'
    shutil.copy(model_path, odd)
    out = tmp_path / "weights.js"
    export_web.main(["--model", str(odd), "--out", str(out)])
    script = out.read_text()
    assert script.count("\n") == 8 and '"my \\"best\\"\\n<b>.keras"' in script
    no_bias = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(8, activation="relu", use_bias=False),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    no_bias.save(tmp_path / "no_bias.keras")
    with pytest.raises(UserError, match="both layers with their biases"):
        export_web.main(["--model", str(tmp_path / "no_bias.keras"), "--out", str(out)])
    assert out.read_text() == script  # the earlier file stays


def drawings(folder: Path) -> list[Path]:
    """36 drawings on the pad's 280 × 280 white, as PNGs: each digit small and thin off in a corner, large
    and thick, and middling elsewhere; then six more, thinner and thicker still."""
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
    return paths


def test_the_page_prepares_a_drawing_as_digit_image_does(browser, tmp_path):
    """The same PNGs through the page's prepare and digit_image.to_mnist_digit, every step from the grey
    levels on: within 0.01 mean difference each."""
    from mnist_helpers.digit_image import grey_levels, to_mnist_digit

    page = Page(browser, WEB)
    differences = []
    for path in drawings(tmp_path):
        image = Image.open(path)
        grey = grey_levels(image)
        in_page = page.page.evaluate(  # the grey levels as float32 bytes: a list of 78,400 numbers is slow to pass
            "(data) => { const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));"
            " return Array.from(window.mnistPage.prepare(new Float32Array(bytes.buffer), 280, 280)); }",
            base64.b64encode(grey.astype("<f4").tobytes()).decode(),
        )
        differences.append(float(np.abs(np.array(in_page).reshape(28, 28) - to_mnist_digit(image)).mean()))
    print(
        f"\npage against digit_image.py over {len(differences)} drawings: worst mean difference {max(differences):.5f}"
    )
    assert len(differences) >= 30 and max(differences) <= 0.01, differences
    assert page.errors == []


def test_the_page_and_digit_image_share_their_constants():
    from mnist_helpers import digit_image

    script = (WEB / "app.js").read_text()
    found = {name: value for name, value in re.findall(r"^const ([A-Z_]+) = ([\d.\[\], ]+);", script, re.M)}
    for name in ("FRAME", "DIGIT_BOX", "WEAKEST_INK", "NOISE_LEVEL", "FINE", "COARSE_SIDE", "MNIST_STROKES"):
        assert json.loads(found[name]) == pytest.approx(getattr(digit_image, name)), name
