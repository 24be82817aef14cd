"""Time to quality: early stopping on by default, coarse to fine above a size, presets that
do what their help says, and the tile-wise evenness measure."""
import numpy as np
import pytest

from imgfusion.style.evenness import tile_distances, tiles, unevenness
from imgfusion.style.options import QUALITY_PRESETS, StyleSchedule, with_quality
from imgfusion.style.pyramid import coarse_to_fine
from imgfusion.style.transfer import neural_style

TINY = dict(weights="random", device="cpu", content_layers=["relu2_1"],
            style_layers=["relu1_1", "relu2_1"], seed=1)


def test_early_stopping_stops_by_default(content, style):
    history = neural_style(content, style, iterations=400, **TINY).loss_history
    assert StyleSchedule().tolerance > 0
    assert len(history) < 400
    old, new = history[-1 - StyleSchedule().window]["total"], history[-1]["total"]
    assert abs(old - new) <= StyleSchedule().tolerance * abs(old)


def test_coarse_to_fine_above_the_threshold_only():
    assert coarse_to_fine([(None, 100)], (300, 400), 512) == [(None, 100)]
    assert coarse_to_fine([(600, 100)], (300, 400), 512) == [((225, 300), 100),
                                                              ((450, 600), 40)]
    assert coarse_to_fine([(600, 100)], (300, 400), 0) == [(600, 100)]
    given = [(100, 10), (600, 5)]
    assert coarse_to_fine(given, (300, 400), 512) == given


def test_coarse_to_fine_by_default_above_128_px():
    """The default (chosen in bench/time_to_quality.py): a 160 px output starts at 80 px,
    a 128 px one runs at full size only."""
    above = StyleSchedule().coarse_to_fine
    assert coarse_to_fine([(None, 300)], (160, 120), above) == [((80, 60), 300),
                                                                 ((160, 120), 120)]
    assert coarse_to_fine([(None, 300)], (128, 96), above) == [(None, 300)]


def test_coarse_to_fine_runs_two_levels(content, style):
    history = neural_style(content, style, iterations=10, tolerance=0, coarse_to_fine=32,
                           **TINY).loss_history
    assert [sum(h["level"] == k for h in history) for k in (0, 1)] == [10, 4]


def test_presets_differ_as_they_claim(content, style):
    draft, standard, best = (with_quality(StyleSchedule(quality=q))
                             for q in ("draft", "standard", "best"))
    assert draft.iterations < standard.iterations < best.iterations
    assert draft.coarse_to_fine <= standard.coarse_to_fine < best.coarse_to_fine
    assert best.tolerance < standard.tolerance and draft.window < standard.window
    assert standard == with_quality(StyleSchedule(quality="standard"))
    for name, preset in QUALITY_PRESETS.items():
        resolved = with_quality(StyleSchedule(quality=name))
        assert {k: getattr(resolved, k) for k in preset} == preset
    # a field given another value than its default keeps it
    assert with_quality(StyleSchedule(quality="best", iterations=7)).iterations == 7
    runs = {q: neural_style(content, style, quality=q, **TINY).loss_history
            for q in ("draft", "best")}
    assert len(runs["draft"]) <= 100 < len(runs["best"])
    assert runs["best"][-1]["total"] < runs["draft"][-1]["total"]


def test_tiles_cover_the_image_once():
    image = np.arange(10 * 9 * 3, dtype=np.float32).reshape(10, 9, 3)
    parts = tiles(image, 4)
    assert len(parts) == 16 and sum(p.size for p in parts) == image.size
    assert unevenness([1, 1, 1, 2]) == 2 and unevenness([3, 3, 3]) == 1


def test_evenness_sees_an_unstyled_half(hubble):
    """The style texture everywhere is even; half texture, half flat grey is not."""
    texture = np.ascontiguousarray(hubble[:128, :128, :3])
    half = texture.copy()
    half[:, :64] = 0.5
    even = tile_distances(texture, texture, weights="original")
    uneven = tile_distances(half, texture, weights="original")
    print(f"worst / median: {even.ratio:.2f} textured, {uneven.ratio:.2f} half grey")
    assert uneven.distances[:, :2].min() > 2 * uneven.distances[:, 2:].max()
    assert np.array_equal(uneven.distances[:, 2:], even.distances[:, 2:])
    assert even.distances.max() < uneven.distances[:, :2].min()


@pytest.fixture(scope="module")
def hubble():
    from imgfusion.io.read import read_image
    from imgfusion.io.samples import sample_path
    return read_image(sample_path("sample:hubble_deep_field"))
