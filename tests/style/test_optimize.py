import pytest
import torch

from imgfusion.style.optimize import MAX_STEP, NonFiniteLoss, Watch, optimize
from imgfusion.style.options import StyleSchedule as Schedule


def quadratic(target):
    def loss_fn(x):
        d = ((x - target) ** 2).sum()
        z = torch.zeros(())
        return {"content": d, "style": z, "tv": z, "total": d}
    return loss_fn


@pytest.mark.parametrize("opt", ["lbfgs", "adam"])
def test_loss_falls_and_history_is_complete(opt):
    target = torch.rand(1, 3, 8, 8)
    res = optimize(torch.zeros(1, 3, 8, 8), quadratic(target),
                   Schedule(opt, None if opt == "lbfgs" else 0.05, iterations=30))
    totals = [h["total"] for h in res.history]
    assert len(totals) == 30 and [h["iteration"] for h in res.history] == list(range(30))
    assert totals[-1] < 0.05 * totals[0]


def test_early_stop_on_tolerance():
    target = torch.rand(1, 3, 8, 8)
    res = optimize(torch.zeros(1, 3, 8, 8), quadratic(target),
                   Schedule(iterations=200, tolerance=1e-3, window=5))
    assert res.stopped == "tolerance" and len(res.history) < 200


def test_nan_stops_names_the_iteration_and_keeps_last_finite_image():
    calls = {"n": 0}
    target = torch.rand(1, 1, 4, 4)

    def loss_fn(x):
        calls["n"] += 1
        d = ((x - target) ** 2).sum()
        if calls["n"] == 4:
            d = d * float("nan")
        z = torch.zeros(())
        return {"content": d, "style": z, "tv": z, "total": d}

    seen = []
    with pytest.raises(NonFiniteLoss, match="iteration 3") as err:
        optimize(torch.zeros(1, 1, 4, 4), loss_fn, Schedule("adam", 0.1, iterations=10),
                 Watch(snapshot_every=1, on_snapshot=lambda k, x: seen.append(x.clone())))
    assert err.value.iteration == 3 and err.value.good_iteration == 2
    assert torch.equal(err.value.image, seen[1])  # the image iteration 2 started from
    assert len(err.value.history) == 3


def test_interrupt_keeps_latest_image_and_history():
    target = torch.rand(1, 3, 4, 4)
    calls = {"n": 0}

    def loss_fn(x):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return quadratic(target)(x)

    with pytest.raises(KeyboardInterrupt) as err:
        optimize(torch.zeros(1, 3, 4, 4), loss_fn, Schedule("adam", iterations=10))
    assert len(err.value.history) == 5 and err.value.image.shape == (1, 3, 4, 4)
    assert not torch.equal(err.value.image, torch.zeros(1, 3, 4, 4))


def test_progress_and_sync_every():
    calls = []
    target = torch.rand(1, 3, 4, 4)
    res = optimize(torch.zeros(1, 3, 4, 4), quadratic(target), Schedule("adam", iterations=10),
                   Watch(sync_every=4, progress=lambda done, total, **info: calls.append((done,
                                                                                         total))))
    assert calls == [(4, 10), (8, 10), (10, 10)] and len(res.history) == 10


def test_lbfgs_never_moves_a_pixel_more_than_max_step():
    """A far target: uncapped, L-BFGS's second step jumps the whole way (about 5 px units)."""
    target = 5 + torch.rand(1, 3, 8, 8)
    seen = [torch.zeros(1, 3, 8, 8)]
    res = optimize(seen[0], quadratic(target), Schedule(iterations=60),
                   Watch(snapshot_every=1, on_snapshot=lambda k, x: seen.append(x.clone())))
    moves = [float((b - a).abs().max()) for a, b in zip(seen, seen[1:])]
    assert max(moves) <= MAX_STEP * (1 + 1e-5) and max(moves) > 0.9 * MAX_STEP
    assert res.history[-1]["total"] < 1e-6 * res.history[0]["total"]


def test_lbfgs_on_relu1_1_gram_alone_does_not_blow_up():
    """relu1_1's Gram alone at a high style weight: without the step cap the loss rose
    7e8 / 956 at iteration 2 and 20 iterations ended at half the start."""
    from skimage import data

    from imgfusion.style.transfer import neural_style

    out = neural_style(data.chelsea() / 255.0, data.hubble_deep_field() / 255.0, size=32,
                       iterations=20,
                       style_weight=1000.0, style_layers=["relu1_1"], weights="random",
                       tolerance=0)
    totals = [row["total"] for row in out.loss_history]
    assert max(totals) <= totals[0] and totals[-1] < 0.02 * totals[0]
