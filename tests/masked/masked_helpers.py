"""Small images and fast neural-style settings shared by the mask-guided tests."""
import numpy as np

FAST = dict(weights="random", iterations=3, optimizer="adam", device="cpu", seed=0,
            style_layers=["relu1_1", "relu2_1", "relu3_1"], content_layers=["relu2_1"])


def box_mask(shape, top, left, bottom, right):
    m = np.zeros(shape, bool)
    m[top:bottom, left:right] = True
    return m
