"""Run every benchmark, each in its own process, and print one table of figures and verdicts.

    python -m benchmarks            # the full suite (~5 minutes on 2 cores)
    python -m benchmarks --quick    # smaller sizes, fewer runs (~1-2 minutes)
    python -m benchmarks --only ingest,app

A process per benchmark keeps each one's imports, allocator and GC state (and peak RSS) its own.
The exit status is 1 when any figure misses its target."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.suite import Figure, load, machine, table

HERE = Path(__file__).resolve().parent
BENCHMARKS = {  # name -> script, in the order the table shows them
    "sandbox-watch": "bench_sandbox_watch.py",
    "ingest": "bench_ingest.py",
    "sync": "bench_sync.py",
    "app": "bench_app.py",
    "grid": "bench_grid.py",
    "sandbox-speed": "bench_sandbox_speed.py",
}


def run(name: str, quick: bool, out: Path) -> tuple[list[Figure], str]:
    """One benchmark's figures, or the reason it gave none."""
    argv = [sys.executable, str(HERE / BENCHMARKS[name]), "--suite-json", str(out)] + (["--quick"] if quick else [])
    done = subprocess.run(argv, capture_output=True, text=True, cwd=HERE.parent)
    if done.returncode != 0 or not out.exists():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        return [], f"{name}: exited {done.returncode}\n{tail}"
    return load(out), ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",")] if args.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    present = [n for n in names if (HERE / BENCHMARKS[n]).exists()]
    print(f"{'quick' if args.quick else 'full'} suite on {machine()}", flush=True)
    figures: list[Figure] = []
    problems: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kstellar-bench-") as tmp:
        for name in present:
            began = time.monotonic()
            print(f"  {name} ...", end="", flush=True)
            got, problem = run(name, args.quick, Path(tmp) / f"{name}.json")
            print(f" {time.monotonic() - began:.0f} s", flush=True)
            figures += got
            if problem:
                problems.append(problem)
    print()
    print(table(figures))
    print(f"\n{len(figures)} figures in {time.monotonic() - started:.0f} s; "
          f"{sum(f.passed is False for f in figures)} missed their target")
    for problem in problems:
        print(f"\nbenchmark failed: {problem}", file=sys.stderr)
    return 1 if problems or any(f.passed is False for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
