"""The workbench in a real browser: Playwright for Python driving the system's Chromium,
headless (``apt-get install chromium``; Playwright's own browser download is not used).

Skipped, with the reason, only where Playwright or Chromium is absent; ``.ci/run``
installs both, so CI runs these."""
import shutil
import zipfile

import numpy as np
import pytest

from imgfusion.workbench.testing import TOKEN, drag, make_app, on_image, place, served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = pytest.mark.skipif(
    sync_playwright is None or CHROMIUM is None,
    reason="browser tests need Playwright (pip install -e '.[test]') and Chromium "
           "(apt-get install chromium); .ci/run installs both")


@pytest.fixture
def server(folders, registry):
    """The workbench on a free port of 127.0.0.1, in a thread; yields its URL."""
    with served(lambda port: make_app(folders[0], registry, port=port)) as base:
        yield f"{base}/?token={TOKEN}"


@pytest.fixture
def page(server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        tab = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        errors = []
        tab.on("pageerror", lambda error: errors.append(error))
        tab.goto(server)
        tab.wait_for_selector("body[data-ready=yes]")
        yield tab
        browser.close()
        assert not errors


def test_mask_drag_run_download_then_the_command_line_gives_the_same_pixels(page, folders,
                                                                          tmp_path):
    import yaml

    from imgfusion.cli import main
    from imgfusion.io.read import read_image, read_mask

    page.click('#image-list li:text-is("target.png")')
    page.click('#image-list li:text-is("cat.png")')
    page.wait_for_selector('#view-status:has-text("cat: cat.png (48 x 48")')
    page.click("[data-tool=ellipse]")
    drag(page, on_image(page, 48, 48, 8, 10), on_image(page, 48, 48, 40, 38))
    page.click("#save-mask")
    page.wait_for_selector('#message:has-text("mask saved as masks/cat_mask.png")')
    mask = read_mask(folders[0] / "masks" / "cat_mask.png")
    ellipse = np.pi * 16 * 14 / 48 ** 2  # rows 8..40, cols 10..38
    assert mask[24, 24] > 0.99 and mask[2, 2] < 0.01 and abs(mask.mean() - ellipse) < 0.04
    page.focus("#brush-size")
    for _ in range(8):  # 12 -> 4 image pixels
        page.keyboard.press("ArrowLeft")
    page.click("[data-tool=brush]")
    drag(page, on_image(page, 48, 48, 44, 6), on_image(page, 48, 48, 44, 40))
    page.click("[data-tool=erase]")
    drag(page, on_image(page, 48, 48, 24, 0), on_image(page, 48, 48, 24, 47))
    page.wait_for_selector('#message:has-text("mask edited")')
    page.click("#save-mask")
    page.wait_for_selector('#message:has-text("mask saved as masks/cat_mask.png")')
    mask = read_mask(folders[0] / "masks" / "cat_mask.png")
    assert mask[44, 20] > 0.99 and mask[24, 24] < 0.01 and mask[15, 24] > 0.99

    place(page, "cat", "target", on_image(page, 64, 80, 20, 20), on_image(page, 64, 80, 26, 30),
          (6, 10))
    assert page.locator('.field[data-step="cat_on_target"][data-field="offset"] input'
                        ).input_value() == "[6,10]"
    page.focus("#place-scale")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector('#message:has-text("scale 1.1")')

    page.click("#run")
    page.wait_for_selector("body[data-run=done]", timeout=60_000)
    page.wait_for_selector('#outputs img[alt="out/cat_on_target.png"]')
    result = read_image(folders[0] / "out" / "cat_on_target.png")
    target = read_image(folders[0] / "target.png")
    assert result.shape == target.shape and not np.array_equal(result, target)

    with page.expect_download() as download:
        page.click("#download")
    bundle = tmp_path / "bundle.zip"
    download.value.save_as(bundle)
    home = tmp_path / "home"
    zipfile.ZipFile(bundle).extractall(home)
    assert sorted(zipfile.ZipFile(bundle).namelist()) == [
        "cat.png", "masks/cat_mask.png", "target.png", "workbench.yaml"]
    blend = yaml.safe_load((home / "workbench.yaml").read_text())["steps"][3]
    assert (blend["op"], blend["offset"], blend["scale"]) == ("poisson_blend", [6, 10], 1.1)
    assert main(["run", str(home / "workbench.yaml"), "--out", str(tmp_path / "cli")]) == 0
    assert np.array_equal(read_image(tmp_path / "cli" / "out" / "cat_on_target.png"), result)


def test_a_form_from_the_declaration_shows_the_error_next_to_its_field(page):
    page.select_option("#add-op", "resize")
    scale = page.locator('.field[data-step="resize"][data-field="scale"]')
    assert scale.locator("input").get_attribute("max") == "64"
    scale.locator("input").fill("1000")
    scale.locator("input").dispatch_event("change")
    page.wait_for_selector('.field[data-step="resize"][data-field="scale"] .error:has-text("64")')
    assert "1000" in scale.locator(".error").inner_text()


def test_an_existing_recipe_opens_for_editing_and_comes_back_whole(page, folders, tmp_path):
    import yaml

    old = {"imgfusion": 1, "description": "kept", "device": "cpu", "seed": 7,
           "steps": [{"id": "cat", "op": "load", "path": "cat.png"},
                     {"id": "small", "op": "resize", "image": "$cat", "scale": 0.5}]}
    (folders[0] / "old.yaml").write_text(yaml.safe_dump(old))
    page.reload()
    page.wait_for_selector("body[data-ready=yes]")
    page.select_option("#recipes", "old.yaml")
    field = page.locator('.field[data-step="small"][data-field="scale"] input')
    field.wait_for()
    assert field.input_value() == "0.5"
    field.fill("0.25")
    field.dispatch_event("change")
    with page.expect_download() as download:
        page.click("#download")
    download.value.save_as(tmp_path / "old.zip")
    back = yaml.safe_load(zipfile.ZipFile(tmp_path / "old.zip").read("old.yaml"))
    assert back == {**old, "steps": [old["steps"][0], {**old["steps"][1], "scale": 0.25}]}


def test_a_mask_tool_refines_the_drawn_mask(page, folders):
    from imgfusion.io.read import read_mask

    page.click('#image-list li:text-is("cat.png")')
    page.wait_for_selector('#view-status:has-text("cat: cat.png")')
    page.click("[data-tool=rect]")
    drag(page, on_image(page, 48, 48, 20, 20), on_image(page, 48, 48, 27, 27))
    page.select_option("#refine-op", "mask_grow")
    page.click("#refine")
    page.wait_for_selector('#message:has-text("refined with mask_grow")')
    drawn = read_mask(folders[0] / "masks" / "cat_mask.png") > 0.5
    page.click("#save-mask")
    page.wait_for_selector('#message:has-text("mask saved")')
    grown = read_mask(folders[0] / "masks" / "cat_mask.png") > 0.5
    assert drawn.sum() > 0 and grown.sum() > drawn.sum() and (grown | drawn).sum() == grown.sum()
