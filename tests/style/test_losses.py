from dataclasses import replace

import numpy as np
import pytest
import torch

from imgfusion.errors import ParameterError
from imgfusion.style.encoder import VGGEncoder
from imgfusion.style.guides import propagate_guide
from imgfusion.style.layers import geometry
from imgfusion.style.losses import (GramStyleLoss, blended_gram_targets, content_loss, gram,
                                    guided_gram_targets, tv_loss)
from imgfusion.style.weights import random_features

LAYERS = ["relu1_1", "relu2_1", "relu3_1"]


@pytest.fixture(scope="module")
def encoder():
    return VGGEncoder(random_features(0, 12), LAYERS)


def test_gram_is_mean_outer_product_and_size_independent():
    f = torch.rand(1, 4, 5, 6, dtype=torch.float64)
    x = f.reshape(4, 30)
    assert torch.allclose(gram(f)[0].double(), (x @ x.T / 30).float().double(), atol=1e-6)
    tiled = f.repeat(1, 1, 2, 3)  # same statistics on a 6x larger map
    assert torch.allclose(gram(tiled), gram(f), atol=1e-6)


def test_all_ones_guide_gives_exactly_the_unguided_loss(encoder):
    x, s = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    weights = {n: 1.0 / 3 for n in LAYERS}
    fs, fx = encoder(s), encoder(x)
    plain = GramStyleLoss(blended_gram_targets([fs], [1.0], LAYERS), weights)(fx).item()
    for mode in ("simple", "all", "inside"):
        targets = guided_gram_targets([fs], [torch.ones(32, 32)], LAYERS, mode=mode)
        guided = GramStyleLoss(targets, weights, input_guides=torch.ones(1, 32, 32), mode=mode)
        assert guided(fx).item() == plain


def test_guided_gram_uses_only_the_region(encoder):
    f = torch.rand(1, 8, 10, 10)
    g = torch.zeros(10, 10)
    g[:, :4] = 1
    inside = f[..., :4].reshape(8, -1)
    assert torch.allclose(gram(f, g)[0, 0], inside @ inside.T / inside.shape[1], atol=1e-6)
    assert torch.count_nonzero(gram(f, torch.zeros(10, 10))) == 0


def halves(h=48, w=48):
    left = torch.zeros(h, w)
    left[:, : w // 2 - 3] = 1  # boundary not on a pooling grid line
    return torch.stack([left, 1 - left])


@pytest.mark.parametrize("layer", ["relu1_1", "relu2_1", "relu3_1", "relu5_1"])
def test_guides_partition_as_their_mode_says(layer):
    guides = halves()
    n_pools = {"relu1_1": 0, "relu2_1": 1, "relu3_1": 2, "relu5_1": 4}[layer]
    hw = (48 >> n_pools, 48 >> n_pools)
    simple = propagate_guide(guides, layer, hw, "simple")
    every = propagate_guide(guides, layer, hw, "all")
    inside = propagate_guide(guides, layer, hw, "inside")
    assert torch.allclose(simple.sum(0), torch.ones(hw))          # partition of unity
    assert (every.sum(0) >= 1).all()                                # a cover: overlap allowed
    assert (inside.sum(0) <= 1).all()                               # disjoint: gaps allowed
    assert (inside <= (simple > 0).float()).all() and ((simple > 0).float() <= every).all()
    assert (every.sum(0) > 1).any() and (inside.sum(0) < 1).any()   # the boundary band
    g = geometry(layer)
    for col in range(hw[1]):  # 'all' / 'inside' by the receptive field, column by column
        lo, hi = max(0, g.start + col * g.stride), min(47, g.start + col * g.stride + g.size - 1)
        region = guides[0, 0, lo:hi + 1]
        assert every[0, 0, col] == region.max() and inside[0, 0, col] == region.min()


def test_guide_dilation_grows_and_shrinks():
    g = torch.zeros(16, 16)
    g[6:10, 6:10] = 1
    base = propagate_guide(g, "relu1_1", (16, 16), "simple")
    grown = propagate_guide(g, "relu1_1", (16, 16), "simple", dilation=1)
    shrunk = propagate_guide(g, "relu1_1", (16, 16), "simple", dilation=-1)
    assert grown.sum() == 36 and base.sum() == 16 and shrunk.sum() == 4
    ones = propagate_guide(torch.ones(16, 16), "relu2_1", (8, 8), "inside", dilation=-2)
    assert (ones == 1).all()
    with pytest.raises(ParameterError):
        propagate_guide(g, "relu1_1", (16, 16), "nearest")


def test_blend_targets_and_simple_losses():
    a, b = torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4)
    t = blended_gram_targets([{"l": a}, {"l": b}], [0.25, 0.75], ["l"])
    assert torch.allclose(t["l"], 0.25 * gram(a)[0] + 0.75 * gram(b)[0])
    assert content_loss({"l": a}, {"l": a}, {"l": 1.0}).item() == 0
    assert torch.isclose(content_loss({"l": a}, {"l": b}, {"l": 2.0}),
                         2 * ((a - b) ** 2).sum() / (b ** 2).sum())
    assert content_loss({"l": torch.zeros_like(b)}, {"l": b}, {"l": 1.0}).item() == pytest.approx(1)
    ramp = torch.arange(5.0).view(1, 1, 1, 5).expand(1, 1, 5, 5)
    assert tv_loss(ramp).item() == 1.0


@pytest.mark.parametrize("guided", [False, True])
def test_gram_gradient_matches_plain_autograd(guided):
    torch.manual_seed(0)
    f = torch.rand(2, 5, 6, 7, requires_grad=True)
    g = torch.rand(3, 6, 7) if guided else None
    x = f.reshape(2, 5, 42)
    if guided:
        xg = x.unsqueeze(1) * g.reshape(1, 3, 1, 42)
        ref = xg @ xg.transpose(-1, -2) / (g.reshape(1, 3, 1, 42) ** 2).sum(-1, keepdim=True)
    else:
        ref = x @ x.transpose(1, 2) / 42
    w = torch.rand_like(ref)
    ours, = torch.autograd.grad((gram(f, g) * w).sum(), f)
    expected, = torch.autograd.grad((ref * w).sum(), f)
    assert torch.allclose(gram(f, g), ref, atol=1e-6)
    assert torch.allclose(ours, expected, atol=1e-5)


def test_guided_loss_gives_each_region_its_own_style(encoder):
    """Left half styled after one image, right half after another (Gatys 2017 spatial control)."""
    from imgfusion.style.optimize import optimize
    from imgfusion.style.options import StyleSchedule

    torch.manual_seed(1)
    layers = {"relu1_1": 0.5, "relu2_1": 0.5}
    a = torch.rand(1, 3, 24, 24) * 0.5                     # dark, noisy
    b = torch.linspace(0, 1, 24).view(1, 1, 1, 24).expand(1, 3, 24, 24).contiguous()  # ramp
    fa, fb = encoder(a), encoder(b)
    guides = torch.zeros(2, 24, 48)
    guides[0, :, :24], guides[1, :, 24:] = 1, 1
    targets = guided_gram_targets([fa, fb], [None, None], layers, mode="inside")
    loss = GramStyleLoss(targets, layers, input_guides=guides, mode="inside")

    def loss_fn(x):
        s = 1e3 * loss(encoder(x))
        z = torch.zeros(())
        return {"content": z, "style": s, "tv": z, "total": s}
    res = optimize(torch.rand(1, 3, 24, 48), loss_fn, StyleSchedule(iterations=60))
    out = encoder(res.image)
    for name in layers:
        left, right = gram(out[name][..., : out[name].shape[-1] // 2]), gram(
            out[name][..., out[name].shape[-1] // 2:])
        ga, gb = gram(fa[name]), gram(fb[name])
        assert ((left - ga) ** 2).sum() < 0.2 * ((left - gb) ** 2).sum()
        assert ((right - gb) ** 2).sum() < 0.2 * ((right - ga) ** 2).sum()
    assert res.history[-1]["total"] < 0.05 * res.history[0]["total"]


@pytest.mark.parametrize("scale", [2.0 ** -10, 2.0 ** 10])  # powers of 2: exact in floats
def test_optimisation_unchanged_when_every_feature_is_scaled(tmp_path, scale, smooth_image):
    """Scale-free losses: a network whose every feature is ``scale`` x another's (first
    convolution and every bias multiplied by it) gives the same optimisation, so the
    same content_weight and style_weight fit any weights set.  (L-BFGS amplifies
    rounding, so the constants are powers of two, which scale floats exactly.)"""
    from imgfusion.style.options import StyleInit, StyleLosses, StyleSchedule
    from imgfusion.style.transfer import neural_style

    gen = torch.Generator().manual_seed(5)
    state = {k: (v if k.endswith("weight") else 0.1 * torch.randn(v.shape, generator=gen))
             for k, v in random_features(1, 37).items()}
    scaled = {k: v * scale if (k == "0.weight" or k.endswith("bias")) else v
              for k, v in state.items()}
    paths = []
    for name, sd in (("plain", state), ("scaled", scaled)):
        paths.append(tmp_path / f"{name}.pth")
        torch.save(sd, paths[-1])
    content, style = smooth_image((32, 32), 3), smooth_image((32, 32), 4)
    losses = StyleLosses(content_layers=["relu2_2"], style_layers=["relu1_1", "relu2_1", "relu3_1"],
                         style_weight=10.0, tv_weight=1.0)
    kw = dict(schedule=StyleSchedule(iterations=10), device="cpu", init=StyleInit("noise"))
    a = neural_style(content, style, losses=replace(losses, weights=str(paths[0])), **kw)
    b = neural_style(content, style, losses=replace(losses, weights=str(paths[1])), **kw)
    assert np.abs(a.image - b.image).max() < 1e-6
    for ha, hb in zip(a.loss_history, b.loss_history):
        assert ha["total"] == pytest.approx(hb["total"], rel=1e-6)
    assert a.loss_history[-1]["total"] < 0.5 * a.loss_history[0]["total"]  # it did optimise



def _cell_errors(f, target, grid):
    from imgfusion.style.losses import _relative_error, grid_cells, squared_norm

    norm = squared_norm(target, dims=(-1, -2))
    return torch.stack([_relative_error(gram(c), target, norm) for c in grid_cells(f, grid)])


def test_the_grid_power_mean_is_the_mean_when_cells_agree_and_lifts_the_worst_cell():
    g = torch.Generator().manual_seed(0)
    target = gram(torch.rand(1, 6, 16, 16, generator=g))
    same = torch.rand(1, 6, 8, 8, generator=g).repeat(1, 1, 2, 2)   # four identical cells
    losses = {p: GramStyleLoss({"a": target}, {"a": 1.0}, grid=2, power=p) for p in (1, 2)}
    assert torch.allclose(losses[1]({"a": same}), losses[2]({"a": same}), rtol=1e-6)
    matched = same.clone().requires_grad_(True)     # every cell is the style: loss 0
    exact = GramStyleLoss({"a": gram(same)}, {"a": 1.0}, grid=2, power=2)({"a": matched})
    exact.backward()
    assert float(exact.detach()) < 1e-12 and torch.isfinite(matched.grad).all()
    start = torch.rand(1, 6, 16, 16, generator=g)
    start[..., :8, :8] *= 3      # one cell of strong features: the content term holds it
    worst, spread = {}, {}
    for p, loss in losses.items():
        f = start.clone().requires_grad_(True)
        opt = torch.optim.LBFGS([f], max_iter=50, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            total = (f - start).pow(2).sum() / start.pow(2).sum() + loss({"a": f})
            total.backward()
            return total
        opt.step(closure)
        errors = _cell_errors(f.detach(), target, 2)
        worst[p], spread[p] = float(errors.max()), float(errors.max() / errors.median())
    assert worst[2] < 0.5 * worst[1] and spread[2] < 0.2 * spread[1]   # it caught up


def test_the_grid_keeps_cells_of_40_px_beyond_two_by_two():
    from imgfusion.style.losses import grid_for

    assert [grid_for(4, (s, 2 * s)) for s in (32, 100, 128, 170, 256)] == [2, 2, 3, 4, 4]
    assert grid_for(1, (512, 512)) == 1 and grid_for(2, (40, 40)) == 2   # as asked up to 2
