"""Cold start-up: ``import kms_jupyter`` and ``%load_ext kms_jupyter``, each in a fresh interpreter.

Prints the median of several cold runs of each (time measured inside the child process around the
import / the magic, so the interpreter's own start is not counted), and checks that TensorFlow
and Keras are not in ``sys.modules`` afterwards. Goal: <= 0.3 s each, no TensorFlow.

Usage: ``python benchmarks/startup.py [runs]`` (default 7).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

IMPORT = """
import json, sys, time
t = time.perf_counter()
import kms_jupyter
dt = time.perf_counter() - t
print(json.dumps({"s": dt, "tf": "tensorflow" in sys.modules, "keras": "keras" in sys.modules}))
"""

LOAD_EXT = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
t = time.perf_counter()
ip.run_line_magic("load_ext", "kms_jupyter")
dt = time.perf_counter() - t
assert "kms" in ip.magics_manager.magics["cell"]
print(json.dumps({"s": dt, "tf": "tensorflow" in sys.modules, "keras": "keras" in sys.modules}))
"""

BARE = """
import json, time
t = time.perf_counter()
import pandas, numpy
print(json.dumps({"s": time.perf_counter() - t, "tf": False, "keras": False}))
"""


def cold(code: str) -> dict:
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, cwd=REPO)
    wall = time.perf_counter() - t
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "wall": wall}


def main(runs: int = 7) -> None:
    print(f"# start-up, median of {runs} cold runs ({os.cpu_count()} cores, shared)")
    ok = True
    for label, code in (("import pandas, numpy (reference)", BARE), ("import kms_jupyter", IMPORT),
                        ("%load_ext kms_jupyter", LOAD_EXT)):
        results = [cold(code) for _ in range(runs)]
        median = statistics.median(r["s"] for r in results)
        tf = any(r["tf"] or r["keras"] for r in results)
        wall = statistics.median(r["wall"] for r in results)
        line = f"{label:34s} {median:6.3f} s  (whole python process {wall:5.2f} s)"
        if code is not BARE:
            good = median <= 0.3 and not tf
            ok &= good
            line += f"   TensorFlow/Keras imported: {'YES' if tf else 'no'}   goal <= 0.3 s: {'met' if good else 'NOT met'}"
        print(line, flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
