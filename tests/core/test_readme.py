"""The README's promises: two set-up commands first, and a plugin example that works."""
import re
from pathlib import Path

import numpy as np

from imgfusion.plugins import load_registry

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_exactly_the_two_setup_commands():
    first = re.match(r"```bash\n(.*?)\n```", README, re.S)
    assert first is not None
    assert first.group(1).splitlines() == ["pip install -e . && imgfusion demo",
                                           "pip install -e '.[test]' && pytest"]


def test_write_your_own_operator_example_runs(tmp_path):
    code = re.search(r"## Write your own operator.*?```python\n(.*?)```", README, re.S).group(1)
    plugin = tmp_path / "posterize.py"
    plugin.write_text(code)
    reg = load_registry([plugin], entry_points=False)
    op = reg["posterize"]
    image = np.linspace(0, 1, 30, dtype=np.float32).reshape(2, 5, 3)
    out = op.call({"image": image}, {"levels": op.param("levels").convert(3)})["image"]
    assert set(np.unique(out)) <= {0.0, 0.5, 1.0}
    assert np.abs(out - image).max() <= 0.25 + 1e-6


def test_the_readme_recipe_runs(tmp_path):
    from imgfusion.engine import run_recipe
    from imgfusion.io.read import read_image
    from imgfusion.recipe import load_recipe

    text = re.search(r"## A recipe\n\n```yaml\n(.*?)```", README, re.S).group(1)
    (tmp_path / "recipe.yaml").write_text(text)
    result = run_recipe(load_recipe(tmp_path / "recipe.yaml"))
    saved = read_image(tmp_path / "out" / "blended.png")
    photo = result.output("photo")
    assert saved.shape == photo.shape
    np.testing.assert_allclose(saved[:100, :], photo[:100, :], atol=0.5 / 255)  # above the paste


def test_readme_warns_that_plugins_run_code():
    section = re.search(r"### Plugins run code\n(.*?)\n## ", README, re.S)
    assert section is not None
    text = section.group(1)
    for needed in ("`plugins:`", "IMGFUSION_PLUGINS", "entry point", "runs code"):
        assert needed in text, needed
    assert "(#plugins-run-code)" in README  # the recipe section points at it
