"""`python -m bench` (or `make bench`): run every benchmark in this folder, one after another.

Each prints its own figures and the ratio against a baseline measured in the same run.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

for module in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])):
    if module.startswith("bench_"):
        print(f"\n=== {module} ===", flush=True)
        bench = importlib.import_module(f"bench.{module}")
        sys.argv = [module]
        bench.main()
