"""``imgfusion serve``: its arguments and the command (registered by the workbench's plugin)."""
from __future__ import annotations

import argparse
import socket
import sys
import threading
import webbrowser
from pathlib import Path

EPILOG = """\
examples:
  imgfusion serve                    the current folder, a free port, a browser tab
  imgfusion serve photos --port 8765 --no-browser

The server listens on 127.0.0.1 only.  Open the printed URL: its token is required
(it becomes a cookie).  Paths on the page stay inside FOLDER (inputs, drawn masks in
FOLDER/masks, uploads in FOLDER/uploads, the recipe as FOLDER/NAME.yaml) and the output
folder (--out, default FOLDER).  It replaces only files it wrote itself and nobody has
changed since (kept in FOLDER/.imgfusion-workbench.json): never yours."""


def add_parser(sub, parents) -> argparse.ArgumentParser:
    """Add the ``serve`` subcommand to ``sub`` (the CLI's subparsers)."""
    p = sub.add_parser("serve", parents=parents, help="the workbench: a local page that "
                       "draws masks, places cutouts, writes and runs recipes",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", nargs="?", default=".", help="the folder of images and recipes")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--out", help="output folder (default: FOLDER)")
    p.add_argument("--allow-plugins", action="store_true",
                   help="let recipes from the page load plugins (plugins run code)")
    p.add_argument("--no-browser", action="store_true", help="print the URL, open no browser")
    return p


def free_port(port: int = 0) -> int:
    """``port`` if it is free on 127.0.0.1 (any free one for 0); a UsageError when it is
    taken (uvicorn printed its error after the URL had been printed, and exited 3)."""
    from ..errors import UsageError

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as uvicorn binds it
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(f"--port {port}: {exc.strerror or exc}; choose another port, "
                             "or leave --port out for a free one") from None
        return s.getsockname()[1]


def cmd_serve(args) -> int:
    """Serve FOLDER on 127.0.0.1 until interrupted."""
    import uvicorn

    from ..errors import UsageError
    from ..paths import check_out_folder
    from ..plugins import load_registry
    from .app import create_app
    from .guard import new_token
    from .recipes import Settings

    folder = Path(args.folder).resolve()
    if not folder.is_dir():
        raise UsageError(f"{args.folder!r} is not a folder")
    check_out_folder(args.out)
    if not 0 <= args.port < 65536:
        raise UsageError(f"--port {args.port} is not a port number")
    port = free_port(args.port)   # before anything is made: a usage error writes nothing
    out = Path(args.out).resolve() if args.out else folder
    out.mkdir(parents=True, exist_ok=True)
    token = new_token()
    settings = Settings(folder, out, load_registry(), args.allow_plugins)
    url = f"http://127.0.0.1:{port}/?token={token}"
    print(f"imgfusion workbench on {folder}\n  {url}", flush=True)
    if not args.no_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(settings, token, port), host="127.0.0.1", port=port,
                log_level="warning", timeout_graceful_shutdown=2)
    print("imgfusion workbench stopped", file=sys.stderr)
    return 0
