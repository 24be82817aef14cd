"""shape_mask."""
import numpy as np
import pytest

from imgfusion.errors import ParameterError
from imgfusion.layout.masks import shape_mask


def test_size_from_like_or_size():
    like = np.zeros((30, 40, 3), np.float32)
    assert shape_mask(like).shape == (30, 40)
    assert shape_mask(like, size=(10, 12)).shape == (10, 12)   # size wins
    assert shape_mask(size=(7, 9)).dtype == bool


def test_rectangle_and_ellipse_areas_and_position():
    rect = shape_mask(size=(100, 200), shape="rectangle", extent=(0.5, 0.25))
    rows, cols = np.nonzero(rect)
    assert rect.sum() == 50 * 50
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (25, 74, 75, 124)
    ell = shape_mask(size=(200, 200), extent=(0.5, 0.5))
    assert abs(ell.sum() / (np.pi * 50 * 50) - 1) < 0.02
    moved = shape_mask(size=(100, 100), center=(0.2, 0.8), extent=(0.2, 0.2))
    r, c = np.argwhere(moved).mean(axis=0)
    assert abs(r - 19.5) < 0.5 and abs(c - 79.5) < 0.5


def test_feather_ramps_inside_the_shape():
    hard = shape_mask(size=(60, 60), extent=(0.8, 0.8))
    soft = shape_mask(size=(60, 60), extent=(0.8, 0.8), feather=5)
    assert soft.dtype == np.float32 and soft.min() == 0 and soft.max() == 1
    assert not soft[~hard].any()                 # nothing outside the outline
    assert soft[30, 30] == 1 and 0 < soft[30, 6] < 1
    row = soft[30, 6:30]
    assert np.all(np.diff(row) >= 0)             # rises towards the centre


def test_feather_sees_the_shapes_outline_beyond_the_image_not_its_border():
    # a band of columns 10-29 reaching 80 px above and 40 px below: no edge at rows 0, 39
    band = shape_mask(size=(40, 40), shape="rectangle", center=(0.0, 0.5),
                      extent=(4.0, 0.5), feather=6)
    assert (band == band[20]).all() and band[0, 10] == pytest.approx(1 / 6)
    # rows -1 to 18: row 0 is 2 px from the outline beyond the border, row 18 1 px
    near = shape_mask(size=(20, 20), shape="rectangle", center=(0.45, 0.5),
                      extent=(1.0, 2.0), feather=4)
    assert near[0, 10] == pytest.approx(2 / 4) and near[18, 10] == pytest.approx(1 / 4)


@pytest.mark.parametrize("kwargs, field", [
    ({}, "size"),
    ({"size": (0, 4)}, "size"),
    ({"size": (9, 9), "shape": "star"}, "shape"),
    ({"size": (9, 9), "extent": (0, 0.5)}, "extent"),
    ({"size": (9, 9), "center": (3.0, 3.0), "extent": (0.1, 0.1)}, "extent"),
    ({"size": (9, 9), "feather": -1}, "feather"),
    ({"size": (9, 9), "center": (0.5,)}, "center"),
])
def test_bad_parameters(kwargs, field):
    with pytest.raises(ParameterError) as err:
        shape_mask(**kwargs)
    assert err.value.field == field


@pytest.mark.parametrize("given", [{"size": [20, 30]}, {"like": "$img"}])
def test_a_shape_covering_no_pixel_is_refused_at_validation(tmp_path, given,
                                                            validation_problems):
    """With size, or with like where the image's size is known: before, a like's mask was
    refused at run time, after the recipe's earlier steps had written their files."""
    steps = [{"id": "img", "op": "shape_mask", "size": [20, 30]},
             {"id": "m", "op": "shape_mask", "center": [5, 5], **given},
             {"op": "save", "image": "$m", "path": "m.png"}]
    [(step, field, message)] = validation_problems(steps, tmp_path)
    assert (step, field) == ("m", "extent") and "covers no pixel of the 20 x 30" in message
    steps[1]["center"] = [0.9, 0.9]
    assert validation_problems(steps, tmp_path) == []
