"""Mask tools: any registered operator that takes a mask and gives one (a cut-out, the mask
algebra, a plugin's) refines a drawn mask from the page; nothing else may be applied."""
from typing import Annotated

import numpy as np
import pytest
from scipy import ndimage
from starlette.testclient import TestClient

from imgfusion.declare import read_function
from imgfusion.io.read import read_mask
from imgfusion.operators import Image, Mask, Range, operator
from imgfusion.plugins import load_registry
from imgfusion.workbench.files import png_bytes
from imgfusion.workbench.testing import PORT, TOKEN, make_app


@operator
def widen(mask: Mask, image: Image | None = None, *,
          pixels: Annotated[int, Range(0, 10)] = 1) -> Mask:
    """Grow a mask by ``pixels`` (a plugin's mask tool, for this test).

    Parameters
    ----------
    mask : the mask grown
    image : not used
    pixels : how far
    """
    return ndimage.binary_dilation(np.asarray(mask) > 0.5, iterations=pixels)


@pytest.fixture
def tooled(folders):
    registry = load_registry()
    registry.add(read_function(widen), "test plugin")
    with TestClient(make_app(folders[0], registry), base_url=f"http://127.0.0.1:{PORT}") as c:
        c.get(f"/?token={TOKEN}")
        mask = np.zeros((48, 48), np.float32)
        mask[20:28, 20:28] = 1
        c.post("/api/mask?step=cat_mask", content=png_bytes(mask),
               headers={"Content-Type": "application/octet-stream"})
        yield c


def _refine(client, **ask):
    return client.post("/api/refine", json={"image": "cat.png", "mask": "masks/cat_mask.png",
                                            **ask})


def test_a_plugins_mask_tool_is_offered_and_applied(tooled, folders, tmp_path):
    assert "widen" in tooled.get("/api/files").json()["mask_tools"]
    r = _refine(tooled, op="widen", params={"pixels": 3})
    (tmp_path / "r.png").write_bytes(r.content)
    grown = read_mask(tmp_path / "r.png") > 0.5
    assert grown.sum() == ndimage.binary_dilation(
        read_mask(folders[0] / "masks" / "cat_mask.png") > 0.5, iterations=3).sum() > 64


def test_the_tools_parameters_are_checked_naming_the_field(tooled):
    r = _refine(tooled, op="widen", params={"pixels": 99})
    assert r.status_code == 422 and "pixels" in r.json()["error"]


@pytest.mark.parametrize("op", ["save", "load_mask", "poisson_blend", "shape_mask", "nope"])
def test_operators_that_are_not_mask_tools_are_refused(tooled, op):
    assert op not in tooled.get("/api/files").json()["mask_tools"]
    r = _refine(tooled, op=op, params={"path": "../../evil.png"})
    assert r.status_code == 400 and "not a mask tool" in r.json()["error"]
