import numpy as np
import pytest

from imgfusion.style import estimates as budget, pipeline, transfer


def test_large_content_warns_with_time_and_memory_before_running(monkeypatch):
    class Stop(Exception):
        pass

    def stop(*args, **kwargs):
        raise Stop
    monkeypatch.setattr(pipeline, "load_features", stop)  # nothing is optimised
    big = np.zeros((1100, 1000, 3), np.float32)
    with pytest.warns(budget.LargeImageWarning) as record, pytest.raises(Stop):
        # one level: with coarse_to_fine the warning speaks of the full-size level only
        transfer.neural_style(big, big, iterations=300, device="cpu", coarse_to_fine=0)
    msg = str(record[0].message)
    assert "1100 x 1000 px" in msg and "GiB" in msg and "300 iterations" in msg
    assert "size" in msg and ("min" in msg or " s " in msg or " h " in msg)


def test_small_content_keeps_its_size_and_does_not_warn(recwarn, smooth_image):
    out = transfer.neural_style(smooth_image((24, 40), 1), smooth_image((30, 30), 2),
                                weights="random", iterations=2, device="cpu",
                                style_layers=["relu1_1"], content_layers=["relu1_1"]).image
    assert out.shape == (24, 40, 3)
    assert not [w for w in recwarn if issubclass(w.category, budget.LargeImageWarning)]


def test_estimate_grows_with_pixels_depth_and_iterations():
    est = budget.estimate_seconds
    base = est((256, 256), 21, 10, "cpu")
    assert base > 0
    assert est((512, 512), 21, 10, "cpu") == pytest.approx(4 * base, rel=0.01)
    assert est((256, 256), 21, 20, "cpu") == pytest.approx(2 * base, rel=0.01)
    assert est((256, 256), 29, 10, "cpu") > base
