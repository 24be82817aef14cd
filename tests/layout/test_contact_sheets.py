"""contact_sheet: grid shape, cell contents, label placement, layout rules."""
import numpy as np
import pytest

from imgfusion.layout.contact_sheets import contact_sheet
from imgfusion.errors import ParameterError

CELL, PAD = 16, 4


def solid(value, c=3, shape=(CELL, CELL)):
    out = np.empty(shape + (c,), np.float32)
    out[:] = value
    return out


def sweep_2x3():
    """Six images, labelled by a (2 values) x b (3 values), each a distinct colour."""
    images, labels, colours = [], [], {}
    for i, a in enumerate([1.0, 10.0]):
        for j, b in enumerate(["x", "y", "z"]):
            colour = (0.1 + 0.3 * i, 0.1 + 0.25 * j, 0.5)
            colours[(i, j)] = colour
            images.append(solid(colour))
            labels.append({"a": a, "b": b, "seed": 0})
    return images, labels, colours


def bbox(sheet, colour):
    hit = np.all(np.abs(sheet - np.asarray(colour, np.float32)) < 1e-6, axis=2)
    rows, cols = np.nonzero(hit)
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


def test_unlabelled_2x3_grid_has_the_expected_size_and_exact_cells():
    images, labels, _ = sweep_2x3()
    sheet = contact_sheet(images, labels=labels, cell=CELL, padding=PAD, label=False)
    assert sheet.shape == (PAD + 2 * (CELL + PAD), PAD + 3 * (CELL + PAD), 3)
    for k, image in enumerate(images):
        r, c = divmod(k, 3)
        y, x = PAD + r * (CELL + PAD), PAD + c * (CELL + PAD)
        np.testing.assert_array_equal(sheet[y:y + CELL, x:x + CELL], image)


def test_labelled_grid_rows_by_first_key_columns_by_second():
    images, labels, colours = sweep_2x3()
    sheet = contact_sheet(images, labels=labels, cell=CELL, padding=PAD, background=1.0)
    boxes = {k: bbox(sheet, col) for k, col in colours.items()}
    for box in boxes.values():
        assert (box[1] - box[0], box[3] - box[2]) == (CELL, CELL)   # cells are intact
    assert boxes[(0, 0)][0] == boxes[(0, 2)][0] < boxes[(1, 0)][0]   # rows follow 'a'
    assert boxes[(0, 0)][2] == boxes[(1, 0)][2] < boxes[(0, 1)][2] < boxes[(0, 2)][2]
    top, left = boxes[(0, 0)][0], boxes[(0, 0)][2]
    ink = sheet.mean(axis=2) < 0.5
    assert ink[:top, left:].any()          # column labels above the cells
    assert ink[top:, :left].any()          # row labels left of the cells
    assert not ink[:top, :left].any()      # nothing in the corner
    assert top > PAD and left > PAD        # room was made for the labels


def test_rows_and_cols_choose_the_axes():
    images, labels, _ = sweep_2x3()
    sheet = contact_sheet(images, labels=labels, rows="b", cols="a", cell=CELL, padding=PAD,
                          label=False)
    assert sheet.shape == (PAD + 3 * (CELL + PAD), PAD + 2 * (CELL + PAD), 3)


def test_one_varying_key_wraps_with_captions_and_blank_cells():
    images = [solid(v) for v in (0.1, 0.2, 0.3, 0.4, 0.5)]
    labels = [{"w": v} for v in (1, 2, 3, 4, 5)]
    plain = contact_sheet(images, labels=labels, columns=2, cell=CELL, padding=PAD, label=False)
    assert plain.shape == (PAD + 3 * (CELL + PAD), PAD + 2 * (CELL + PAD), 3)
    assert np.all(plain[-PAD - CELL:-PAD, -PAD - CELL:-PAD] == 1.0)   # blank sixth cell
    captioned = contact_sheet(images, labels=labels, columns=2, cell=CELL, padding=PAD)
    assert captioned.shape[0] > plain.shape[0] and captioned.shape[1] == plain.shape[1]
    top = bbox(captioned, (0.1, 0.1, 0.1))[0]
    assert (captioned[PAD:top].mean(axis=2) < 0.5).any()          # caption above the cell


def test_resizes_to_cell_and_converts_channels():
    big = np.random.default_rng(0).random((40, 20, 1)).astype(np.float32)
    rgba = solid(0.0, c=4, shape=(10, 10))
    rgba[..., 3] = 0.0                                            # fully transparent
    sheet = contact_sheet([big, rgba], cell=CELL, padding=0, label=False, background=0.5)
    assert sheet.shape == (CELL, 2 * CELL, 3)        # cells CELL x CELL, one row
    assert np.all(sheet[:, CELL:] == 0.5)            # transparent shows the background
    assert np.all(sheet[:, :CELL // 4] == 0.5)       # 16 x 8 image centred in its cell
    inner = sheet[:, CELL // 4:CELL - CELL // 4]
    assert np.array_equal(inner[..., 0], inner[..., 1]) and inner.std() > 0.05


@pytest.mark.parametrize("kwargs, field", [
    ({"rows": "nope"}, "rows"),
    ({"cols": "nope"}, "cols"),
    ({"labels": [{"a": 1}]}, "labels"),
    ({"cell": 0}, "cell"),
])
def test_bad_parameters(kwargs, field):
    images, labels, _ = sweep_2x3()
    kwargs.setdefault("labels", labels)
    with pytest.raises(ParameterError) as err:
        contact_sheet(images, **kwargs)
    assert err.value.field == field


def test_no_images():
    with pytest.raises(ParameterError) as err:
        contact_sheet([])
    assert err.value.field == "images"


@pytest.mark.parametrize("images,message", [
    ("/photos/a.png", "got the path '/photos/a.png'"),
    (np.zeros((8, 8, 3), np.float32), "one array of shape (8, 8, 3); wrap it in a list"),
])
def test_one_image_or_a_path_where_the_list_belongs_is_an_error(images, message):
    with pytest.raises(ParameterError) as err:
        contact_sheet(images)
    assert err.value.field == "images" and message in str(err.value)


def test_a_stack_of_images_is_a_list_of_them():
    stack = np.stack([np.full((8, 8, 3), v, np.float32) for v in (0.2, 0.8)])
    assert np.array_equal(contact_sheet(stack, label=False), contact_sheet(list(stack), label=False))


def test_a_caption_wider_than_its_cell_wraps_inside_it():
    """Two 32 px cells captioned with long labels: no ink in the gap between the cells
    or past the sheet's right padding, and the caption band holds several lines."""
    images = [solid(0.5, shape=(32, 32)), solid(0.7, shape=(32, 32))]
    labels = [{"style_layers": ["relu1_1", "relu2_1", "relu3_1"]},
              {"style_layers": ["relu1_1", "relu2_1", "relu3_1", "relu4_1"]}]
    sheet = contact_sheet(images, labels=labels, columns=2, cell=32, padding=PAD,
                          font_size=10)
    one_line = contact_sheet(images, labels=[{"k": 1}, {"k": 2}], columns=2, cell=32,
                             padding=PAD, font_size=10)
    band = sheet[PAD:sheet.shape[0] - PAD - 32].mean(axis=2)
    assert sheet.shape[0] - one_line.shape[0] >= 2 * (one_line.shape[0] - 32 - 2 * PAD)
    assert (band[:, PAD:PAD + 32] < 0.5).any() and (band[:, 2 * PAD + 32:-PAD] < 0.5).any()
    assert not (band[:, PAD + 32:2 * PAD + 32] < 0.9).any()     # the gap between the cells
    assert not (band[:, -PAD:] < 0.9).any()                      # the right padding


def test_a_pinned_label_named_by_cols_is_captioned():
    """--set pins a swept value: one column, and the sheet still says which value it is."""
    from imgfusion.layout.contact_sheets import _layout

    layout = _layout(2, [{"longest": 40, "w": 1}, {"longest": 40, "w": 2}], None, "longest", 4)
    assert (layout.row_labels, layout.col_labels) == (["w=1", "w=2"], ["longest=40"])
    single = _layout(1, [{"longest": 40}], None, "longest", 4)
    assert single.captions == ["longest=40"]


def test_a_long_label_breaks_after_its_equals_sign_not_inside_a_name():
    """'anchor=mask_center' in a narrow cell was broken 'anchor=mask_cent' / 'er'."""
    from imgfusion.layout.contact_sheets import _font, _text_size, wrap

    font = _font(12)
    width = _text_size(font, "anchor=mask_c")[1]        # the name does not fit after '='
    assert wrap(font, "anchor=mask_center", width) == ["anchor=", "mask_center"]
    width = _text_size(font, "style_layers=relu1_1+")[1]
    assert wrap(font, "style_layers=relu1_1+relu2_1", width) == ["style_layers=",
                                                                "relu1_1+relu2_1"]
    lines = wrap(font, "abcdefghijklmnopqrstuvwxyz", _text_size(font, "abcdefgh")[1])
    assert "".join(lines) == "abcdefghijklmnopqrstuvwxyz" and len(lines) > 2   # no mark
