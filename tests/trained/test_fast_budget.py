"""The content budget: once the held-out photos lose the share of their content it allows,
training stops (``at_budget: stop``, the network kept is the last one within it) or goes
on with the content weighed up (``hold``, the network kept is the one with the least
style distance within it)."""
import warnings

import numpy as np
import pytest
import torch

from imgfusion.trained.data import resize_image
from imgfusion.trained.fast_budget import ContentBudget, ContentBudgetWarning
from imgfusion.trained.fast_train import train_fast_style
from imgfusion.trained.perceptual import build_loss, loss_options

pytestmark = pytest.mark.filterwarnings(
    "ignore::imgfusion.style.weights.RandomWeightsWarning",
    "ignore::imgfusion.trained.fast_balance.TrainingBalanceWarning")
LOSSES = dict(weights="random", content_layers=["relu2_1"], style_layers=["relu1_1", "relu2_1"])
TINY = dict(train_size=16, width=4, residual_blocks=1, batch_size=2, learning_rate=0.005,
            device="cpu", validation=0.25, colour_stage=False, progress=False,
            resample="nearest", **LOSSES)
# the budget's logic on the nearest network, whose first steps cross the budget
# gradually; the smooth network (the default) crosses it at the first check here, so the
# default network's budget is held by the bench and by test_fast_keeps_photo, not here


@pytest.fixture(scope="module")
def images():
    yy, xx = np.mgrid[0:20, 0:24]
    content = [np.clip(np.stack([np.sin(xx / (2 + k) + k), np.cos(yy / (3 + k)),
                                 (xx + yy) / 44], -1) * 0.4 + 0.5, 0, 1).astype(np.float32)
               for k in range(8)]
    sx = np.mgrid[0:32, 0:32][1]
    style = (np.sin(sx / 2.0)[..., None] * [0.5, 0.3, -0.4] + 0.2).astype(np.float32)
    return content, np.clip(style, 0, 1).astype(np.float32)


class Fade(torch.nn.Module):
    """Fades its input toward black by ``amount`` (a stand-in network to move)."""

    def __init__(self):
        super().__init__()
        self.amount = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x * (1 - self.amount)


def held_budget(images, share: float, every: int) -> tuple[Fade, ContentBudget]:
    """A stand-in network and a held budget measured on two of the content images."""
    content, style = images
    photos = [c[:16, :16] for c in content[:2]]
    loss = build_loss(style, (16, 16), loss_options(LOSSES), torch.device("cpu"))
    return Fade(), ContentBudget(share, loss, photos, style, torch.device("cpu"), every=every,
                                 hold=True)


def test_budget_keeps_the_last_network_within_it(images):
    content, style = images
    photos = [c[:16, :16] for c in content[:2]]
    loss = build_loss(style, (16, 16), loss_options(LOSSES), torch.device("cpu"))
    net = Fade()
    budget = ContentBudget(0.3, loss, photos, style, torch.device("cpu"))
    shares = []
    for step, amount in enumerate((0.0, 0.1, 0.2, 0.6, 0.9), 1):
        net.amount.data.fill_(amount)
        over = budget.check(net, step)
        shares.append(budget.last)
        assert over == (budget.last > 0.3)
    assert shares == sorted(shares) and shares[0] == 0 and shares[-1] > 0.3
    within = max(i for i, s in enumerate(shares) if s <= 0.3)
    assert budget.kept_step == within + 1
    assert budget.restore(net, 5) == within + 1
    assert float(net.amount.detach()) == pytest.approx((0.0, 0.1, 0.2, 0.6, 0.9)[within])
    assert budget.measure(net) <= 0.3
    assert not ContentBudget(0.0, loss, photos, style, torch.device("cpu")).check(net, 1)


def test_training_stops_at_the_budget_and_the_model_keeps_the_photo(images, tmp_path):
    content, style = images
    runs = {budget: train_fast_style(content, style, path=str(tmp_path / f"{budget}.safetensors"),
                                     steps=60, validate_every=3, content_budget=budget,
                                     at_budget="stop", **TINY)
            for budget in (0.0, 0.4)}
    free, held = runs[0.0].report, runs[0.4].report
    assert free["train_images"] + free["validation_images"] == 48   # crops by default
    assert not free["content_budget"]["stopped"] and free["steps"] == 60
    kept = held["content_budget"]
    assert kept["stopped"] and held["steps"] < 60 and kept["held_out_share"] > 0.4
    assert kept["kept_step"] == held["steps"] - 3
    assert kept["kept_share"] <= 0.4
    short = train_fast_style(content, style, path=str(tmp_path / "short.safetensors"),
                             steps=kept["kept_step"], validate_every=3, at_budget="stop",
                             **TINY)
    for name in ("loss", "validation_loss"):   # the kept network's rows, not the stop's
        assert held[name]["step"] == kept["network_step"] == kept["kept_step"]
        assert held[name] == short.report[name]
    assert runs[0.4].model.meta["training"]["steps"] == kept["kept_step"]
    assert free["content_budget"]["network_step"] == 60
    same = short.model.net.state_dict()
    assert all(torch.equal(v, same[k]) for k, v in runs[0.4].model.net.state_dict().items())
    loss = build_loss(style, (16, 16), loss_options(LOSSES), torch.device("cpu"))
    every = ContentBudget(1.0, loss, [resize_image(c, (16, 16)) for c in content], style, "cpu")
    assert every.measure(runs[0.4].model.net) < 0.8 * every.measure(runs[0.0].model.net)


def test_early_checks_keep_a_network_when_the_first_periodic_check_is_past(images):
    content, style = images
    photos = [c[:16, :16] for c in content[:2]]
    loss = build_loss(style, (16, 16), loss_options(LOSSES), torch.device("cpu"))
    net, budget = Fade(), ContentBudget(0.3, loss, photos, style, torch.device("cpu"), every=8)
    budget.start(net)
    assert budget.kept_step == 0 and budget.kept_share == 0
    checked = []
    for step in range(1, 8):
        net.amount.data.fill_(0.02 * step)
        before = budget.last
        budget.early(net, step)
        checked += [step] if budget.last != before else []
    assert checked == [1, 2, 4]          # the powers of two below the periodic spacing
    net.amount.data.fill_(0.9)
    assert budget.check(net, 8)          # the periodic check: past the budget
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert budget.restore(net, 8) == 4
    assert float(net.amount.detach()) == pytest.approx(0.08)
    fresh, late = Fade(), ContentBudget(0.3, loss, photos, style, torch.device("cpu"), every=0)
    late.start(fresh)                    # no early checks: nothing trained within the budget
    fresh.amount.data.fill_(0.9)
    late.early(fresh, 1)
    assert late.check(fresh, 8)
    with pytest.warns(ContentBudgetWarning, match="untrained network"):
        assert late.restore(fresh, 8) == 0
    assert float(fresh.amount.detach()) == 0


@pytest.mark.parametrize("at_budget", ["stop", "hold"])
def test_a_budget_no_trained_step_meets_gives_back_the_photo(images, tmp_path, at_budget):
    content, style = images
    with pytest.warns(ContentBudgetWarning, match="validate_every"):
        run = train_fast_style(content, style, path=str(tmp_path / "m.safetensors"), steps=12,
                               validate_every=6, content_budget=1e-6, at_budget=at_budget,
                               **TINY)
    kept = run.report["content_budget"]
    assert kept["stopped"] == (at_budget == "stop")
    assert kept["kept_step"] == 0 == kept["network_step"]
    photo = content[0][:16, :16]
    assert np.allclose(run.model(photo, "cpu"), photo, atol=1e-6)
    balance = run.report["balance"]   # one story: the trained networks lost the photos
    assert balance["dominates"] == "style" and "content_budget" in balance["advice"]


def test_a_photo_that_is_the_style_image_is_left_out(images):
    content, style = images
    photos = [c[:16, :16] for c in content[:2]]
    loss = build_loss(style, (16, 16), loss_options(LOSSES), torch.device("cpu"))
    same = ContentBudget(0.3, loss, photos + [style[:16, :16]], style[:16, :16], "cpu")
    assert len(same.photos) == 2
    net = Fade()
    net.amount.data.fill_(0.1)
    assert np.isfinite(same.measure(net)) and not same.check(net, 1)
    alone = ContentBudget(0.3, loss, [style[:16, :16]], style[:16, :16], "cpu")
    assert not alone.photos and not alone.check(net, 1)   # nothing to measure: no budget


def test_a_resumed_run_hands_back_the_network_kept_before_the_interruption(images, tmp_path):
    content, style = images
    run = dict(validate_every=3, content_budget=0.4, at_budget="stop", **TINY)
    whole = train_fast_style(content, style, path=str(tmp_path / "whole.safetensors"),
                             steps=60, **run)
    kept = whole.report["content_budget"]
    assert kept["stopped"] and kept["kept_step"] > 0
    ckpt = str(tmp_path / "ckpt.pt")   # interrupted one step after the last kept network
    train_fast_style(content, style, path=str(tmp_path / "part.safetensors"), checkpoint=ckpt,
                     steps=kept["kept_step"] + 1, **run)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ContentBudgetWarning)
        resumed = train_fast_style(content, style, path=str(tmp_path / "resumed.safetensors"),
                                   checkpoint=ckpt, resume=True, steps=60, **run)
    back = resumed.report["content_budget"]
    assert back["network_step"] == kept["kept_step"] and back["kept_share"] <= 0.4
    assert resumed.report["steps"] == whole.report["steps"]
    same = whole.model.net.state_dict()
    assert all(torch.equal(v, same[k]) for k, v in resumed.model.net.state_dict().items())
    again = train_fast_style(content, style, path=str(tmp_path / "again.safetensors"),
                             checkpoint=ckpt, resume=True, steps=60, **run)
    assert again.report["steps"] == whole.report["steps"]   # a stopped run stays stopped
    assert again.report["content_budget"]["network_step"] == kept["kept_step"]


def test_a_held_budget_weighs_content_up_past_it_and_keeps_the_least_style_within_it(images):
    net, budget = held_budget(images, 0.3, 1)
    seen, multipliers = [], []
    for step, amount in enumerate((0.0, 0.1, 0.6, 0.9, 0.2, 0.15), 1):
        net.amount.data.fill_(amount)
        assert not budget.check(net, step)          # held: never stopped
        seen.append((step, budget.last, budget.style))
        multipliers.append(budget.multiplier)
    over = [s > 0.3 for _, s, _ in seen]
    assert over == [False, False, True, True, False, False]
    assert multipliers[0] == multipliers[1] == 1.0                  # within: left at 1
    assert multipliers[3] > multipliers[2] > 1.0                    # past it: weighed up
    assert 1.0 <= multipliers[5] < multipliers[4] < multipliers[3]  # back within: down
    best = min((st, step) for step, s, st in seen if s <= 0.3)[1]
    assert budget.kept_step == best
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert budget.restore(net, 6) == best
    assert float(net.amount.detach()) == pytest.approx((0.0, 0.1, 0.6, 0.9, 0.2, 0.15)[best - 1])


def test_holding_the_budget_trains_every_step_and_keeps_the_least_style_within_it(
        images, tmp_path, monkeypatch):
    content, style = images
    run = dict(steps=60, validate_every=3, content_budget=0.4, **TINY)
    stop = train_fast_style(content, style, path=str(tmp_path / "stop.safetensors"),
                            at_budget="stop", **run).report
    seen, check = [], ContentBudget.check

    def logged(self, net, step, move=True):
        out = check(self, net, step, move)
        seen.append((step, self.last, self.style, self.multiplier))
        return out

    monkeypatch.setattr(ContentBudget, "check", logged)
    hold = train_fast_style(content, style, path=str(tmp_path / "hold.safetensors"),
                            at_budget="hold", **run)
    stopped, held = stop["content_budget"], hold.report["content_budget"]
    assert stopped["stopped"] and stop["steps"] < 60
    assert not held["stopped"] and hold.report["steps"] == 60 and held["at_budget"] == "hold"
    within = [(st, step) for step, share, st, _ in seen if share <= 0.4 and step > 0]
    assert held["kept_step"] == held["network_step"] == min(within)[1] > stopped["kept_step"]
    first_over = next(i for i, (step, share, _, _) in enumerate(seen) if share > 0.4 and step >= 3)
    assert seen[first_over][3] > 1.0 == seen[first_over - 1][3]   # weighed up past the budget
    assert len({step for step, *_ in seen}) == len(seen)   # no step measured twice
    assert held["multiplier"] == pytest.approx(seen[-1][3], rel=1e-3)
    rows = hold.report["loss_history"]   # the recorded total is the plain loss
    assert all(r["total"] == pytest.approx(r["content"] + r["style"] + r["tv"]
                                           + r.get("stability", 0.0), rel=1e-4) for r in rows)


def test_a_held_run_resumed_hands_back_what_an_uninterrupted_one_would(images, tmp_path):
    content, style = images
    run = dict(validate_every=3, content_budget=0.4, at_budget="hold", **TINY)
    whole = train_fast_style(content, style, path=str(tmp_path / "whole.safetensors"),
                             steps=45, **run)
    for cut in (30, 31):   # at a periodic check, and between two
        ckpt = str(tmp_path / f"ckpt{cut}.pt")
        train_fast_style(content, style, path=str(tmp_path / f"part{cut}.safetensors"),
                         checkpoint=ckpt, steps=cut, **run)
        resumed = train_fast_style(content, style, path=str(tmp_path / f"r{cut}.safetensors"),
                                   checkpoint=ckpt, resume=True, steps=45, **run)
        a, b = whole.report["content_budget"], resumed.report["content_budget"]
        assert (b["kept_step"], b["multiplier"]) == (a["kept_step"], a["multiplier"])
        same = whole.model.net.state_dict()
        assert all(torch.equal(v, same[k]) for k, v in resumed.model.net.state_dict().items())


def test_a_held_budget_prefers_any_trained_network_within_it_to_the_photo(images):
    net, budget = held_budget(images, 0.3, 8)
    budget.start(net)
    photo_style = budget.style
    net.amount.data.fill_(-0.1)   # brighter: within the budget, but more style distance
    budget.early(net, 4)
    assert budget.style > photo_style and budget.kept_step == 4
    net.amount.data.fill_(0.9)
    budget.early(net, 2)          # past the budget before the periodic checks: not weighed
    assert budget.last > 0.3 and budget.multiplier == 1.0
    assert not budget.check(net, 8) and budget.multiplier > 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert budget.restore(net, 8) == 4


def test_a_held_budget_keeps_no_network_darker_than_the_style_and_half_the_photo(images):
    net, budget = held_budget(images, 0.9, 1)
    net.amount.data.fill_(0.5)
    budget.check(net, 1)
    kept_style = budget.style
    assert not budget.reached
    net.amount.data.fill_(0.6)    # within the share, less style distance, but collapsed
    budget.check(net, 2)
    assert budget.last <= 0.9 and budget.style < kept_style and budget.dark
    assert budget.kept_step == 1 and budget.multiplier > 1.0   # not kept; content weighed up
    assert budget.reached   # a collapse is past the budget: no advice to train longer


def test_a_run_short_of_the_budget_still_gaining_style_is_told_to_train_longer(images, tmp_path):
    """The advice names steps only when no check reached the budget and (held) the
    network kept is from the run's last tenth."""
    from types import SimpleNamespace

    from imgfusion.trained.fast_balance import balance, room_left

    content, style = images
    slow = {**TINY, "learning_rate": 3e-4}   # 9 steps: share about 0.6, under 0.7
    runs = {(budget, at, steps): train_fast_style(
                content, style, path=str(tmp_path / f"{budget}{at}{steps}.safetensors"),
                steps=steps, validate_every=3, content_budget=budget, at_budget=at,
                **(slow if budget == 0.7 else TINY)).report
            for budget, at, steps in ((0.7, "stop", 9), (0.7, "hold", 9), (0.4, "stop", 30),
                                      (0.0, "hold", 9))}
    for at in ("stop", "hold"):
        report = runs[0.7, at, 9]
        assert report["content_budget"]["held_out_share"] < 0.7
        assert report["balance"]["dominates"] == "neither"
        assert "train longer (steps, now 9)" in report["balance"]["advice"]
        assert "style_weight" not in report["balance"]["advice"]   # instead of a weight
    assert runs[0.4, "stop", 30]["content_budget"]["stopped"]   # reached it: no advice
    assert "train longer" not in runs[0.4, "stop", 30]["balance"]["advice"]
    assert "train longer" not in runs[0.0, "hold", 9]["balance"]["advice"]   # no budget
    early = SimpleNamespace(photos=[0], last=0.3, reached=False, share=0.5, hold=True,
                            kept_step=50)
    assert room_left(early, 100) is None and room_left(early, 55) is not None
    assert room_left(SimpleNamespace(**{**vars(early), "reached": True}), 55) is None
    rows = [{"step": 9, "content": 1.0, "style": 1.0}]
    figures = {"content_share": 0.4, "style_share": 0.3, "luminance_ratio": 1.0}
    weights = {"style_weight": 30, "content_weight": 1}
    overfit = balance(rows, [{"step": 9, "content": 2.0}], figures, weights, early, 55)
    assert "train longer" not in overfit["advice"] and "more crops" in overfit["advice"]
    assert "train longer" in balance(rows, [{"step": 9, "content": 1.2}], figures, weights,
                                     early, 55)["advice"]
