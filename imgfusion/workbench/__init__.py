"""The workbench: ``imgfusion serve [FOLDER]``, a local page that writes and runs recipes.

The page draws masks, places a cutout over a target with a live blend preview, builds a
form for any registered operator from its declaration, runs the recipe with live
progress and hands the recipe (YAML, masks as files next to it) and the outputs back.
What it makes runs identically with ``imgfusion run``: it is a recipe editor.  It
replaces only files it wrote itself, unchanged since (:mod:`.ledger`): never the user's.

Server: Starlette on uvicorn.  Both are small, typed, well kept ASGI libraries (the
base FastAPI itself builds on), with a test client that needs no network; the page
needs a handful of JSON routes, a file response and server-sent events, which
Starlette has without the validation layer and OpenAPI machinery FastAPI would add.
The page is plain JavaScript modules and CSS shipped as package data: no build step.

Modules: :mod:`.guard` (token, Host, Origin), :mod:`.files` (paths confined to the
folders, uploads), :mod:`.recipes` (validation and confinement of the page's recipes),
:mod:`.runs` (one run at a time, its events to every tab), :mod:`.ledger` (the files it
wrote, which it alone may replace), :mod:`.preview` (the blend
preview), :mod:`.app` (the routes), :mod:`.cli` (the subcommand).
"""
