"""Screenshots of the workbench for the gallery: a finished blend and a style run mid-way.

    python gallery/workbench_shots.py      # needs Playwright and Chromium (apt-get install chromium)

Drives ``imgfusion serve`` in headless Chromium as a user would: the astronaut and Chelsea
samples, an ellipse drawn over the cat's face and saved as its mask, the cutout dragged
onto the astronaut and run (gallery/workbench-blend.png); then a small neural-style recipe
opened from the folder and run, shot while it runs with its current image
(gallery/workbench-running.png).
"""
from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from imgfusion.plugins import load_registry
from imgfusion.workbench.app import create_app
from imgfusion.workbench.recipes import Settings
from imgfusion.workbench.testing import drag, on_image, place, served

HERE = Path(__file__).resolve().parent
TOKEN = "gallery"
STYLE = """\
imgfusion: 1
device: cpu
steps:
- {id: photo, op: load, path: 'sample:chelsea'}
- {id: painting, op: load, path: 'sample:hubble_deep_field'}
- {id: styled, op: neural_style, content: $photo, style: $painting, size: 128,
   iterations: 30, style_weight: 20, snapshot_every: 5}
- {id: keep, op: save, image: $styled, path: out/styled.png}
"""


def blend(tab) -> None:
    tab.click('#sample-list li:text-is("sample:astronaut")')
    tab.click('#sample-list li:text-is("sample:chelsea")')
    tab.wait_for_selector('#view-status:has-text("chelsea:")')
    tab.click("[data-tool=ellipse]")
    drag(tab, on_image(tab, 300, 451, 40, 110), on_image(tab, 300, 451, 200, 280))
    tab.click("#save-mask")
    tab.wait_for_selector('#message:has-text("mask saved")')
    place(tab, "chelsea", "astronaut", on_image(tab, 512, 512, 120, 200),
          on_image(tab, 512, 512, 300, 380), (180, 180))
    tab.click("#run")
    tab.wait_for_selector("body[data-run=done]", timeout=120_000)
    tab.wait_for_selector("#outputs img")
    time.sleep(0.5)
    tab.screenshot(path=HERE / "workbench-blend.png")


def iteration(status: str) -> int:
    """The iteration a running status line names (0 before the first)."""
    found = re.search(r"iteration (\d+)/", status)
    return int(found.group(1)) if found else 0


def style_run(tab) -> None:
    tab.select_option("#recipes", "style.yaml")
    tab.wait_for_selector('.step[data-step="styled"]')
    tab.click("#run")
    tab.wait_for_selector("#snapshot[src]", timeout=300_000)
    while iteration(tab.locator("#run-status").inner_text()) < 16:
        time.sleep(0.5)
    tab.screenshot(path=HERE / "workbench-running.png")
    tab.wait_for_selector("body[data-run=done]", timeout=300_000)


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="workbench-gallery-"))
    (folder / "style.yaml").write_text(STYLE)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    settings = Settings(folder, folder, load_registry())
    try:
        with served(lambda port: create_app(settings, TOKEN, port)) as base, \
                sync_playwright() as p:
            url = f"{base}/?token={TOKEN}"
            browser = p.chromium.launch(executable_path=chromium, headless=True)
            tab = browser.new_page(viewport={"width": 1280, "height": 800})
            tab.goto(url)
            tab.wait_for_selector("body[data-ready=yes]")
            blend(tab)
            style_run(tab)
            browser.close()
    finally:
        shutil.rmtree(folder)
    print(HERE / "workbench-blend.png", HERE / "workbench-running.png", sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
