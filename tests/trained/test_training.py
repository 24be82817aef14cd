"""The shared training loop: falls, resumes bit for bit, saves on Ctrl-C, refuses strangers."""
import math
import os
import signal

import pytest
import torch

from imgfusion.errors import ParameterError
from imgfusion.trained.training import (NonFiniteTraining, TrainingInterrupted, read_checkpoint,
                                        train)


class Spec:
    """A small regression with dropout (global RNG) and a data generator (spec RNG)."""

    def __init__(self, seed=0, lr=0.05, interrupt_at=None, nan_at=None):
        torch.manual_seed(seed)
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.2),
                                       torch.nn.Linear(8, 1))
        self.modules = {"net": self.net}
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.generators = {"data": torch.Generator().manual_seed(seed + 1)}
        self.signature = {"lr": lr, "seed": seed}
        self.w = torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
        self.interrupt_at, self.nan_at = interrupt_at, nan_at
        self.val_x = torch.randn(16, 4, generator=torch.Generator().manual_seed(99))

    def step(self, index):
        if index == self.interrupt_at:
            os.kill(os.getpid(), signal.SIGINT)   # Ctrl-C lands inside the step
        x = torch.randn(8, 4, generator=self.generators["data"])
        self.optimizer.zero_grad()
        loss = ((self.net(x) - x @ self.w) ** 2).mean()
        loss.backward()
        self.optimizer.step()
        return {"total": float("nan") if index == self.nan_at else loss.item()}

    def validate(self):
        assert not self.net.training
        return {"total": ((self.net(self.val_x) - self.val_x @ self.w) ** 2).mean().item()}


def _params(spec):
    return [p.detach().clone() for p in spec.net.parameters()]


def test_loss_falls_and_validation_is_reported(tmp_path):
    spec = Spec()
    result = train(spec, steps=60, validate_every=20, progress=False, plot=tmp_path / "loss.png")
    first = sum(r["total"] for r in result.history[:5])
    last = sum(r["total"] for r in result.history[-5:])
    assert last < 0.5 * first
    assert [r["step"] for r in result.validation] == [20, 40, 60]
    assert result.validation[-1]["total"] < result.validation[0]["total"]
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert spec.net.training


def test_resume_equals_uninterrupted_bit_for_bit(tmp_path):
    whole = Spec()
    train(whole, steps=10, progress=False)
    ckpt = tmp_path / "ckpt.pt"
    train(Spec(), steps=4, checkpoint=ckpt, checkpoint_every=2, progress=False)
    again = Spec()
    result = train(again, steps=10, checkpoint=ckpt, resume=True, progress=False)
    assert result.resumed_from == 4 and result.steps == 10 and len(result.history) == 10
    for a, b in zip(_params(whole), _params(again)):
        assert torch.equal(a, b)
    assert read_checkpoint(ckpt)["step"] == 10


def test_ctrl_c_saves_a_checkpoint_that_resumes_exactly(tmp_path):
    ckpt = tmp_path / "ckpt.pt"
    with pytest.raises(TrainingInterrupted) as err:
        train(Spec(interrupt_at=5), steps=10, checkpoint=ckpt, checkpoint_every=4,
              progress=False, plot=tmp_path / "loss.png")
    assert err.value.step == 6 and err.value.checkpoint == ckpt
    assert isinstance(err.value, KeyboardInterrupt)
    assert read_checkpoint(ckpt)["step"] == 6
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    whole = Spec()
    train(whole, steps=10, progress=False)
    again = Spec()
    train(again, steps=10, checkpoint=ckpt, resume=True, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(_params(whole), _params(again)))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_checkpoint_never_replaced_unasked_nor_mixed_up(tmp_path):
    ckpt = tmp_path / "ckpt.pt"
    train(Spec(), steps=2, checkpoint=ckpt, progress=False)
    before = ckpt.read_bytes()
    with pytest.raises(ParameterError, match="already exists; set resume"):
        train(Spec(), steps=2, checkpoint=ckpt, progress=False)
    assert ckpt.read_bytes() == before
    with pytest.raises(ParameterError,
                       match="another training run.s checkpoint .*lr.*resume: false and overwrite"):
        train(Spec(lr=0.1), steps=4, checkpoint=ckpt, resume=True, progress=False)
    train(Spec(lr=0.1), steps=2, checkpoint=ckpt, overwrite=True, progress=False)
    assert read_checkpoint(ckpt)["signature"]["lr"] == 0.1
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ParameterError, match="not a readable training checkpoint"):
        train(Spec(), steps=2, checkpoint=junk, resume=True, progress=False)


def test_non_finite_loss_stops_and_keeps_last_checkpoint(tmp_path):
    ckpt = tmp_path / "ckpt.pt"
    with pytest.raises(NonFiniteTraining, match="step 5"):
        train(Spec(nan_at=4), steps=8, checkpoint=ckpt, checkpoint_every=2, progress=False)
    assert read_checkpoint(ckpt)["step"] == 4


def test_progress_callback_gets_losses():
    calls = []
    def progress(done, total=None, **info):   # the engine's signature
        calls.append((done, total, info))
    train(Spec(), steps=3, validate_every=3, progress=progress)
    assert [c[:2] for c in calls] == [(1, 3), (2, 3), (3, 3)]
    assert math.isfinite(calls[-1][2]["loss"]) and "val_total" in calls[-1][2]


def test_a_spec_that_asks_to_stop_ends_training_after_that_validation():
    spec = Spec()
    asked = []
    spec.stop = lambda step: asked.append(step) or len(asked) == 2   # at the 2nd validation
    result = train(spec, steps=100, validate_every=10, progress=False)
    assert result.stopped and result.steps == 20 and len(result.history) == 20
    assert [r["step"] for r in result.validation] == [10, 20] and asked == [10, 20]
    plain = train(Spec(), steps=30, validate_every=10, progress=False)
    assert not plain.stopped and plain.steps == 30
