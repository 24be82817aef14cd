"""One run at a time: it goes on when every tab has closed, stops when asked (what
finished stays), and every subscribed tab hears its events."""
import asyncio
import time

from imgfusion.workbench.recipes import Settings, checked
from imgfusion.workbench.runs import Runs


def _recipe(folder, registry):
    raw = {"imgfusion": 1, "steps": [
        {"id": "a", "op": "load", "path": "cat.png"},
        {"id": "s", "op": "save", "path": "out/a.png"},
        {"id": "g", "op": "to_gray", "image": "$a"},
        {"id": "t", "op": "save", "path": "out/gray.png"}]}
    return checked(raw, Settings(folder, folder, registry))


def test_a_run_without_any_tab_finishes_and_lists_its_outputs(folders, registry):
    runs = Runs(folders[0])
    runs.start(_recipe(folders[0], registry), "t.yaml")
    runs.thread.join(60)
    assert runs.state["status"] == "done"
    assert runs.state["outputs"] == ["out/a.png", "out/gray.png"]


def test_stop_ends_the_run_at_its_next_step_and_keeps_what_finished(folders, registry):
    runs = Runs(folders[0])
    seen = []
    runs.emit = lambda event: (seen.append(event), runs.state.update(event))
    recipe = _recipe(folders[0], registry)

    def stop_at_gray(event, since, observe=runs._observe):
        runs.stop_asked = event.get("step") == "g"
        observe(event, since)
    runs._observe = stop_at_gray
    runs._run(recipe, time.time())
    assert seen[-1]["status"] == "stopped" and seen[-1]["outputs"] == ["out/a.png"]
    assert (folders[0] / "out" / "a.png").is_file()
    assert not (folders[0] / "out" / "gray.png").exists()


def test_every_tab_hears_the_run_and_a_closed_tab_stops_listening(folders, registry):
    async def watch():
        runs = Runs(folders[0])
        first, second = runs.subscribe(), runs.subscribe()
        assert (await first.get())["status"] == "idle"  # each tab starts from the state
        await second.get()
        runs.unsubscribe(second)  # this tab closed
        runs.start(_recipe(folders[0], registry), "t.yaml", asyncio.get_running_loop())
        events = []
        while not events or events[-1]["event"] != "end":
            events.append(await asyncio.wait_for(first.get(), 60))
        return events, second
    events, closed = asyncio.run(watch())
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert [e["step"] for e in events if e["event"] == "step"] == ["a", "s", "g", "t"]
    assert closed.empty()


def test_a_tab_that_closes_its_event_stream_is_forgotten(folders, registry):
    import socket
    from urllib.parse import urlsplit

    from imgfusion.workbench.testing import TOKEN, make_app, served

    apps = []

    def build(port):
        apps.append(make_app(folders[0], registry, port=port))
        return apps[0]
    with served(build) as base:
        url = urlsplit(base)
        with socket.create_connection((url.hostname, url.port), timeout=10) as tab:
            tab.sendall(f"GET /api/events?token={TOKEN} HTTP/1.1\r\nHost: {url.netloc}"
                        "\r\n\r\n".encode())
            heard = b""
            while b"\n\n" not in heard.partition(b"data:")[2]:
                heard += tab.recv(4096)
            assert b'"status": "idle"' in heard
            assert len(apps[0].state.runs.subscribers) == 1
        deadline = time.time() + 10
        while apps[0].state.runs.subscribers and time.time() < deadline:
            time.sleep(0.05)
        assert not apps[0].state.runs.subscribers


def test_a_style_step_reports_iterations_losses_and_its_current_image(folders, registry,
                                                                   quiet_one_torch_thread):
    raw = {"imgfusion": 1, "device": "cpu", "steps": [
        {"id": "a", "op": "load", "path": "cat.png"},
        {"id": "s", "op": "neural_style", "content": "$a", "style": "$a", "size": 32,
         "iterations": 6, "weights": "random", "snapshot_every": 2}]}
    runs = Runs(folders[0])
    seen = []
    runs.emit = lambda event: (seen.append(dict(event)), runs.state.update(event))
    runs._run(checked(raw, Settings(folders[0], folders[0], registry)), time.time())
    progress = [e for e in seen if e["event"] == "progress"]
    assert progress and progress[-1]["done"] == progress[-1]["total"] == 6
    assert all(isinstance(e["loss"], float) for e in progress)
    shots = [e["snapshot"] for e in progress if e.get("snapshot")]
    assert shots and all(s.startswith("snapshots/") for s in shots)
    assert (folders[0] / shots[-1]).is_file() and seen[-1]["status"] == "done"
