"""The workbench's routes (Starlette), behind the :class:`~.guard.Guard`.

GET  /                      the page (static/index.html); /static/... its modules and CSS
GET  /api/files             images in FOLDER, the samples, the recipes in FOLDER
GET  /api/image?path=       an image of FOLDER (or sample:NAME) decoded, as PNG
GET  /api/output?path=      a file of the output folder (&download=1: as an attachment)
GET  /api/ops               every registered operator's declaration (forms are built from it)
POST /api/upload?name=      raw image bytes -> FOLDER/uploads/NAME (checked like every image)
POST /api/mask?step=        a drawn mask (PNG bytes) -> FOLDER/masks/STEP.png
POST /api/validate          {recipe} -> {problems: [{step, field, message}]}
POST /api/run               {recipe, name} -> saved as FOLDER/NAME.yaml, validated, started
POST /api/stop              stop the run at its next event
GET  /api/events            server-sent events of the run (every tab)
GET  /api/recipe?path=      a recipe of FOLDER, parsed (safe loading)
POST /api/download          {recipe, name} -> zip of NAME.yaml and the files it reads
POST /api/preview           {source, mask, target, offset, scale, mode} -> PNG
POST /api/refine            {op, image, mask, params} -> the mask tool's mask, as PNG
"""
from __future__ import annotations

import asyncio
import json
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import files, ledger, preview, recipes
from .guard import Guard
from .recipes import Settings
from .runs import Runs

HEARTBEAT_S = 15.0
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:"}


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers=SAFE_HEADERS)


def _refused(exc: files.Refused) -> JSONResponse:
    body = {"error": str(exc), "problems": getattr(exc, "problems", [])}
    return JSONResponse(body, status_code=exc.status, headers=SAFE_HEADERS)


def handler(func):
    """A route: :class:`~.files.Refused` becomes its status with a JSON reason."""
    async def route(request: Request) -> Response:
        try:
            return await func(request, request.app.state.settings)
        except files.Refused as exc:
            return _refused(exc)
    return route


async def _json(request: Request) -> dict:
    try:
        body = json.loads(await files.read_body(request, 4 * 2**20))
    except (ValueError, UnicodeDecodeError):
        raise files.Refused("the body is not JSON") from None
    if not isinstance(body, dict):
        raise files.Refused("the body is a JSON object")
    return body


async def page(request: Request, settings: Settings) -> Response:
    return FileResponse(_static() / "index.html", headers=SAFE_HEADERS)


async def list_files(request: Request, settings: Settings) -> Response:
    images = await run_in_threadpool(files.list_images, settings.folder)
    return JSONResponse({"folder": str(settings.folder), "out": str(settings.out),
                         "images": images, "samples": files.samples(),
                         "recipes": files.list_recipes(settings.folder),
                         "allow_plugins": settings.allow_plugins,
                         "mask_tools": preview.mask_tools(settings.registry)})


async def image(request: Request, settings: Settings) -> Response:
    rel = request.query_params.get("path", "")
    return _png(await run_in_threadpool(files.decoded_png, settings.folder, rel))


async def output(request: Request, settings: Settings) -> Response:
    path = files.inside(settings.out, request.query_params.get("path", ""))
    if not path.is_file():
        raise files.Refused(f"no output {request.query_params.get('path')!r}", 404)
    if request.query_params.get("download"):
        return FileResponse(path, filename=path.name, headers=SAFE_HEADERS,
                            media_type="application/octet-stream")
    rel = path.relative_to(settings.out.resolve()).as_posix()
    return _png(await run_in_threadpool(files.decoded_png, settings.out.resolve(), rel))


async def ops(request: Request, settings: Settings) -> Response:
    reg = settings.registry
    return JSONResponse([reg[n].describe() for n in reg.names()])


async def upload(request: Request, settings: Settings) -> Response:
    data = await files.read_body(request)
    rel = "uploads/" + request.query_params.get("name", "")
    await run_in_threadpool(files.store_image, settings.folder, rel, data)
    return JSONResponse({"path": rel})


async def mask(request: Request, settings: Settings) -> Response:
    data = await files.read_body(request)
    rel = preview.mask_path(request.query_params.get("step", ""))
    dest = files.inside(settings.folder, rel)
    if not ledger.own_or_free(settings.folder, dest):
        raise files.Refused(f"{rel} exists and the workbench did not draw it (or it has "
                            "changed since): name the step differently", 409)
    await run_in_threadpool(files.store_image, settings.folder, rel, data, True)
    ledger.record(settings.folder, [dest])
    return JSONResponse({"path": rel})


async def validate(request: Request, settings: Settings) -> Response:
    body = await _json(request)
    try:
        await run_in_threadpool(recipes.checked, body.get("recipe"), settings)
    except recipes.Problems as exc:
        return JSONResponse({"problems": exc.problems})
    return JSONResponse({"problems": []})


async def run(request: Request, settings: Settings) -> Response:
    body = await _json(request)
    runs: Runs = request.app.state.runs
    runs.check_free()
    raw = body.get("recipe")
    recipe = await run_in_threadpool(recipes.checked, raw, settings)
    path = recipes.save(raw, body.get("name"), settings)
    number = runs.start(recipe, path.name, asyncio.get_running_loop())
    return JSONResponse({"run": number, "recipe": path.name})


async def stop(request: Request, settings: Settings) -> Response:
    return JSONResponse({"stopping": request.app.state.runs.stop()})


async def events(request: Request, settings: Settings) -> Response:
    runs: Runs = request.app.state.runs
    queue = runs.subscribe()

    async def stream():
        try:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except asyncio.TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                yield f"data: {json.dumps(event, default=str)}\n\n"
        finally:  # the tab closed: it stops listening, the run goes on
            runs.unsubscribe(queue)
    return StreamingResponse(stream(), media_type="text/event-stream", headers=SAFE_HEADERS)


async def open_recipe(request: Request, settings: Settings) -> Response:
    raw = recipes.open_recipe(request.query_params.get("path", ""), settings)
    return JSONResponse({"recipe": raw}, headers=SAFE_HEADERS)


async def download(request: Request, settings: Settings) -> Response:
    body = await _json(request)
    raw, name = body.get("recipe"), body.get("name")
    await run_in_threadpool(recipes.checked, raw, settings)
    data = await run_in_threadpool(recipes.bundle, raw, name, settings)
    zipname = Path(recipes.recipe_name(name)).stem + ".zip"
    return Response(data, media_type="application/zip", headers={
        **SAFE_HEADERS, "Content-Disposition": f'attachment; filename="{zipname}"'})


async def blend_preview(request: Request, settings: Settings) -> Response:
    body = await _json(request)
    return _png(await run_in_threadpool(preview.blend, settings, body))


async def refine_mask(request: Request, settings: Settings) -> Response:
    body = await _json(request)
    return _png(await run_in_threadpool(preview.refine, settings, body))


def _static() -> Path:
    return Path(str(resources.files("imgfusion.workbench") / "static"))


ROUTES = (("/", page, "GET"), ("/api/files", list_files, "GET"), ("/api/image", image, "GET"),
          ("/api/output", output, "GET"), ("/api/ops", ops, "GET"),
          ("/api/upload", upload, "POST"), ("/api/mask", mask, "POST"),
          ("/api/validate", validate, "POST"), ("/api/run", run, "POST"),
          ("/api/stop", stop, "POST"), ("/api/events", events, "GET"),
          ("/api/recipe", open_recipe, "GET"), ("/api/download", download, "POST"),
          ("/api/preview", blend_preview, "POST"), ("/api/refine", refine_mask, "POST"))


def create_app(settings: Settings, token: str, port: int) -> Guard:
    """The page's ASGI application, guarded by ``token`` on ``port``."""
    routes = [Route(path, handler(f), methods=[m]) for path, f, m in ROUTES]
    routes.append(Mount("/static", StaticFiles(directory=_static()), name="static"))
    app = Starlette(routes=routes)
    app.state.settings = settings
    app.state.runs = Runs(settings.out, settings.folder)
    guarded = Guard(app, token, port)
    guarded.state = app.state
    return guarded
