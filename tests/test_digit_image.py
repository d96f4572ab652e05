"""The photo-to-MNIST preprocessing, on pictures of digits the tests draw in every format it accepts."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from support import PAPER, in_shadow, page, save, write_bomb, write_truncated_jpeg

from mnist_helpers import digit_image
from mnist_helpers.digit_image import open_image, read_digit, to_mnist_digit
from mnist_helpers.errors import UserError


def ink_box(digit: np.ndarray) -> tuple[int, int]:
    rows, columns = np.nonzero(digit)
    return rows.max() - rows.min() + 1, columns.max() - columns.min() + 1


def centre_of_mass(digit: np.ndarray) -> np.ndarray:
    rows, columns = np.indices(digit.shape)
    return np.array([(rows * digit).sum(), (columns * digit).sum()]) / digit.sum()


@pytest.fixture(scope="module")
def reference():
    """The 28×28 digit made from a plain page: every other variant must come out the same."""
    return to_mnist_digit(page())


def test_mnist_recipe(reference):
    assert reference.shape == (28, 28) and reference.dtype == np.float32
    assert reference.min() == 0 and reference.max() == 1  # paper 0, the strokes' cores 1
    assert max(ink_box(reference)) == 20  # longest side 20 pixels, as MNIST
    assert np.abs(centre_of_mass(reference) - 14).max() <= 0.5  # centre of mass in the middle, as MNIST


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(dict(at=(60, 90)), id="off-centre"),
        pytest.param(dict(size=(900, 700), at=(700, 200)), id="small-on-a-large-page"),
        pytest.param(dict(paper=40, ink=230), id="chalk-on-a-board"),
        pytest.param(dict(paper=250, ink=120), id="faint-pencil"),
    ],
)
def test_position_size_and_colours_do_not_matter(reference, variant):
    digit = to_mnist_digit(page(**variant))
    assert np.abs(digit - reference).mean() < 0.03, np.abs(digit - reference).mean()


def test_shading_and_noise_are_removed(reference):
    rng = np.random.default_rng(0)
    values = np.asarray(page(), dtype=np.float32)
    shading = np.linspace(1.0, 0.6, values.shape[1])[None, :]  # the light falls off to one side
    photo = values * shading + rng.normal(0, 6, values.shape)
    digit = to_mnist_digit(Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)))
    assert np.abs(digit - reference).mean() < 0.04


@pytest.mark.parametrize(
    "side, reach, where",
    [
        ("left", 0.45, "inside"),
        ("top", 0.3, "beside"),
        ("right", 0.5, "across"),
        ("bottom", 0.5, "across"),
        ("left", 0.25, "beside"),
        ("right", 0.35, "inside"),
    ],
)
def test_a_shadow_with_a_hard_edge_is_paper(reference, side, reach, where):
    """A hand's shadow over part of the page (issue 41): the digit inside it, across its edge or beside it
    comes out as it does from a page in even light, the shadow's edge no stroke of it."""
    rng = np.random.default_rng(1)
    across = {"inside": reach / 2, "across": reach, "beside": (1 + reach) / 2}[where]  # the digit's centre
    size = (800, 600)
    along = 0.5 * size[1 if side in ("left", "right") else 0]
    flip = side in ("right", "bottom")
    at = (1 - across if flip else across) * size[0 if side in ("left", "right") else 1]
    centre = (at, along) if side in ("left", "right") else (along, at)
    photo = in_shadow(page(size=size, at=centre), side, reach) + rng.normal(0, 4, size[::-1])
    digit = to_mnist_digit(Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)))
    assert np.abs(digit - reference).mean() < 0.04, np.abs(digit - reference).mean()


@pytest.mark.parametrize("suffix, options", [(".png", {}), (".jpg", {"quality": 85}), (".bmp", {}), (".gif", {})])
def test_file_formats(tmp_path, reference, suffix, options):
    path = save(page(mode="RGB"), tmp_path / f"seven{suffix}", **options)
    image, digit = read_digit(path)
    assert image.size == (300, 400)
    assert np.abs(digit - reference).mean() < 0.03


def test_gif_uses_the_first_frame(tmp_path, reference):
    path = tmp_path / "animated.gif"
    page().save(path, save_all=True, append_images=[page("1")], duration=100)
    assert Image.open(path).n_frames == 2
    assert np.abs(read_digit(path)[1] - reference).mean() < 0.03


def test_transparent_background_is_paper(tmp_path, reference):
    rgba = Image.new("RGBA", (300, 400), (0, 0, 0, 0))  # black, but fully transparent
    ImageDraw.Draw(rgba).text(
        (150, 200), "7", fill=(20, 20, 20, 255), font=ImageFont.load_default(size=160), anchor="mm"
    )
    digit = read_digit(save(rgba, tmp_path / "seven.png"))[1]
    assert np.abs(digit - reference).mean() < 0.03


def test_sixteen_bit_greyscale(tmp_path, reference):
    values = np.asarray(page(), dtype=np.uint16) * 257  # 0-255 → 0-65535
    path = save(Image.fromarray(values), tmp_path / "seven16.png")
    assert Image.open(path).mode.startswith("I")
    assert np.abs(read_digit(path)[1] - reference).mean() < 0.03


@pytest.mark.parametrize("orientation, turn", [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)])
def test_exif_orientation_is_applied(tmp_path, reference, orientation, turn):
    """A phone stores the sensor's pixels and an EXIF tag saying how to turn them upright."""
    sideways = page().transpose(turn)
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    path = save(sideways, tmp_path / "phone.jpg", exif=exif, quality=90)
    image, digit = read_digit(path)
    assert image.size == (300, 400)
    assert np.abs(digit - reference).mean() < 0.03


# Bad input: each ends in a UserError naming the file.


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match=r"nothere\.png does not exist"):
        open_image(tmp_path / "nothere.png")


def test_empty_file(tmp_path):
    (tmp_path / "empty.jpg").touch()
    with pytest.raises(UserError, match=r"empty\.jpg is empty"):
        open_image(tmp_path / "empty.jpg")


def test_text_file_named_png(tmp_path):
    (tmp_path / "notes.png").write_text("my digits are on the other page\n")
    with pytest.raises(UserError, match=r"notes\.png is not an image"):
        open_image(tmp_path / "notes.png")


def test_folder(tmp_path):
    with pytest.raises(UserError, match="is a folder"):
        open_image(tmp_path)


def test_truncated_jpeg(tmp_path):
    with pytest.raises(UserError, match=r"cut\.jpg could not be read \(image file is truncated"):
        open_image(write_truncated_jpeg(tmp_path / "cut.jpg"))


def test_decompression_bomb_is_refused(tmp_path):
    assert write_bomb(tmp_path / "bomb.png").stat().st_size < 1_000_000
    with pytest.raises(UserError, match=r"bomb\.png is too large to open safely"):
        open_image(tmp_path / "bomb.png")
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # Pillow's limit is still on afterwards


def test_blank_page_is_not_guessed():
    rng = np.random.default_rng(1)
    values = np.full((400, 300), PAPER, np.float32) * np.linspace(1.0, 0.7, 300)[None, :]
    blank = Image.fromarray(np.clip(values + rng.normal(0, 6, values.shape), 0, 255).astype(np.uint8))
    with pytest.raises(UserError, match=r"scan\.jpg shows no ink"):
        to_mnist_digit(blank, name="scan.jpg")


# Any pen (issue: broad markers, thin pens, soft scans).


def pen_drawing(width: int, side: int = 1000) -> Image.Image:
    """A 9 drawn with a round pen ``width`` pixels wide on a side × side page of light paper."""
    image = Image.new("L", (side, side), 215)
    draw = ImageDraw.Draw(image)
    s = side / 1000
    draw.ellipse((350 * s, 200 * s, 650 * s, 480 * s), outline=35, width=width)
    draw.line((650 * s, 340 * s, 620 * s, 800 * s), fill=35, width=width)
    return image


def test_a_broad_marker_stays_solid():
    """A stroke wider than any local window: the old local paper estimate hollowed it into an outline."""
    image = Image.new("L", (800, 800), 215)
    ImageDraw.Draw(image).rectangle((330, 100, 470, 700), fill=35)  # a "1" a fifth as wide as it is tall
    digit = to_mnist_digit(image.filter(ImageFilter.GaussianBlur(4)))
    columns = np.nonzero(digit[14] > 0.5)[0]
    assert len(columns) >= 2 and (digit[14, columns.min() : columns.max() + 1] > 0.9).all(), digit[14]


def test_a_thin_pen_reaches_the_network_as_strongly_as_a_normal_one():
    thin, normal = to_mnist_digit(pen_drawing(7)), to_mnist_digit(pen_drawing(60))
    assert thin.max() > 0.95
    assert 0.7 < thin.sum() / normal.sum() < 1.4, (thin.sum(), normal.sum())
    assert np.abs(thin - normal).mean() < 0.1


def test_stroke_width_is_brought_into_mnists_range():
    """Measured at 80 pixels, as MNIST's digits were measured for MNIST_STROKES."""
    low, high = digit_image.MNIST_STROKES
    for width in (1, 3, 30, 40):
        bar = np.zeros((80, 80), np.float32)
        bar[:, 40 - width // 2 : 40 - width // 2 + width] = 1
        adjusted = digit_image.stroke_width(digit_image.with_stroke_width(bar, low, high))
        assert low - 3 <= adjusted <= high + 3, (width, adjusted)  # within one step (2 pixels, measured 2.5)
    untouched = np.zeros((80, 80), np.float32)
    untouched[:, 35:45] = 1
    assert np.array_equal(digit_image.with_stroke_width(untouched, low, high), untouched)
