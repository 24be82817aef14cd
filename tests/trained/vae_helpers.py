"""Tiny synthetic "paintings" and "frames" for the conv-VAE tests (32 px, CPU)."""
import numpy as np

SIZE = 32


def stripes(n: int, seed: int = 0, size: int = SIZE) -> list[np.ndarray]:
    """Oriented stripes in two saturated warm colours: the "paintings" (texture and a
    palette that the smooth, grey-blue "frames" do not have)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    out = []
    for _ in range(n):
        angle, period = rng.uniform(0, np.pi), rng.uniform(9, 14)
        wave = 0.5 + 0.5 * np.sin(2 * np.pi * (np.cos(angle) * xx + np.sin(angle) * yy) / period
                                  + rng.uniform(0, 2 * np.pi))
        a = np.array([rng.uniform(0.85, 1.0), rng.uniform(0.5, 0.9), rng.uniform(0.0, 0.2)])
        b = np.array([rng.uniform(0.4, 0.7), rng.uniform(0.0, 0.2), rng.uniform(0.1, 0.3)])
        out.append((a * wave[..., None] + b * (1 - wave[..., None])).astype(np.float32))
    return out


def gradient(rng, size: int = SIZE) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / (size - 1)
    a = rng.uniform(0.3, 0.6) + np.array([-0.05, 0.0, 0.1]) * rng.uniform(0, 1)
    b = rng.uniform(-0.25, 0.25, (2, 1)) * np.ones((2, 3))
    img = a + yy[..., None] * b[0] + xx[..., None] * b[1]
    return np.clip(img, 0, 1).astype(np.float32)


def gradients(n: int, seed: int = 1, size: int = SIZE) -> list[np.ndarray]:
    """Smooth, nearly grey linear ramps (a blue cast at most): the "frames"."""
    rng = np.random.default_rng(seed)
    return [gradient(rng, size) for _ in range(n)]
