"""The workbench's fixtures: a FOLDER with two small images, a secret image outside it
with a link pointing at it, and the guarded app (token and port known)."""
import os

import pytest

from imgfusion.io.write import write_image
from imgfusion.plugins import load_registry
from imgfusion.workbench.testing import PORT, TOKEN, make_app


@pytest.fixture(scope="session")
def registry():
    return load_registry()


@pytest.fixture
def folders(tmp_path, smooth_image):
    """(FOLDER, outside): FOLDER holds target.png (64 x 80), cat.png (48 x 48) and link.png,
    a symbolic link to outside/secret.png."""
    folder, outside = tmp_path / "folder", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    write_image(folder / "target.png", smooth_image((64, 80), seed=1))
    write_image(folder / "cat.png", smooth_image((48, 48), seed=2))
    write_image(outside / "secret.png", smooth_image((16, 16), seed=3))
    os.symlink(outside / "secret.png", folder / "link.png")
    os.symlink(outside, folder / "away")
    return folder, outside


@pytest.fixture
def client(folders, registry):
    """A TestClient with the token cookie set (as after the first page load)."""
    from starlette.testclient import TestClient

    with TestClient(make_app(folders[0], registry), base_url=f"http://127.0.0.1:{PORT}") as c:
        assert c.get(f"/?token={TOKEN}").status_code == 200
        yield c
