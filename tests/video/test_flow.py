"""Optical flow against known motion, Ruder's consistency tests, warping."""
import numpy as np
import pytest
from scipy import ndimage as ndi

from imgfusion.errors import ParameterError
from imgfusion.video.flow import (consistency, dense_flow, flow_to_rgb, motion_boundary,
                                  out_of_frame, round_trip_failure, warp)
from imgfusion.video.flow_op import optical_flow
from imgfusion.video.synthetic import camera_clip
from imgfusion.video.temporal import long_term_weights


@pytest.fixture(scope="module")
def clip(astronaut, coffee):
    return camera_clip(astronaut, coffee, frames=4, size=(96, 96), pan=(1.5, 2.5), zoom=1.02,
                       velocity=(0.0, 3.0))


def textured(frame, disc, margin=6):
    """Pixels where flow is determined (the structure tensor's smaller eigenvalue is
    large: texture in two directions), away from the frame border and the disc's outline."""
    gy, gx = np.gradient(ndi.gaussian_filter(frame.mean(-1), 0.7))
    jyy, jxx, jxy = [ndi.gaussian_filter(v, 2) for v in (gy * gy, gx * gx, gx * gy)]
    smaller = (jyy + jxx) / 2 - np.sqrt(((jyy - jxx) / 2) ** 2 + jxy ** 2)
    edge = ndi.binary_dilation(disc ^ ndi.binary_erosion(disc), iterations=4)
    inner = np.zeros(disc.shape, bool)
    inner[margin:-margin, margin:-margin] = True
    return (smaller > 3e-4) & inner & ~edge


def test_dis_flow_matches_the_known_motion(clip):
    """Default preset (medium): mean end-point error below 0.5 px on textured pixels, the
    disc (moving against the background) included.  (The fast preset's mean is ~0.55 px.)"""
    for t in range(3):
        a, b = clip.frames[t], clip.frames[t + 1]
        mask = textured(a, clip.discs[t])
        assert mask.mean() > 0.3 and (mask & clip.discs[t]).sum() > 15
        epe = np.linalg.norm(dense_flow(a, b) - clip.forward[t], axis=-1)
        assert epe[mask].mean() < 0.5, (t, epe[mask].mean())
        # the flow is in (row, col) order: a vertical pan shows up in channel 0
        assert np.sign(np.median(dense_flow(a, b)[..., 0][mask])) == np.sign(
            np.median(clip.forward[t][..., 0][mask]))


def test_disoccluded_region_is_found(clip):
    found, kept = [], []
    for t in range(3):
        a, b = clip.frames[t], clip.frames[t + 1]
        back, fwd = dense_flow(b, a), dense_flow(a, b)
        c = consistency(back, fwd)
        hidden = clip.disoccluded[t]
        assert hidden.sum() > 30
        found.append(1 - c[hidden].mean())
        kept.append(c[textured(b, clip.discs[t + 1]) & ~hidden].mean())
    assert np.mean(found) > 0.7, found
    assert np.mean(kept) > 0.85, kept


def test_true_flow_passes_the_round_trip_and_warps_back(clip):
    fwd, back = clip.forward[0], clip.backward[0]
    inside = ~clip.discs[1] & ~clip.disoccluded[0] & ~out_of_frame(back)
    inside = ndi.binary_erosion(inside, iterations=3)
    assert not round_trip_failure(back, fwd)[inside].any()
    warped = warp(clip.frames[0], back)
    err = np.abs(warped - clip.frames[1]).mean(-1)
    assert np.median(err[inside]) < 0.02


def test_consistency_rules_fire_where_they_should():
    h, w = 32, 40
    flow = np.zeros((h, w, 2), np.float32)
    flow[..., 1] = 3.0                            # everything moves 3 px right
    reverse = -flow.copy()
    c = consistency(flow, reverse)
    assert (c[:, -3:] == 0).all() and (c[:, :w - 4] == 1).all()   # out of frame only
    bad_reverse = reverse.copy()
    bad_reverse[10:20, 10:20] = 0                 # round trip broken in a block
    failed = round_trip_failure(flow, bad_reverse)  # pixels landing in the block: x + 3 in 10..19
    assert failed[10:20, 7:17].all() and failed.sum() == 100
    step = flow.copy()
    step[:, 20:, 1] = -3                          # a motion boundary at column 20
    mb = motion_boundary(step)
    assert mb[:, 19:21].all() and not mb[:, :18].any() and not mb[:, 22:].any()


def test_warp_with_zero_flow_is_identity_and_shifts_exactly():
    img = np.random.default_rng(0).random((12, 16, 3), dtype=np.float32)
    assert np.allclose(warp(img, np.zeros((12, 16, 2), np.float32)), img)
    flow = np.zeros((12, 16, 2), np.float32)
    flow[..., 0] = 2                              # sample two rows below
    assert np.allclose(warp(img, flow)[:10], img[2:])


def test_long_term_weights_take_the_closest_reliable_frame():
    c1 = np.array([1, 0, 0, 1], np.float32)
    c2 = np.array([1, 1, 0, 0], np.float32)
    c4 = np.array([1, 1, 1, 0], np.float32)
    w1, w2, w4 = long_term_weights([c1, c2, c4])
    assert w1.tolist() == [1, 0, 0, 1] and w2.tolist() == [0, 1, 0, 0]
    assert w4.tolist() == [0, 0, 1, 0]
    assert ((w1 + w2 + w4) <= 1).all()


def test_optical_flow_operator_outputs(clip):
    out = optical_flow(clip.video(), preset="fast")
    masks = list(out["consistency"])
    pictures = list(out["forward"])
    info = list(out["info"])
    assert len(masks) == len(pictures) == len(info) == 3 == out["consistency"].frames
    assert pictures[0].shape == (96, 96, 3) and 0 <= pictures[0].min() <= pictures[0].max() <= 1
    assert set(np.unique(masks[0])) <= {0.0, 1.0}
    assert info[0]["occluded_fraction"] == pytest.approx(1 - masks[0].mean())
    rgb = flow_to_rgb(clip.forward[0])
    assert rgb[clip.discs[0]].std(0).max() < 1e-3     # one motion inside the disc: one colour


def test_raft_without_local_weights_is_a_clear_offline_error(monkeypatch, tmp_path):
    import torch

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(ParameterError, match="method: raft_small needs torchvision's weights"):
        dense_flow(np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 3), np.float32),
                   method="raft_small")


def test_raft_plumbing_pads_and_returns_row_col_flow(monkeypatch):
    """With untrained RAFT-small weights (none can be downloaded here): sizes are padded
    to multiples of 8 and at least 128 px, cropped back; channels come out as (dy, dx)."""
    import torch
    from torchvision.models.optical_flow import raft_small

    from imgfusion.video import flow as flow_mod

    torch.manual_seed(0)
    model = raft_small(weights=None).eval()
    calls = []

    def fake(method, device):
        def run(a, b):
            calls.append(tuple(a.shape))
            out = model(a, b, num_flow_updates=2)
            out[-1][:, 0] = 5.0     # x displacement
            out[-1][:, 1] = -2.0    # y displacement
            return out
        return run

    monkeypatch.setattr(flow_mod, "_raft_model", fake)
    monkeypatch.setattr(flow_mod, "check_method", lambda method, preset="medium": None)
    a = np.random.default_rng(0).random((61, 75, 3), dtype=np.float32)
    out = dense_flow(a, a, method="raft_small")
    assert out.shape == (61, 75, 2)
    assert calls == [(1, 3, 128, 128)]
    a = np.zeros((130, 140, 3), np.float32)
    assert dense_flow(a, a, method="raft_small").shape == (130, 140, 2)
    assert calls[-1] == (1, 3, 136, 144)
    assert out.shape == (61, 75, 2)
    assert np.allclose(out[..., 0], -2.0) and np.allclose(out[..., 1], 5.0)


def test_temporal_error_with_too_few_content_frames_is_refused_at_validation(tmp_path):
    """A stylised clip longer than its content was refused only at run time, after the
    earlier steps had written files; a content clip of one frame scored nothing (null)."""
    from imgfusion.errors import RecipeError
    from imgfusion.recipe import load_recipe
    from imgfusion.values import Video
    from imgfusion.video.measures import temporal_error

    def recipe(content: int, styled: int) -> dict:
        clip = {"op": "synthetic_video", "background": "$p", "size": [32, 32]}
        return {"imgfusion": 1, "steps": [
            {"id": "p", "op": "load", "path": "sample:astronaut"},
            {"id": "c", **clip, "frames": content}, {"id": "s", **clip, "frames": styled},
            {"id": "te", "op": "temporal_error", "videos": ["$s"], "content": "$c"},
            {"op": "save_json", "data": "$te", "path": "te.json"}]}

    with pytest.raises(RecipeError) as err:
        load_recipe(recipe(4, 6), out_dir=tmp_path)
    [problem] = err.value.problems
    assert (problem.step, problem.field) == ("te", "content") and "4 against 6" in problem.message
    assert load_recipe(recipe(6, 4), out_dir=tmp_path)
    one = Video(lambda: iter([np.zeros((8, 8, 3), np.float32)]), frames=1)
    with pytest.raises(ParameterError, match="1 frame"):
        temporal_error([one], one)
