"""The workbench refuses what a hostile page or link could ask: no token, a foreign Host
(DNS rebinding), a foreign or null Origin, a cross-site form, a path out of the folder
(``..``, absolute, a link out), an oversized or non-image upload, plugins."""
import json

import numpy as np
import pytest
from starlette.testclient import TestClient

from imgfusion.workbench.testing import PORT, TOKEN, make_app, snapshot

from imgfusion.io.write import write_image
from imgfusion.workbench import files

LOCAL = f"127.0.0.1:{PORT}"


@pytest.fixture
def bare(folders, registry):
    """A client without the cookie."""
    return TestClient(make_app(folders[0], registry), base_url=f"http://{LOCAL}")


@pytest.mark.parametrize("url", ["/", "/api/files", "/api/image?path=cat.png", "/api/ops",
                                 "/static/app.js", "/api/events"])
def test_no_token_is_refused(bare, url):
    r = bare.get(url)
    assert r.status_code == 403 and "token" in r.text
    assert bare.get(url + ("&" if "?" in url else "?") + "token=wrong" + "0" * 43).status_code == 403


def test_token_in_url_becomes_a_cookie(bare):
    r = bare.get(f"/?token={TOKEN}")
    assert r.status_code == 200 and "imgfusion workbench" in r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert bare.get("/api/files").status_code == 200  # the cookie now carries the token


@pytest.mark.parametrize("host", ["evil.example:8765", f"127.0.0.1:{PORT + 1}", "127.0.0.1",
                                  "localhost.evil.example:8765", ""])
def test_foreign_host_is_refused(client, host):
    r = client.get("/api/files", headers={"Host": host})
    assert r.status_code == 403 and "Host" in r.text


@pytest.mark.parametrize("host", [LOCAL, f"localhost:{PORT}", f"[::1]:{PORT}"])
def test_local_hosts_pass(client, host):
    assert client.get("/api/files", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", f"https://{LOCAL}",
                                    f"http://localhost:{PORT}", "http://127.0.0.1"])
def test_foreign_or_null_origin_is_refused(client, origin):
    recipe = {"recipe": {"imgfusion": 1, "steps": []}}
    r = client.post("/api/validate", json=recipe, headers={"Origin": origin})
    assert r.status_code == 403 and "Origin" in r.text
    assert client.post("/api/validate", json=recipe,
                       headers={"Origin": f"http://{LOCAL}"}).status_code == 200


def test_cross_site_fetch_and_form_posts_are_refused(client, folders):
    before = snapshot(folders[0].parent)
    r = client.get("/api/files", headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    r = client.post("/api/stop", content=b"x=1",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403 and "content type" in r.text
    r = client.post("/api/mask?step=m", content=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 403
    assert snapshot(folders[0].parent) == before


@pytest.mark.parametrize("path", ["../outside/secret.png", "link.png", "away/secret.png",
                                  "/etc/passwd", "sub/../../outside/secret.png", "~/x.png"])
def test_paths_out_of_the_folder_are_refused(client, path):
    for url in (f"/api/image?path={path}", f"/api/output?path={path}",
                f"/api/output?path={path}&download=1", f"/api/recipe?path={path}"):
        r = client.get(url)
        assert r.status_code == 403, (url, r.status_code)
        assert b"\x89PNG" not in r.content


def test_listing_leaves_out_links_out(client):
    images = client.get("/api/files").json()["images"]
    assert images == ["cat.png", "target.png"]


def _png(client, path="cat.png") -> bytes:
    from imgfusion.workbench.files import png_bytes
    from imgfusion.io.read import read_image

    return png_bytes(read_image(path)) if path.startswith("/") else client.get(
        f"/api/image?path={path}").content


@pytest.mark.parametrize("url", ["/api/upload?name=../evil.png", "/api/upload?name=..",
                                 "/api/mask?step=../../outside/evil",
                                 "/api/mask?step=away/evil", "/api/upload?name=a/../../b.png"])
def test_writes_out_of_the_folder_are_refused(client, folders, url):
    before = snapshot(folders[0].parent)
    r = client.post(url, content=_png(client),
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code in (400, 403)
    assert snapshot(folders[0].parent) == before


def test_a_folder_linked_out_is_not_written_through(client, folders):
    import os

    os.symlink(folders[1], folders[0] / "uploads")
    os.symlink(folders[1], folders[0] / "masks")
    before = snapshot(folders[0].parent)
    for url in ("/api/upload?name=evil.png", "/api/mask?step=evil"):
        r = client.post(url, content=_png(client),
                        headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 403 and "outside" in r.json()["error"]
    assert snapshot(folders[0].parent) == before


def test_oversized_upload_is_refused_and_nothing_stays(client, folders, monkeypatch):
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", 1000)
    before = snapshot(folders[0].parent)
    big = _png(client, "target.png")
    assert len(big) > 1000
    r = client.post("/api/upload?name=big.png", content=big,
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 413
    r = client.post("/api/upload?name=big.png", content=iter([big[:600], big[600:]]),
                    headers={"Content-Type": "application/octet-stream"})  # no length given
    assert r.status_code == 413
    assert snapshot(folders[0].parent) == before


def test_upload_is_header_checked_like_every_image(client, folders):
    before = snapshot(folders[0].parent)
    png = bytearray(_png(client))
    png[16:24] = (100_000).to_bytes(4, "big") * 2  # IHDR declares 100000 x 100000
    for data, why in ((bytes(png), "pixels"), (b"not an image at all", "not a valid PNG")):
        r = client.post("/api/upload?name=x.png", content=data,
                        headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 422 and why in r.json()["error"]
    after = snapshot(folders[0].parent)
    assert set(after) - set(before) == {str(folders[0] / "uploads")}  # the folder, empty


def test_a_good_upload_lands_in_uploads(client, folders):
    data = _png(client)
    r = client.post("/api/upload?name=mine.png", content=data,
                    headers={"Content-Type": "application/octet-stream"})
    assert r.json() == {"path": "uploads/mine.png"}
    assert (folders[0] / "uploads" / "mine.png").read_bytes() == data
    saved = write_image(folders[0] / "saved.png", np.zeros((2, 2, 3), np.float32))
    assert (folders[0] / "uploads" / "mine.png").stat().st_mode == saved.stat().st_mode
    r = client.post("/api/upload?name=mine.png", content=data,
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 409  # never replaced


def test_an_image_is_shown_with_the_pixels_save_writes(tmp_path):
    """Halfway values and a grey H x W x 1 image: the page sees what ``save`` wrote."""
    from PIL import Image
    import io

    for image in (np.arange(256 * 3, dtype=np.float32).reshape(16, 16, 3) / (255 * 3),
                  np.full((4, 4, 1), 0.5 / 255, np.float32)):
        shown = np.asarray(Image.open(io.BytesIO(files.png_bytes(image))))
        saved = np.asarray(Image.open(write_image(tmp_path / f"{image.shape[2]}.png", image)))
        assert np.array_equal(shown, saved)
    with pytest.raises(files.Refused, match="NaN") as err:
        files.png_bytes(np.full((2, 2, 3), np.nan, np.float32))
    assert err.value.status == 422


def _recipe(*steps, **top):
    return {"recipe": {"imgfusion": 1, **top, "steps": list(steps)}, "name": "t"}


def test_recipe_inputs_out_of_the_folder_are_problems_naming_step_and_field(client, folders):
    secret = str(folders[1] / "secret.png")
    body = _recipe({"id": "a", "op": "load", "path": "../outside/secret.png"},
                   {"id": "b", "op": "load", "path": secret},
                   {"id": "c", "op": "load_mask", "path": "link.png"},
                   {"id": "d", "op": "load", "path": "sample:astronaut"})
    problems = client.post("/api/validate", json=body).json()["problems"]
    assert [(p["step"], p["field"]) for p in problems] == [("a", "path"), ("b", "path"),
                                                          ("c", "path")]
    r = client.post("/api/run", json=body)
    assert r.status_code == 400 and len(r.json()["problems"]) == 3
    assert client.post("/api/download", json=body).status_code == 400


def test_old_field_names_are_confined_too(client, folders):
    """A renamed field's old name (fast_style's model_path) names the same input file."""
    secret = str(folders[1] / "secret.safetensors")
    body = _recipe({"id": "a", "op": "load", "path": "cat.png"},
                   {"id": "f", "op": "fast_style", "image": "$a", "model_path": secret},
                   {"id": "g", "op": "fast_style", "image": "$a",
                    "sweep": {"model_path": [secret]}},
                   {"id": "v", "op": "train_style_vae", "paintings_folder": str(folders[1]),
                    "frames_folder": "frames", "path": "vae.safetensors"})
    problems = client.post("/api/validate", json=body).json()["problems"]
    assert {(p["step"], p["field"]) for p in problems} >= {
        ("f", "model_path"), ("g", "sweep.model_path"), ("v", "paintings_folder")}
    assert client.post("/api/run", json=body).status_code == 400


def test_outputs_stay_in_the_output_folder(client, folders):
    body = _recipe({"id": "a", "op": "load", "path": "cat.png"},
                   {"id": "s", "op": "save", "path": "../outside/written.png"})
    problems = client.post("/api/validate", json=body).json()["problems"]
    assert [(p["step"], p["field"]) for p in problems] == [("s", "path")]


def test_plugins_are_refused_unless_allowed(client, folders, registry):
    plugin = folders[0] / "evil.py"
    plugin.write_text("open('PWNED', 'w').close()\n")
    body = _recipe({"id": "a", "op": "load", "path": "cat.png"}, plugins=["evil.py"])
    problems = client.post("/api/validate", json=body).json()["problems"]
    assert [p["field"] for p in problems] == ["plugins"]
    assert "--allow-plugins" in problems[0]["message"]
    assert client.post("/api/run", json=body).status_code == 400
    assert not (folders[0] / "PWNED").exists()
    with TestClient(make_app(folders[0], registry, allow_plugins=True),
                    base_url=f"http://{LOCAL}") as allowed:
        allowed.get(f"/?token={TOKEN}")
        out = _recipe({"id": "a", "op": "load", "path": "cat.png"}, plugins=["../x.py"])
        problems = allowed.post("/api/validate", json=out).json()["problems"]
        assert [p["field"] for p in problems] == ["plugins"]


def test_a_second_run_while_one_goes_is_refused(client):
    import threading

    gate = threading.Event()
    runs = client.app.state.runs
    runs.thread = threading.Thread(target=gate.wait)
    runs.thread.start()
    try:
        r = client.post("/api/run", json=_recipe({"id": "a", "op": "load", "path": "cat.png"}))
        assert r.status_code == 409 and "already going" in r.json()["error"]
    finally:
        gate.set()
        runs.thread.join()


def test_preview_equals_the_exact_blend(client, folders, registry):
    from imgfusion.io.read import read_image

    mask = np.zeros((48, 48), np.float32)
    mask[10:38, 12:36] = 1
    from imgfusion.workbench.files import png_bytes

    r = client.post("/api/mask?step=cat_mask", content=png_bytes(mask),
                    headers={"Content-Type": "application/octet-stream"})
    assert r.json() == {"path": "masks/cat_mask.png"}
    ask = {"source": "cat.png", "target": "target.png", "mask": "masks/cat_mask.png",
           "offset": [5, 9], "scale": 1, "mode": "exact"}
    shown = client.post("/api/preview", json=ask)
    src, dst = read_image(folders[0] / "cat.png"), read_image(folders[0] / "target.png")
    exact = registry["poisson_blend"].function(src, dst, mask, offset=(5, 9)).image
    assert shown.content == png_bytes(exact)
    fast = client.post("/api/preview", json={**ask, "mode": "fast"})
    assert fast.status_code == 200 and fast.content != shown.content
    assert client.post("/api/preview", json={**ask, "target": "link.png"}).status_code == 403


def test_events_stream_is_guarded_too(bare):
    r = bare.get("/api/events", headers={"Origin": "null"})
    assert r.status_code == 403


def test_a_websocket_without_the_token_is_closed(bare):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed:
        with bare.websocket_connect("/api/events"):
            pass
    assert closed.value.code == 1008


def test_run_saves_the_recipe_in_the_folder_and_refuses_a_name_with_a_path(client, folders):
    body = _recipe({"id": "a", "op": "load", "path": "cat.png"})
    r = client.post("/api/run", json={**body, "name": "../evil"})
    assert r.status_code == 400 and "recipe name" in r.json()["error"]
    assert not (folders[0].parent / "evil.yaml").exists()
    r = client.post("/api/run", json={**body, "name": "mine"})
    assert r.json()["recipe"] == "mine.yaml"
    client.app.state.runs.thread.join(30)
    assert "cat.png" in (folders[0] / "mine.yaml").read_text()


def _run(client, body, name="wb"):
    r = client.post("/api/run", json={**body, "name": name})
    if r.status_code == 200:
        client.app.state.runs.thread.join(60)
    return r


def test_a_run_never_replaces_the_users_files(client, folders):
    """Only what the workbench itself wrote, unchanged since, is replaced unasked: a
    user's image in the way of a save is a problem naming the step and field, a user's
    recipe file under the page's recipe name is refused, and an output the user has
    changed since the workbench wrote it is theirs."""
    mine = folders[0] / "target.png"
    before = mine.read_bytes()
    body = _recipe({"id": "a", "op": "load", "path": "cat.png"},
                   {"id": "s", "op": "save", "path": "target.png"})
    r = _run(client, body)
    assert r.status_code == 400 and [(p["step"], p["field"]) for p in r.json()["problems"]] \
        == [("s", "path")]
    assert mine.read_bytes() == before
    (folders[0] / "notes.yaml").write_text("# mine\n")
    ours = _recipe({"id": "a", "op": "load", "path": "cat.png"},
                   {"id": "s", "op": "save", "path": "ours.png"})
    r = _run(client, ours, "notes")
    assert r.status_code == 409 and (folders[0] / "notes.yaml").read_text() == "# mine\n"
    assert _run(client, ours).status_code == 200 and (folders[0] / "ours.png").is_file()
    assert _run(client, ours).status_code == 200        # its own output and recipe, again
    assert client.app.state.runs.state["status"] == "done", client.app.state.runs.state
    with open(folders[0] / "ours.png", "ab") as fh:      # the user edits the output
        fh.write(b"\0")
    assert _run(client, ours).status_code == 400


def test_a_run_that_fails_early_claims_nothing_it_did_not_write(client, folders):
    """A workbench run stopped before the engine wrote its record does not adopt the
    files an earlier ``imgfusion run`` listed in run.json; a damaged ledger counts as
    empty; a mask drawn over the user's own mask file is refused."""
    (folders[0] / "result.png").write_bytes((folders[0] / "cat.png").read_bytes())
    (folders[0] / "run.json").write_text(json.dumps(
        {"status": "ok", "versions": {}, "steps": [],
         "written": [str(folders[0] / "result.png")]}))
    failing = _recipe({"id": "a", "op": "load", "path": "cat.png"},
                      {"id": "s", "op": "save", "path": "other.png"}, device="cuda:9")
    _run(client, failing)
    body = _recipe({"id": "a", "op": "load", "path": "cat.png"},
                   {"id": "s", "op": "save", "path": "result.png"})
    assert _run(client, body).status_code == 400
    (folders[0] / ".imgfusion-workbench.json").write_text("[" * 100000)
    assert client.post("/api/validate", json=body).status_code == 200
    (folders[0] / "masks").mkdir(exist_ok=True)
    (folders[0] / "masks" / "sky.png").write_bytes(b"mine")
    r = client.post("/api/mask?step=sky", content=_png(client),
                    headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 409 and (folders[0] / "masks" / "sky.png").read_bytes() == b"mine"
