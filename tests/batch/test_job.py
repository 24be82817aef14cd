"""The job sent to workers: small (paths, not pixels) and independent of the driver's folder."""
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgfusion.batch import testing
from imgfusion.batch.executor import ExecutorOptions
from imgfusion.batch.job import prepare
from imgfusion.batch.local import LocalExecutor
from imgfusion.batch.runner import run_batch
from imgfusion.cli import main


def test_tasks_carry_paths_not_pixels(tmp_path):
    (tmp_path / "in").mkdir()
    for k in range(3):
        Image.fromarray(np.zeros((1024, 1024, 3), np.uint8)).save(tmp_path / "in" / f"{k}.png")
    recipe = testing.write_recipe(tmp_path)   # its mask must match the 16 x 16 foreground
    recipe.write_text(recipe.read_text().replace("like: $photo", "like: $big"))
    job, items, _ = prepare(recipe, [f"photo.path={tmp_path / 'in'}/*.png"], tmp_path / "out")
    payload = pickle.dumps((job, items[:3]))   # a task: the job and a chunk of items
    assert len(payload) < 4000       # a 1024^2 image alone is 3 MB


def test_relative_paths_and_plugins_work_from_any_folder(tree, monkeypatch):
    shutil.copy(testing.PLUGIN, tree / "faults.py")
    recipe = tree / "recipe.yaml"
    recipe.write_text(recipe.read_text()
                      .replace(f'"{testing.PLUGIN}"', "faults.py")
                      .replace("op: load}", f"op: test_load, log_dir: '{tree / 'logs'}'}}")
                      .replace("{id: mask, op: shape_mask, like: $photo, feather: 2}",
                               "{id: mask, op: load_mask, path: in/b/same.png, channel: gray}"))
    (tree / "logs").mkdir()
    elsewhere = tree / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    job, items, _ = prepare(recipe, [f"photo.path={tree / 'in'}/a/*.png"], tree / "out")
    assert job.raw["plugins"] == [str(tree / "faults.py")]
    assert job.raw["steps"][3]["path"] == str(tree / "in" / "b" / "same.png")
    result = run_batch(job, items, LocalExecutor(ExecutorOptions(workers=1)), progress=False)
    assert result.exit_code == 0 and len(result.done) == 9
    assert sum(testing.runs(tree / "logs").values()) == 9


@pytest.mark.parametrize("asked,said", [(["--gpus-per-task", "1"], "no GPU is visible"),
                                        (["--device", "cuda"], "CUDA is not available")])
def test_a_gpu_this_machine_lacks_exits_2_before_anything_runs(tree, capsys, asked, said):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code = main(["batch", str(tree / "recipe.yaml"), "--bind",
                 f"photo.path={tree / 'in'}/*/*.png", "--out", str(tree / "out"), *asked])
    assert code == 2 and said in capsys.readouterr().err
    assert not (tree / "out").exists()


RENAMED = '''
from imgfusion import Image, InputPath, hookimpl, operator


@operator(renamed={"old_file": "side_file"})
def beside(image: Image, *, side_file: InputPath = None) -> Image:
    """The image, given a side file.

    Parameters
    ----------
    side_file
        a file that must exist
    """
    return image


@hookimpl
def imgfusion_register_operators(register):
    register(beside)
'''


def test_a_renamed_field_in_a_batch_recipe_reaches_every_item(tree):
    """Each item's recipe carries the field under its new name (it kept the old one beside
    it, and every item failed with 'give side_file only')."""
    (tree / "renamed.py").write_text(RENAMED)
    recipe = tree / "recipe.yaml"
    recipe.write_text(recipe.read_text().replace("plugins: [", "plugins: [renamed.py, ", 1)
                      .replace("op: load}", "op: load}\n  - {op: beside, old_file: in/b/same.png}",
                               1))
    job, items, _ = prepare(recipe, [f"photo.path={tree / 'in'}/a/*.png"], tree / "out")
    step = next(e for e in job.raw["steps"] if e.get("op") == "beside")
    assert "old_file" not in step and step["side_file"] == str(tree / "in" / "b" / "same.png")
    result = run_batch(job, items[:2], LocalExecutor(ExecutorOptions(workers=1)),
                       progress=False)
    assert result.exit_code == 0 and len(result.done) == 2


def test_the_first_items_size_does_not_stand_for_every_item(tmp_path):
    """Validation reads no size from a bound file: a crop too large for one input fails
    that item alone, as any bad input does."""
    (tmp_path / "in").mkdir()
    for name, side in (("a_small", 12), ("b_big", 40)):
        Image.fromarray(np.zeros((side, side, 3), np.uint8)).save(tmp_path / "in" / f"{name}.png")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n  - {id: photo, op: load, path: in/b_big.png}\n"
                      "  - {id: cr, op: crop, image: $photo, origin: [0, 0], size: [20, 20]}\n"
                      "  - {op: save, path: out.png}\n")
    job, items, _ = prepare(recipe, [f"photo.path={tmp_path / 'in'}/*.png"], tmp_path / "out")
    result = run_batch(job, items, LocalExecutor(ExecutorOptions(workers=1)), progress=False)
    assert result.exit_code == 1 and len(result.done) == 1 and len(result.failed) == 1
    assert "a_small" in result.failed[0]["input"] and "12 x 12" in result.failed[0]["error"]


def test_a_new_input_with_a_finished_items_stem_leaves_it_its_folder(tmp_path):
    """cat.png added beside a finished cat.jpg: cat.jpg keeps folder ``cat`` (and is not
    run again); the newcomer gets the hashed name."""
    (tmp_path / "in").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "in" / "cat.jpg")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("imgfusion: 1\nsteps:\n  - {id: photo, op: load, path: in/cat.jpg}\n"
                      "  - {op: save, path: out.png}\n")
    bind, out = [f"photo.path={tmp_path / 'in'}/*.*"], tmp_path / "out"

    def run():
        job, items, _ = prepare(recipe, bind, out)
        return items, run_batch(job, items, LocalExecutor(ExecutorOptions(workers=1)),
                                progress=False)
    items, first = run()
    assert [i.folder for i in items] == ["cat"] and len(first.done) == 1
    Image.fromarray(np.ones((8, 8, 3), np.uint8)).save(tmp_path / "in" / "cat.png")
    items, second = run()
    names = {Path(i.inputs[0]).name: i.folder for i in items}
    assert names["cat.jpg"] == "cat" and names["cat.png"].startswith("cat-")
    assert len(second.skipped) == 1 and len(second.done) == 1
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["cat", names["cat.png"]]
