"""Helpers shared by the workbench's browser tests and the gallery's screenshot script:
a server in a thread, and mouse gestures on the page's canvas (in image coordinates)."""
from __future__ import annotations

import contextlib
import os
import threading
import time
from typing import Iterator

from .cli import free_port

TOKEN = "t" * 48
PORT = 8765


def make_app(folder, registry, allow_plugins: bool = False, port: int = PORT,
             token: str = TOKEN):
    """The guarded workbench on ``folder`` (also its output folder)."""
    from .app import create_app
    from .recipes import Settings

    return create_app(Settings(folder, folder, registry, allow_plugins), token, port)


def snapshot(root) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` (links not followed) with its size and mtime: equal
    snapshots before and after mean nothing was written there."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(folder, name))
            found[os.path.join(folder, name)] = (st.st_size, st.st_mtime_ns)
    return found


@contextlib.contextmanager
def served(make_app) -> Iterator[str]:
    """Run ``make_app(port)`` on a free port of 127.0.0.1 in a thread; yield the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(port), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def on_image(tab, rows: int, cols: int, row: float, col: float) -> tuple[float, float]:
    """Where image pixel (row, col) of a rows x cols image lies on the screen: the view
    fits the image to the canvas, centred."""
    box = tab.locator("#canvas").bounding_box()
    z = min(box["width"] / cols, box["height"] / rows)
    return (box["x"] + (box["width"] - cols * z) / 2 + (col + 0.5) * z,
            box["y"] + (box["height"] - rows * z) / 2 + (row + 0.5) * z)


def drag(tab, start: tuple[float, float], end: tuple[float, float], steps: int = 6) -> None:
    """Press at ``start``, move to ``end`` in ``steps``, release."""
    tab.mouse.move(*start)
    tab.mouse.down()
    tab.mouse.move(*end, steps=steps)
    tab.mouse.up()


def place(tab, source: str, target: str, start, end, offset: tuple[int, int]) -> None:
    """Place the cutout of step ``source`` onto step ``target``, drag it from ``start`` to
    ``end`` (screen points) and wait for the exact blend at ``offset`` (row, col)."""
    tab.select_option("#place-source", source)
    tab.select_option("#place-target", target)
    tab.click("#place")
    tab.wait_for_selector('#message:has-text("blend at offset")')
    drag(tab, start, end)
    tab.wait_for_selector(f'#message:has-text("blend at offset [{offset[0]},{offset[1]}]")')
