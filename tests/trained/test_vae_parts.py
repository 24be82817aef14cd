"""The conv-VAE's parts without training: shapes, KL, the refiner's start, the shift
arithmetic, the probe, the smoothing and the measures on known inputs."""
import numpy as np
import pytest
import torch

from imgfusion.errors import ParameterError
from imgfusion.trained import vae_measures as vm
from imgfusion.trained.vae_latent import Smoother, fit_probe, shifted
from imgfusion.trained.vae_net import (SEED_ARCH, ConvVAE, Refiner, VaeArch, kl_divergence,
                                       vae_losses)

TINY = VaeArch(size=(20, 36), filters=(8, 16), kernels=(5, 3), latent=6, refiner_width=4)


def test_decoder_gives_back_the_input_size_even_for_odd_sizes():
    net = ConvVAE(TINY)
    recon, mu, log_sigma = net(torch.rand(3, 3, 20, 36))
    assert recon.shape == (3, 3, 20, 36) and mu.shape == log_sigma.shape == (3, 6)
    assert float(recon.detach().min()) >= 0 and float(recon.detach().max()) <= 1
    assert ConvVAE(VaeArch(size=(45, 80), filters=(4, 4, 4), kernels=(3, 3, 3),
                           latent=4)).decode(torch.zeros(2, 4)).shape == (2, 3, 45, 80)


def test_seed_architecture_is_the_papers():
    assert SEED_ARCH.filters == (64, 64, 64, 128, 128, 192, 256)
    assert SEED_ARCH.kernels == (7, 7, 5, 5, 3, 3, 3)
    assert SEED_ARCH.latent == 512 and SEED_ARCH.size == (180, 320)
    assert VaeArch.from_dict(SEED_ARCH.as_dict()) == SEED_ARCH


def test_kl_matches_the_closed_form_of_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, ls = torch.randn(5, 7, generator=g), 0.3 * torch.randn(5, 7, generator=g)
    want = torch.distributions.kl_divergence(torch.distributions.Normal(mu, ls.exp()),
                                             torch.distributions.Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(kl_divergence(mu, ls), want, atol=1e-5)
    assert float(kl_divergence(torch.zeros(1, 7), torch.zeros(1, 7))) == 0.0


def test_beta_weights_the_kl_term():
    net = ConvVAE(TINY).eval()
    x = torch.rand(2, 3, 20, 36)
    a = vae_losses(net, x, 0.0, torch.Generator().manual_seed(1))
    b = vae_losses(net, x, 2.0, torch.Generator().manual_seed(1))
    assert float((b["loss"] - a["loss"]).detach()) == pytest.approx(2.0 * float(a["kl"]), rel=1e-4)


def test_untrained_refiner_is_the_identity():
    y = torch.rand(2, 3, 20, 36)
    assert torch.equal(Refiner(4)(y), y)


@pytest.mark.parametrize("change, field", [
    ({"kernels": (4, 3)}, "kernels"), ({"kernels": (3,)}, "kernels"),
    ({"filters": (8,) * 7, "kernels": (3,) * 7}, "filters"), ({"latent": 0}, "latent"), ({"size": (2, 36)}, "size")])
def test_impossible_architectures_are_refused_naming_the_field(change, field):
    with pytest.raises(ParameterError) as err:
        VaeArch(**{**TINY.as_dict(), **change})
    assert err.value.field == field


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_shift_distance_is_one_minus_strength(alpha):
    g = torch.Generator().manual_seed(3)
    m_p, m_f = torch.randn(16, generator=g), torch.randn(16, generator=g)
    mu = torch.randn(40, 16, generator=g)
    mu = mu - mu.mean(0) + m_f                      # the frames average to m_frames
    z = shifted(mu, torch.zeros_like(mu), m_p, m_f, alpha)
    assert vm.shift_distance(z, m_p, m_f) == pytest.approx(1 - alpha, abs=1e-6)


def test_legacy_mode_is_the_seeds_formula_on_a_sampled_code():
    g = torch.Generator().manual_seed(4)
    mu, ls = torch.randn(3, 5, generator=g), torch.full((3, 5), -1.0)
    m_p, m_f = torch.randn(5, generator=g), torch.randn(5, generator=g)
    z = shifted(mu, ls, m_p, m_f, 0.7, "legacy", torch.Generator().manual_seed(9))
    eps = torch.randn(3, 5, generator=torch.Generator().manual_seed(9))
    assert torch.allclose(z, mu + eps * ls.exp() - 0.25 * m_f + 0.5 * m_p, atol=1e-6)


def test_smoothing_of_one_is_refused():
    with pytest.raises(ParameterError, match="smoothing"):
        Smoother(1.0)


def test_probe_separates_the_classes_and_rises_toward_the_paintings():
    g = torch.Generator().manual_seed(5)
    m_p, m_f = torch.full((8,), 1.0), torch.full((8,), -1.0)
    probe = fit_probe(m_p + 0.8 * torch.randn(50, 8, generator=g),
                      m_f + 0.8 * torch.randn(60, 8, generator=g))
    line = torch.stack([m_f + a * (m_p - m_f) for a in torch.linspace(0, 1, 5)])
    p = probe.probability(line)
    assert float(p[0]) < 0.1 and float(p[-1]) > 0.9
    assert bool((p[1:] > p[:-1]).all())


def test_smoother_is_the_seeds_moving_average():
    s = Smoother(0.2)
    a, b = torch.zeros(3, 2, 2), torch.ones(3, 2, 2)
    assert torch.equal(s(a), a)
    assert torch.allclose(s(b), torch.full((3, 2, 2), 0.8))
    assert torch.allclose(s(b), torch.full((3, 2, 2), 0.96))


def test_psnr_of_a_known_error():
    a = np.zeros((4, 4, 3), np.float32)
    assert vm.psnr(a + 0.1, a) == pytest.approx(20.0, abs=1e-5)


def test_gram_and_content_distances_are_zero_on_their_own_targets(random_vgg):
    rng = np.random.default_rng(0)
    painting, other = rng.random((32, 32, 3), np.float32), np.full((32, 32, 3), 0.5, np.float32)
    targets = vm.mean_grams(random_vgg, [painting])
    assert vm.gram_distance(random_vgg, [painting], targets) == pytest.approx(0.0, abs=1e-9)
    assert vm.gram_distance(random_vgg, [other], targets) > 0.1
    assert vm.content_distance(random_vgg, [other], [other]) == 0.0
    assert vm.content_distance(random_vgg, [painting], [other]) > 0.1
