"""Training image sets: sources, sizes, crops, split, counts."""
import numpy as np
import pytest

from imgfusion.errors import ParameterError
from imgfusion.io.write import write_image
from imgfusion.trained.data import (count_folder, gather, image_set, random_crops, split)
from imgfusion.video.frames import from_frames


def _frames(n, shape=(12, 16)):
    return [np.full((*shape, 3), k / n, np.float32) for k in range(n)]


def test_sources_folder_list_video(tmp_path, smooth_image):
    for k in range(3):
        write_image(tmp_path / f"im{k}.png", smooth_image((10, 14), seed=k))
    (tmp_path / "notes.txt").write_text("not an image")
    assert count_folder(tmp_path, "images") == 3
    from_folder = gather(str(tmp_path), field="images")
    assert len(from_folder) == 3 and from_folder[0].shape == (10, 14, 3)
    grey = smooth_image((10, 14), channels=1)
    video = from_frames(_frames(10))
    got = gather([grey, video], field="images", every=3, limit=4)
    assert len(got) == 4 and got[0].shape == (10, 14, 3)
    assert np.array_equal(got[0][..., 0], got[0][..., 2])       # grey replicated
    assert [float(f[0, 0, 0]) for f in got[1:]] == pytest.approx([0.0, 0.3, 0.6])


def test_mixed_sizes_refused_by_name_or_resized(smooth_image):
    images = [smooth_image((10, 14)), smooth_image((12, 12))]
    with pytest.raises(ParameterError, match=r"2 different sizes \(10 x 14, 12 x 12\)") as err:
        image_set(images, field="content", validation=0)
    assert err.value.field == "content"
    s = image_set(images, field="content", size=(8, 8), validation=0)
    assert s.size == (8, 8) and all(im.shape == (8, 8, 3) for im in s.train)
    assert s.batch([0, 1]).shape == (2, 3, 8, 8)


def test_crops_seeded_and_inside_the_images(smooth_image):
    big = smooth_image((40, 50))
    a = random_crops([big], count=5, size=(16, 16), seed=3, field="content")
    b = random_crops([big], count=5, size=(16, 16), seed=3, field="content")
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], random_crops([big], count=1, size=(16, 16), seed=4,
                                                 field="content")[0])
    found = [any(np.array_equal(big[r:r + 16, c:c + 16], a[0]) for c in range(35))
             for r in range(25)]
    assert any(found)
    small = random_crops([smooth_image((8, 8))], count=1, size=(16, 16), seed=0, field="c")
    assert small[0].shape == (16, 16, 3)


def test_spanned_crops_cover_details_and_whole_photos():
    """crop_span: the crops' regions range from size px of the image to the span's share
    of its shorter side, scaled down to size (a ramp shows each crop's width)."""
    ramp = np.repeat(np.linspace(0, 1, 200, dtype=np.float32)[None, :, None], 120, 0)
    ramp = np.repeat(ramp, 3, 2)
    width = {span: [float(c[:, -1, 0].mean() - c[:, 0, 0].mean()) for c in random_crops(
        [ramp], count=40, size=(20, 20), seed=0, field="c", span=span)]
        for span in (0.0, 1.0, 0.5)}
    native = 19 / 199
    assert np.allclose(width[0.0], native, atol=1e-5)   # size px of the image each
    assert min(width[1.0]) > native - 0.01 and max(width[1.0]) > 4 * native
    assert max(width[1.0]) < 120 / 199 + 0.01   # at most the shorter side's square
    assert max(width[0.5]) < 60 / 199 + 0.01 and np.std(width[0.5]) > 0.02
    crops = random_crops([ramp], count=3, size=(20, 20), seed=0, field="c", span=1.0)
    assert all(c.shape == (20, 20, 3) for c in crops)
    again = random_crops([ramp], count=3, size=(20, 20), seed=0, field="c", span=1.0)
    assert all(np.array_equal(a, b) for a, b in zip(crops, again))   # seeded
    native = random_crops([ramp], count=5, size=(20, 20), seed=0, field="c")
    no_room = random_crops([ramp], count=5, size=(20, 20), seed=0, field="c", span=0.1)
    assert all(np.array_equal(a, b) for a, b in zip(native, no_room))   # 0.6 x 20 px: none


def test_more_images_than_crops_gives_a_crop_an_image(smooth_image):
    images = [smooth_image((20, 20), seed=k) for k in range(7)]
    few = image_set(images, field="content", size=(8, 8), crops=3, validation=0)
    assert len(few.train) == 7 and few.size == (8, 8)
    many = image_set(images, field="content", size=(8, 8), crops=12, validation=0)
    assert len(many.train) == 12


def test_split_and_too_few():
    images = _frames(10)
    train, val = split(images, validation=0.2, seed=0, field="content")
    assert len(train) == 8 and len(val) == 2
    ids = sorted(float(im[0, 0, 0]) for im in train + val)
    assert ids == sorted(float(im[0, 0, 0]) for im in images)
    with pytest.raises(ParameterError, match="1 image.*cannot be split"):
        split(images[:1], validation=0.1, seed=0, field="content")
    with pytest.raises(ParameterError, match="3 training images after the validation split; "
                                             "at least 4"):
        image_set(images[:4], field="content", validation=1, minimum=4)
