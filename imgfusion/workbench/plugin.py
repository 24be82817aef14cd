"""The workbench family's registration: the ``imgfusion serve`` subcommand."""
from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def imgfusion_register_commands(register):
    from .cli import add_parser, cmd_serve

    register("serve", add_parser, cmd_serve)
