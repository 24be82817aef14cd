"""The I/O family's registrations: load, load_mask (read), save (write), save_json (write_data)."""
from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def imgfusion_register_operators(register):
    register("imgfusion.io.read")
    register("imgfusion.io.write")
    register("imgfusion.io.write_data")
