"""Cut-outs: GrabCut from a box or a rough mask, and the colour and channel keys."""
import numpy as np
import pytest
from scipy.ndimage import distance_transform_edt, gaussian_filter

from imgfusion.errors import ParameterError
from imgfusion.layout.cutouts import channel_key, color_key, cut_out
from imgfusion.layout.masks import shape_mask

# measured on seeds 0-5 of this scene: IoU 0.9957-0.9997 (box and rough-ellipse hints);
# the hints themselves score 0.46 (box) and 0.59 (ellipse)
IOU_MIN = 0.97


def scene(seed):
    """A warm textured object with a hole on a colourful textured background, plus noise."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices((96, 128))

    def texture(sigma):
        t = gaussian_filter(rng.random((96, 128, 3)), (sigma, sigma, 0))
        return (t - t.min()) / (t.max() - t.min())

    background = 0.15 + 0.6 * texture(2)
    background[..., 0] *= 0.6
    obj = ((rows - 48) / 26.0) ** 2 + ((cols - 60) / 34.0) ** 2 <= 1
    obj |= (rows > 30) & (rows < 70) & (cols > 80) & (cols < 100)
    obj &= ~(((rows - 48) / 6.0) ** 2 + ((cols - 55) / 8.0) ** 2 <= 1)
    fg = 0.3 + 0.5 * texture(1.5)
    fg[..., 0] = 0.55 + 0.4 * fg[..., 0]
    fg[..., 2] *= 0.5
    image = np.where(obj[..., None], fg, background) + rng.normal(0, 0.03, (96, 128, 3))
    return np.clip(image, 0, 1).astype(np.float32), obj


def iou(mask, truth):
    hard = mask >= 0.5
    return (hard & truth).sum() / (hard | truth).sum()


@pytest.mark.parametrize("seed", [7, 8])
def test_grabcut_recovers_the_object_from_a_box_or_a_rough_mask(seed):
    image, truth = scene(seed)
    from_box = cut_out(image, box=(0.15, 0.15, 0.85, 0.9))
    rough = shape_mask(image, center=(0.5, 0.5), extent=(0.7, 0.75))
    from_hint = cut_out(image, rough)
    box_px = cut_out(image, box=(14, 20, 82, 112), units="px", edge=0)
    assert iou(from_box, truth) > IOU_MIN and iou(from_hint, truth) > IOU_MIN
    assert iou(box_px, truth) > IOU_MIN and box_px.dtype == bool
    assert iou(rough, truth) < 0.8            # the hint alone is far off
    assert from_box[48, 55] < 0.5             # the hole stays out
    assert from_box.dtype == np.float32 and 0 <= from_box.min() and from_box.max() <= 1
    soft = (from_box > 0.05) & (from_box < 0.95)
    to_outline = np.maximum(distance_transform_edt(truth), distance_transform_edt(~truth))
    assert soft.any() and to_outline[soft].max() <= 2 * 2 + 1   # only along the edge (2 windows)
    grown = distance_transform_edt(~(box_px >= 0.5)) <= 2 * 2
    assert not from_box[~grown].any()        # no faint halo far from the cut


def test_grabcut_hint_errors_name_the_field():
    image, _ = scene(0)
    with pytest.raises(ParameterError) as err:
        cut_out(image)
    assert err.value.field == "box"
    with pytest.raises(ParameterError) as err:
        cut_out(image, box=(0, 0, 1, 1))
    assert err.value.field == "box" and "covers the whole image" in err.value.message
    with pytest.raises(ParameterError) as err:
        cut_out(image, np.ones((5, 5), bool))
    assert err.value.field == "hint"


@pytest.mark.parametrize("box, units", [([0, 0, 1, 1], "fraction"),
                                        ([-5, 0, 40, 60], "px")])
def test_a_box_over_the_whole_image_is_refused_at_validation(tmp_path, box, units,
                                                             validation_problems):
    """Without a hint it leaves GrabCut no background; the run stopped at that step after
    the earlier ones had written their files, with a message about a hint never given."""
    steps = [{"id": "c", "op": "shape_mask", "size": [40, 60]},
             {"id": "cut", "op": "cut_out", "image": "$c", "box": box, "units": units},
             {"op": "save", "image": "$cut", "path": "m.png"}]
    [(step, field, message)] = validation_problems(steps, tmp_path)
    assert (step, field) == ("cut", "box") and "covers the whole image" in message
    steps[1]["hint"] = "$c"                  # a hint gives the background
    assert validation_problems(steps, tmp_path) == []


def test_a_box_check_without_a_known_size_refuses_only_a_whole_fraction_box(
        tmp_path, validation_problems):
    """Validation guessed a 1000 x 1000 image when the size was unknown (a swept resize)
    and refused a small box the run accepts; a sure mask that leaves no background was
    blamed on the box."""
    steps = [{"id": "c", "op": "shape_mask", "size": [40, 60]},
             {"id": "big", "op": "resize", "image": "$c", "sweep": {"scale": [30, 40]}},
             {"id": "cut", "op": "cut_out", "image": "$big",
              "box": [0.5, 0.5, 0.5012, 0.5012]},
             {"op": "save", "image": "$cut", "path": "m.png"}]
    assert validation_problems(steps, tmp_path) == []
    image, _ = scene(0)
    sure = np.ones(image.shape[:2], bool)      # everything outside the box is sure
    sure[24:72, 32:96] = False
    with pytest.raises(ParameterError) as err:
        cut_out(image, None, sure, box=(0.25, 0.25, 0.75, 0.75))
    assert err.value.field == "sure"


def test_an_empty_cut_is_warned():
    """GrabCut keeping nothing returned an empty mask without a word."""
    from imgfusion.layout.cutouts import EmptyCutWarning

    flat = np.full((40, 60, 3), 0.5, np.float32)
    with pytest.warns(EmptyCutWarning, match="kept no pixel"):
        assert not cut_out(flat, box=(0.2, 0.2, 0.8, 0.8)).any()


def test_color_key_by_distance():
    image = np.zeros((2, 3, 3), np.float32)
    image[0] = [0.0, 1.0, 0.0]                    # the key colour
    image[1, 0] = [0.0, 0.9, 0.0]                 # 0.1 away
    image[1, 1] = [1.0, 0.0, 1.0]                 # far
    image[1, 2] = [0.0, 0.75, 0.0]                # 0.25 away
    hard = color_key(image, tolerance=0.2, softness=0.0)
    assert hard.tolist() == [[False] * 3, [False, True, True]]
    soft = color_key(image, tolerance=0.2, softness=0.2)
    assert soft[1, 0] == pytest.approx(0.0, abs=1e-6) and soft[1, 2] == pytest.approx(0.75)
    assert color_key(image, tolerance=0.2, softness=0.0, invert=True).tolist() == [
        [True] * 3, [True, False, False]]


def test_channel_key_luminance_and_alpha():
    image = np.zeros((1, 4, 4), np.float32)
    image[0, :, :3] = np.array([0.1, 0.4, 0.6, 0.9])[:, None]
    image[0, :, 3] = [1.0, 0.0, 1.0, 0.0]
    assert channel_key(image).tolist() == [[False, False, True, True]]
    assert channel_key(image, channel="alpha").tolist() == [[True, False, True, False]]
    assert channel_key(image, invert=True).tolist() == [[True, True, False, False]]
    np.testing.assert_allclose(channel_key(image, softness=0.4)[0], [0, 0.25, 0.75, 1])
    with pytest.raises(ParameterError) as err:
        channel_key(image[..., :3], channel="alpha")
    assert err.value.field == "image" and "alpha" in str(err.value)
