"""What every test folder shares: the one smooth test image."""
import numpy as np
import pytest


def _smooth_image(shape, seed=0, channels=3, low=0.0, high=1.0):
    """A smooth random float32 image with values in [low, high]: coarse noise, linearly
    interpolated, plus a little fine noise, stretched to the range."""
    h, w = shape
    rng = np.random.default_rng(seed)
    coarse = rng.random((h // 4 + 2, w // 4 + 2, channels))
    rows = np.linspace(0, coarse.shape[0] - 1, h)
    cols = np.linspace(0, coarse.shape[1] - 1, w)
    img = np.empty((h, w, channels))
    for k in range(channels):
        tmp = np.array([np.interp(cols, np.arange(coarse.shape[1]), r) for r in coarse[:, :, k]])
        img[:, :, k] = np.array([np.interp(rows, np.arange(coarse.shape[0]), c)
                                 for c in tmp.T]).T
    img += 0.05 * rng.standard_normal(img.shape)
    img = (img - img.min()) / (img.max() - img.min())
    return (low + (high - low) * img).astype(np.float32)


@pytest.fixture(scope="session")
def smooth_image():
    """``smooth_image(shape, seed=0, channels=3, low=0.0, high=1.0)``: the test image every
    folder uses (test folders are not packages, so it comes as a fixture)."""
    return _smooth_image


def _validation_problems(steps, out_dir) -> list:
    """The (step, field, message) problems validation finds in a recipe of ``steps``
    (none: it validates)."""
    from imgfusion.errors import RecipeError
    from imgfusion.recipe import load_recipe

    try:
        load_recipe({"imgfusion": 1, "steps": steps}, out_dir=out_dir)
    except RecipeError as exc:
        return [(p.step, p.field, p.message) for p in exc.problems]
    return []


@pytest.fixture(scope="session")
def validation_problems():
    """``validation_problems(steps, out_dir)``: what validation refuses in a recipe."""
    return _validation_problems


@pytest.fixture(scope="module")
def quiet_one_torch_thread():
    """One torch thread and no RandomWeightsWarning for a whole module: tiny networks gain
    nothing from threads on a shared 2-core machine, and a result compared across runs
    must come from the same summation order.  Folders that want it make it autouse."""
    import warnings

    import torch

    from imgfusion.style.weights import RandomWeightsWarning

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        yield
    torch.set_num_threads(before)
