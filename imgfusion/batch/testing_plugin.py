"""A plugin file for testing executors: ``test_load``, a ``load`` that misbehaves on cue.

Name it in a recipe's ``plugins:`` (``imgfusion.batch.testing.PLUGIN``).  It reads
an image like ``load`` and, keyed on the file's name:

- logs every execution as a line in ``log_dir/runs.log`` (to count reruns);
- ``kill: NAME`` ends its worker process with ``os._exit`` the first ``times``
  times it sees NAME (marker files in ``log_dir`` remember that it did);
- ``fail: NAME`` raises RuntimeError the first ``times`` times it sees NAME;
- ``sleep`` seconds of work per item (to interrupt a batch mid-way).

Imports are absolute: the file is imported by path, outside its package.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

from imgfusion import hookimpl
from imgfusion.operators import Image, InputPath, Range, operator


def _first_time(marker: Path) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


@operator
def test_load(*, path: InputPath, log_dir: str, kill: str = "", fail: str = "",
              times: Annotated[int, Range(0)] = 1,
              sleep: Annotated[float, Range(0)] = 0.0) -> Image:
    """load, plus faults on cue (for executor tests).

    Parameters
    ----------
    path
        image file
    log_dir
        folder for runs.log and the fault markers
    kill
        file name whose first run kills the worker
    fail
        file name whose first runs raise
    times
        how many runs of 'kill' / 'fail' misbehave
    sleep
        seconds of work per item
    """
    from imgfusion.io.read import read_image

    name = Path(path).name
    log = Path(log_dir)
    with open(log / "runs.log", "a", encoding="utf-8") as fh:
        fh.write(name + "\n")
    if name == kill and any(_first_time(log / f"killed-{name}-{k}") for k in range(times)):
        os._exit(17)
    if name == fail and any(_first_time(log / f"failed-{name}-{k}") for k in range(times)):
        raise RuntimeError(f"flaky failure on {name}")
    time.sleep(sleep)
    return read_image(path)


test_load.__test__ = False   # not a pytest test, despite the name


@hookimpl
def imgfusion_register_operators(register):
    register(test_load)
