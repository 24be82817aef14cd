"""One run at a time, its events to every open tab.

A run goes in a worker thread (the engine is synchronous); its events (start, each
step, each operator's progress with iteration and loss, the latest style snapshot,
the end with every file written) are kept and broadcast to every subscriber, each an
``asyncio.Queue`` of one tab's event stream.  A tab that closes mid-run just leaves:
the run goes on and its outputs stay.  A second run while one is going is refused
(409) with what is running; stop it or wait.  Stop raises :class:`RunStopped` (a
``KeyboardInterrupt``) from the engine's next event, as Ctrl-C does on the command
line: what finished stays, a style step writes its latest image, run.json is written.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

from ..engine import run_recipe
from ..errors import ImgfusionError
from ..paths import RUN_RECORD, is_run_record, lies_inside
from ..recipe import Recipe
from . import ledger
from .files import Refused

SHOWN = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
HISTORY = 200


class RunStopped(KeyboardInterrupt):
    """The page asked the run to stop."""


class Runs:
    """The server's run: at most one at a time; every tab hears its events."""

    def __init__(self, out: Path, folder: Path | None = None) -> None:
        self.out = out
        self.folder = out if folder is None else folder   # where the ledger is kept
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.stop_asked = False
        self.state: dict[str, Any] = {"status": "idle", "outputs": []}
        self.subscribers: set[asyncio.Queue] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.count = 0

    # -- subscribers -------------------------------------------------------------
    def subscribe(self) -> asyncio.Queue:
        self.loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue(maxsize=HISTORY)
        queue.put_nowait({"event": "state", **self.state})
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.subscribers.discard(queue)

    def _deliver(self, event: dict) -> None:
        for queue in list(self.subscribers):
            if queue.full():  # a stalled tab loses old events, not the run
                queue.get_nowait()
            queue.put_nowait(event)

    def emit(self, event: dict) -> None:
        """Record ``event`` in the state and send it to every tab (from any thread)."""
        self.state.update({k: v for k, v in event.items() if k != "event"})
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._deliver, dict(event))

    # -- the run -----------------------------------------------------------------
    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def check_free(self) -> None:
        """Refused (409), naming what runs, while a run is going."""
        if self.busy():
            raise Refused(f"a run is already going (run {self.count}, step "
                          f"{self.state.get('step') or '-'}); stop it or wait for it", 409)

    def start(self, recipe: Recipe, name: str, loop=None) -> int:
        """Start ``recipe`` in a worker thread; Refused (409) while another runs."""
        with self.lock:
            self.check_free()
            self.loop = loop or self.loop
            self.count += 1
            self.stop_asked = False
            self.state = {}
            self.emit({"event": "start", "status": "running", "outputs": [], "run": self.count,
                       "recipe": name,
                       "steps": [s.id for s in recipe.steps], "step": None, "done": 0,
                       "total": None, "loss": None, "snapshot": None, "error": None})
            self.thread = threading.Thread(target=self._run, args=(recipe, time.time()),
                                           daemon=True, name=f"workbench-run-{self.count}")
            self.thread.start()
        return self.count

    def stop(self) -> bool:
        """Ask the running recipe to stop at its next event; False when none runs."""
        if not self.busy():
            return False
        self.stop_asked = True
        return True

    def _observe(self, event: dict, since: float) -> None:
        if self.stop_asked:
            raise RunStopped()
        if event["event"] == "step":
            self.emit({"event": "step", "step": event["step"], "op": event["op"],
                       "done": 0, "total": None, "loss": None})
            return
        info = {"event": "progress", "step": event.get("step"), "done": event.get("done"),
                "total": event.get("total"), "loss": _number(event.get("loss")),
                "level": event.get("level")}
        snap = newest_image(self.out, since)
        if snap is not None and snap != self.state.get("snapshot"):
            info["snapshot"] = snap
        self.emit(info)

    def _run(self, recipe: Recipe, since: float) -> None:
        status, error, files = "done", None, []
        try:
            files = run_recipe(recipe, progress=False,
                               observer=lambda e: self._observe(e, since)).written
        except RunStopped as exc:
            status, files = "stopped", getattr(exc, "written", [])
        except (ImgfusionError, KeyboardInterrupt) as exc:
            status, error = ("stopped", None) if self.stop_asked else ("failed", str(exc))
            files = getattr(exc, "written", [])
        except Exception as exc:  # noqa: BLE001 - the page must hear of any failure
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        files = [f for f in files if lies_inside(f, self.out)]
        ledger.record(self.folder, files)   # this run's own: a later run may replace them
        self.emit({"event": "end", "status": status, "error": error,
                   "outputs": self.written(files)})

    def written(self, files: list[str] | None = None) -> list[str]:
        """The images the run wrote (``files``; by default the last run's, from its
        run.json), relative to the output folder: what it finished stays listed, whatever
        stopped it."""
        if files is None:
            record = self.out / RUN_RECORD
            files = (json.loads(record.read_text(encoding="utf-8")).get("written", [])
                     if is_run_record(record) else [])
        return [Path(f).relative_to(self.out.resolve()).as_posix() for f in files
                if isinstance(f, str) and Path(f).suffix.lower() in SHOWN
                and lies_inside(f, self.out)]


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def newest_image(root: Path, since: float) -> str | None:
    """The newest image written under ``root/snapshots`` since ``since`` (a style step's
    latest snapshot), relative to ``root``."""
    folder = root / "snapshots"
    if not folder.is_dir():
        return None
    best, when = None, since
    for p in folder.rglob("*"):
        if p.suffix.lower() in SHOWN and not p.name.startswith("."):
            mtime = p.stat().st_mtime
            if mtime >= when:
                best, when = p, mtime
    return best.relative_to(root).as_posix() if best else None
