import pytest

from imgfusion.batch import testing


@pytest.fixture
def tree(tmp_path):
    """tmp_path with in/ (20 tiny PNGs and one TIFF) and the cheap recipe.yaml."""
    testing.make_inputs(tmp_path / "in")
    testing.write_recipe(tmp_path)
    return tmp_path
