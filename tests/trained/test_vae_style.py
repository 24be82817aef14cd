"""The conv-VAE style trained on tiny synthetic data (32 px stripes as "paintings", smooth
ramps as "frames", CPU, a few hundred steps), held to its measures."""
import numpy as np
import pytest
import torch

from imgfusion.errors import ParameterError
from imgfusion.trained.data import image_set
from imgfusion.trained.training import TrainingInterrupted
from imgfusion.trained.vae_apply import vae_style
from imgfusion.trained.vae_io import load_vae_model
from imgfusion.trained.vae_train import train_style_vae
from imgfusion.video.frames import from_frames
from imgfusion.video.synthetic import synthetic_video

from vae_helpers import gradient, gradients, stripes

TINY = dict(size=(32, 32), filters=[8, 16, 32], latent=8, refiner_width=8, batch_size=8,
            learning_rate=2e-3, validation=0.25, device="cpu", progress=False)
PAINTINGS, FRAMES = stripes(16), gradients(16)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("vae")
    result = train_style_vae(PAINTINGS, from_frames(FRAMES), path="tiny.safetensors",
                             steps=150, validate_every=50, refiner_steps=30,
                             vgg_weights="random", checkpoint="tiny.ckpt", loss_plot="loss.png",
                             workdir=out, **TINY)
    return result, out


@pytest.fixture(scope="module")
def training_frames():
    """The frames the class mean m_frames was computed on (same split as the trainer)."""
    return from_frames(image_set(FRAMES, field="frames", size=(32, 32), validation=0.25,
                                 seed=1).train)


def test_training_beats_its_first_epoch_and_writes_its_files(trained):
    result, out = trained
    rows = result.report["vae"]["psnr_heldout_frames_by_step"]
    assert [r["step"] for r in rows] == [50, 100, 150]
    first = result.report["psnr_heldout_frames_first_epoch"]
    assert first["step"] == 3    # 24 training images, 8 a batch
    assert result.report["psnr_heldout_frames"] > first["psnr"] + 3.0
    assert result.report["probe_accuracy"] >= 0.75 and result.report["probe_on"] == "validation"
    assert (out / "tiny.safetensors").is_file() and (out / "tiny.json").is_file()
    assert (out / "loss.png").is_file() and (out / "loss_refiner.png").is_file()
    assert (out / "tiny.ckpt").is_file() and (out / "tiny_refiner.ckpt").is_file()


def test_model_file_gives_back_the_same_pictures(trained, tmp_path):
    result, out = trained
    loaded = load_vae_model(out / "tiny.safetensors")
    a = vae_style(FRAMES[0], result.model, strength=0.7, measures=False)
    b = vae_style(FRAMES[0], loaded, strength=0.7, measures=False)
    with pytest.raises(ParameterError, match="frames_dir: an image has no frames"):
        vae_style(FRAMES[0], result.model, frames_dir="kept", measures=False)
    assert np.array_equal(a.image, b.image) and a.image.shape == (32, 32, 3)
    assert loaded.gram_weights == "random" and set(loaded.grams) == set(result.model.grams)


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_shift_distance_is_one_minus_alpha_over_the_training_frames(trained, training_frames,
                                                                   alpha, tmp_path):
    report = vae_style(training_frames, trained[0].model, strength=alpha, measures=False,
                       smoothing=0.0, workdir=tmp_path).report
    assert report["shift_distance"] == pytest.approx(1 - alpha, abs=1e-5)


def test_outputs_move_toward_the_paintings_as_alpha_rises(trained, training_frames, tmp_path):
    reports = [vae_style(training_frames, trained[0].model, strength=a, smoothing=0.0,
                         frames_dir=f"a{a}", workdir=tmp_path).report for a in (0.0, 0.5, 1.0)]
    probe = [r["probe_output_mean"] for r in reports]
    gram = [r["gram_output"] for r in reports]
    content = [r["content"] for r in reports]
    assert probe[0] < probe[1] < probe[2] and probe[2] > 0.5 > probe[0]
    assert gram[0] > gram[1] > gram[2] and gram[2] < reports[0]["gram_input"]
    assert content[0] < content[2]    # the style is bought with content, and it shows


def test_mean_codes_flicker_less_than_sampled_codes(trained, tmp_path):
    rng = np.random.default_rng(7)
    clip = synthetic_video(gradient(rng, 64), frames=8, size=(32, 32), pan=(0.3, 0.6),
                           zoom=1.0, radius=0.2, velocity=(0.3, 0.6)).video
    errors = {mode: vae_style(clip, trained[0].model, strength=0.5, mode=mode, smoothing=0.0,
                              frames_dir=mode, workdir=tmp_path).report["temporal_error"]
              for mode in ("mean", "sampled")}
    assert errors["mean"] < 0.5 * errors["sampled"]
    smoothed = vae_style(clip, trained[0].model, strength=0.5, mode="sampled", smoothing=0.5,
                         frames_dir="smoothed", workdir=tmp_path).report["temporal_error"]
    assert smoothed < errors["sampled"]


def test_video_frames_are_written_as_they_finish_and_read_back(trained, tmp_path):
    result = vae_style(from_frames(FRAMES[:5]), trained[0].model, measures=False,
                       frames_dir="styled", workdir=tmp_path)
    assert sorted(p.name for p in (tmp_path / "styled").glob("frame_*.png")) == \
        [f"frame_{i:05d}.png" for i in range(1, 6)]
    frames = list(result.image)
    assert len(frames) == 5 and frames[0].shape == (32, 32, 3)
    assert [r["frame"] for r in result.report["per_frame"]] == list(range(5))
    with pytest.raises(ParameterError, match="other settings"):
        vae_style(from_frames(FRAMES[:5]), trained[0].model, strength=0.9, measures=False,
                  frames_dir="styled", workdir=tmp_path)
    again = vae_style(from_frames(FRAMES[:5]), trained[0].model, strength=0.9, measures=False,
                      frames_dir="styled", workdir=tmp_path, overwrite=True)
    assert not np.array_equal(next(iter(again.image)), frames[0])


def test_interrupted_training_leaves_a_checkpoint_and_no_model_file(tmp_path):
    def stop(done, total, **info):
        if done == 3:
            raise KeyboardInterrupt
    with pytest.raises(TrainingInterrupted):
        train_style_vae(PAINTINGS, from_frames(FRAMES), path="m.safetensors", steps=50,
                        checkpoint="m.ckpt", vgg_weights=None, workdir=tmp_path,
                        **{**TINY, "progress": stop})
    assert (tmp_path / "m.ckpt").is_file() and not (tmp_path / "m.safetensors").exists()


@pytest.mark.parametrize("args, field", [
    ({"paintings": PAINTINGS[:2]}, "paintings"),
    ({"paintings": None}, "paintings"),
    ({"frames": None}, "frames"),
    ({"kernels": [4, 3, 3]}, "kernels"),
    ({"vgg_weights": "no/such/weights.pth"}, "vgg_weights")])
def test_bad_training_input_is_refused_naming_the_field(args, field, tmp_path):
    kw = {"paintings": PAINTINGS, "frames": from_frames(FRAMES), **TINY, **args}
    with pytest.raises(ParameterError) as err:
        train_style_vae(path="m.safetensors", steps=1, workdir=tmp_path,
                        **{"vgg_weights": None, **kw})
    assert err.value.field == field
    assert not (tmp_path / "m.safetensors").exists()


def test_existing_model_file_is_refused_before_training(trained):
    with pytest.raises(ParameterError, match="already exists"):
        train_style_vae(PAINTINGS, from_frames(FRAMES), path="tiny.safetensors", steps=1,
                        workdir=trained[1], **TINY)


def test_model_file_of_another_kind_or_truncated_is_refused(trained, tmp_path):
    from imgfusion.trained.modelfile import save_model

    other = save_model(tmp_path / "other.safetensors", {"w": torch.zeros(1)},
                       {"kind": "fast_style", "arch": {}})
    with pytest.raises(ParameterError, match="'fast_style' model"):
        vae_style(FRAMES[0], model_file=str(other))
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes((trained[1] / "tiny.safetensors").read_bytes()[:-100])
    with pytest.raises(ParameterError, match="corrupt"):
        vae_style(FRAMES[0], model_file=str(cut))
    with pytest.raises(ParameterError, match="exactly one"):
        vae_style(FRAMES[0], trained[0].model, model_file=str(cut))


def test_paintings_of_mixed_sizes_are_resized_to_the_models(tmp_path):
    mixed = [np.ones((40, 56, 3), np.float32) * 0.3, *PAINTINGS[:3], PAINTINGS[3][:20, :28]]
    result = train_style_vae(mixed, from_frames(FRAMES[:6]), path="m.safetensors", steps=2,
                             refiner=False, vgg_weights=None, workdir=tmp_path, **TINY)
    assert result.report["images"]["paintings"] == [4, 1]
    assert result.model.refiner is None and result.model.grams is None
    assert vae_style(mixed[0], result.model).image.shape == (32, 32, 3)


def test_resumed_training_gives_the_uninterrupted_model_bit_for_bit(tmp_path):
    from imgfusion.trained.vae_model import tensors

    kw = dict(steps=8, refiner=False, vgg_weights=None, validate_every=4, checkpoint="c.ckpt",
              checkpoint_every=2, **TINY)

    def stop(done, total, **info):
        if done == 5:
            raise KeyboardInterrupt
    whole = train_style_vae(PAINTINGS, from_frames(FRAMES), path="a.safetensors",
                            workdir=tmp_path / "a", **kw)
    with pytest.raises(TrainingInterrupted):
        train_style_vae(PAINTINGS, from_frames(FRAMES), path="b.safetensors",
                        workdir=tmp_path / "b", **{**kw, "progress": stop})
    resumed = train_style_vae(PAINTINGS, from_frames(FRAMES), path="b.safetensors",
                              workdir=tmp_path / "b", **{**kw, "resume": True})
    a, b = tensors(whole.model), tensors(resumed.model)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.report["psnr_heldout_frames_first_epoch"] == \
        whole.report["psnr_heldout_frames_first_epoch"]


def test_a_resume_with_more_vae_steps_trains_the_refiner_again(tmp_path):
    # the refiner learns the VAE's decoder: one trained against the shorter VAE is stale
    from imgfusion.trained.vae_model import tensors

    kw = dict(refiner_steps=3, vgg_weights=None, checkpoint="c.ckpt", **TINY)
    whole = train_style_vae(PAINTINGS, from_frames(FRAMES), path="a.safetensors", steps=8,
                            workdir=tmp_path / "a", **kw)
    train_style_vae(PAINTINGS, from_frames(FRAMES), path="b.safetensors", steps=4,
                    workdir=tmp_path / "b", **kw)
    longer = train_style_vae(PAINTINGS, from_frames(FRAMES), path="b.safetensors", steps=8,
                             workdir=tmp_path / "b", overwrite=True, resume=True, **kw)
    a, b = tensors(whole.model), tensors(longer.model)
    assert any(k.startswith("refiner") for k in a)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_validation_zero_trains_on_every_image(tmp_path):
    """Its documented range starts at 0; the held-out split was stacked from no image and
    the run failed with NumPy's 'need at least one array to stack'."""
    result = train_style_vae(PAINTINGS[:4], from_frames(FRAMES[:4]), path="v0.safetensors",
                             steps=3, refiner_steps=2, vgg_weights="random", workdir=tmp_path,
                             **{**TINY, "validation": 0.0})
    assert result.report["images"] == {"paintings": [4, 0], "frames": [4, 0]}
    assert result.report["probe_on"] == "train" and (tmp_path / "v0.safetensors").exists()
