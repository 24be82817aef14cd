"""``save_json``: an operator's data output (a report, a loss history, solver info) as a
JSON file, atomically, with ``save``'s guarantees (never over an input, over another
file only with ``overwrite``).

Numbers stay numbers: numpy scalars and small arrays become JSON numbers and lists, NaN
and infinities ``null`` (JSON has none); paths and other objects their text.  An array
of more than :data:`ARRAY_MAX` numbers is refused: pictures go through ``save``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..operators import Data, OutputPath, Protect, Value, WorkDir, operator
from ..paths import atomic_write
from ..values import PerFrame
from .write import check_replace, destination

ARRAY_MAX = 1_000_000   # numbers in one array: a picture's worth is for save


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it (see the module docstring)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.size > ARRAY_MAX:
            raise ParameterError("data", f"an array of {value.size:,} numbers is a picture, "
                                         "not data: save it with save")
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, PerFrame):   # data of an operator mapped over a video's frames
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def check_save_json(params) -> None:
    """Validation's check of ``save_json``: the file is a .json."""
    if Path(str(params.get("path", ""))).suffix.lower() != ".json":
        raise ParameterError("path", "save_json writes .json files")


@operator(check=check_save_json, data_only=("data",), for_pictures="save",
          for_video="save_video")
def save_json(data: Value, *, path: OutputPath, overwrite: bool = False,
              workdir: WorkDir = None, protect: Protect = ()) -> Data:
    """Write a step's data output (report, loss history, info) as a JSON file, atomically.

    Parameters
    ----------
    data
        a data output, such as $train.report or $styled.loss_history
    path
        a .json file name, relative to the output folder
    overwrite
        replace an existing file (never an input)

    Returns
    -------
    path : the path written
    """
    dest = destination(path, workdir).expanduser().absolute()
    check_save_json({"path": str(dest)})
    try:
        text = json.dumps(jsonable(data), indent=1, allow_nan=False).encode("utf-8")
    except RecursionError:
        raise ParameterError("data", "nested too deep (or in a cycle) for JSON") from None
    check_replace(dest, protect, overwrite)
    atomic_write(dest, lambda f: f.write(text), overwrite=overwrite)
    return str(dest)
