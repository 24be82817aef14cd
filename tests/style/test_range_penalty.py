"""The range penalty (StyleLosses.range_weight): the optimised image stays in [0, 1], so
clipping the picture handed back no longer undoes part of the style."""
from __future__ import annotations

import pytest
import torch

from imgfusion.io.read import read_image
from imgfusion.io.samples import sample_path
from imgfusion.style import pipeline
from imgfusion.style.losses import range_loss
from imgfusion.style.transfer import neural_style
from imgfusion.trained import fast_measures as fm
from imgfusion.trained.data import resize_image
from imgfusion.trained.perceptual import build_loss, loss_options


def test_range_loss_is_zero_inside_and_pushes_values_back():
    x = torch.tensor([-0.5, 0.0, 0.3, 1.0, 1.2], requires_grad=True)
    loss = range_loss(x)
    loss.backward()
    assert loss.item() == pytest.approx((0.25 + 0.04) / 5)
    assert x.grad.tolist() == pytest.approx([-0.2, 0.0, 0.0, 0.0, 0.08])
    assert range_loss(torch.rand(3, 8, 8)).item() == 0.0


def _sample(name: str, side: int) -> np.ndarray:
    return resize_image(read_image(sample_path(f"sample:{name}"))[..., :3], (side, side))


def _run(content, style, monkeypatch, weight: float):
    seen = {}
    finish = pipeline.finish

    def keep_raw(run, x, hw):
        seen["raw"] = x.detach().float()
        return finish(run, x, hw)

    monkeypatch.setattr("imgfusion.style.transfer.finish", keep_raw)
    out = neural_style(content, style, size=64, iterations=150, range_weight=weight,
                       coarse_to_fine=0, device="cpu")
    return out.image, seen["raw"]


def test_bounded_run_stays_in_range_and_its_picture_is_closer_to_the_style(monkeypatch):
    """Astronaut after the Hubble field (a near-black style pulls values below 0), real
    weights, 64 px, 150 iterations."""
    torch.set_num_threads(1)
    content, style = _sample("astronaut", 64), _sample("hubble_deep_field", 96)
    free, free_raw = _run(content, style, monkeypatch, 0.0)
    bounded, bounded_raw = _run(content, style, monkeypatch, 100.0)
    outside = lambda raw: float(((raw < -0.05) | (raw > 1.05)).float().mean())
    print("outside [-0.05, 1.05]: free", outside(free_raw), "bounded", outside(bounded_raw))
    assert outside(free_raw) > 0.01 and outside(bounded_raw) < 0.25 * outside(free_raw)
    loss = build_loss(style, (64, 64), loss_options({}), torch.device("cpu"))
    d_free, d_bounded = fm.distances(loss, free, content), fm.distances(loss, bounded, content)
    print("picture style", d_free.style, d_bounded.style, "content", d_free.content,
          d_bounded.content)
    assert d_bounded.style < d_free.style
