"""Run ``imgfusion validate`` then ``imgfusion run`` on one recipe; print what happened as JSON.

Used by the hostile-input tests in a subprocess (with a timeout): one interpreter
start for both commands.  Usage: ``python drive.py RECIPE [CLI OPTIONS...]``.
"""
import contextlib
import io
import json
import sys
import time

from imgfusion.cli import main

recipe, *extra = sys.argv[1:]
report = []
for command in ("validate", "run"):
    err = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main([command, recipe, *extra])
    report.append({"command": command, "rc": rc, "seconds": time.perf_counter() - t0,
                   "stderr": err.getvalue()})
print(json.dumps(report))
