"""Start-up benchmark: wall time of `edcat --help` and `edcat tools list --limit 1`.

    python -m bench.bench_startup [--repeat 10] [--tools 1034]

Each command runs as a fresh process (what a person waits for), on a catalogue of the bundled
seed tools (data/seed/tools.jsonl, or the first --tools of them), against `python -c pass` in
the same run as the baseline. Prints the median and the best of --repeat runs, and the ratio
of the medians to the baseline's. The aim: both under 0.5 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "data" / "seed" / "tools.jsonl"
AIM_SECONDS = 0.5


def edcat() -> list[str]:
    script = Path(sys.executable).with_name("edcat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def build_catalogue(db: Path, tools: int) -> None:
    """A catalogue of the first `tools` seed tools (imported through the library)."""
    from catalogue import import_tools, open_catalogue

    subset = db.with_suffix(".jsonl")
    with SEED.open(encoding="utf-8") as source:
        subset.write_text("".join(itertools.islice(source, tools)), encoding="utf-8")
    catalogue = open_catalogue(db, create=True)
    try:
        import_tools(catalogue, subset)
    finally:
        catalogue.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--tools", type=int, default=100_000, help="At most this many seed tools.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON too.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        build_catalogue(db, args.tools)
        env = {**os.environ, "EDCAT_DB": str(db), "COLUMNS": "80"}
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "edcat --help": [*edcat(), "--help"],
            "edcat tools list --limit 1": [*edcat(), "tools", "list", "--limit", "1"],
        }
        for command in commands.values():  # warm the file cache and bytecode once
            subprocess.run(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, check=True)
        # Interleave the runs so a burst of load on a shared machine hits every command alike.
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                wall, used = run_once(command, env)
                times[name].append(wall)
                cpu[name].append(used)
    baseline = statistics.median(times["python -c pass"])
    cpu_baseline = statistics.median(cpu["python -c pass"])
    print(
        f"catalogue: {min(args.tools, sum(1 for _ in SEED.open()))} seed tools; "
        f"{args.repeat} runs each, interleaved"
    )
    print(
        f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(a loaded machine inflates wall times; CPU time less so)"
    )
    print(f"{'command':<28} {'median':>8} {'best':>8} {'ratio':>7} {'CPU':>7} {'ratio':>6}  aim")
    results = {}
    for name, samples in times.items():
        median = statistics.median(samples)
        ratio = median / baseline
        aim = (
            ""
            if name.startswith("python")
            else (f"< {AIM_SECONDS} s: " + ("met" if median < AIM_SECONDS else "NOT met"))
        )
        used = statistics.median(cpu[name])
        print(
            f"{name:<28} {median:>7.3f}s {min(samples):>7.3f}s {ratio:>6.1f}x "
            f"{used:>6.3f}s {used / cpu_baseline:>5.1f}x  {aim}"
        )
        results[name] = {
            "median_s": round(median, 4),
            "best_s": round(min(samples), 4),
            "ratio": round(ratio, 2),
            "cpu_s": round(used, 4),
            "cpu_ratio": round(used / cpu_baseline, 2),
        }
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
