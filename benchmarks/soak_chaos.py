"""Soak variant of the chaos test (tests/reliability/test_chaos.py): the same scenario, bigger and
longer, one seed after another until the time is up.

Each run starts a fresh quickstart sandbox with `--wecs` WECs and `--workloads` workloads, plays
`--steps` seeded steps of faults and workload changes (one `kill -9` and restart among them), then
checks that the monitor's grid and `status -o json` equal the ground truth read from the sandbox.
It prints one summary line per seed and, for a failure, the seed and the differing cells; the exit
status is 1 when any seed failed. Replay one in CI's size with
`KSTELLAR_CHAOS_SEED=<seed> pytest tests/reliability`, or here with `--seed <seed> --runs 1`.

    python benchmarks/soak_chaos.py                          # 10 minutes, 20 WECs, 400 workloads
    python benchmarks/soak_chaos.py --minutes 60 --wecs 30 --workloads 600 --steps 300
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.chaos import Plan, Tally, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="start no new run after this long")
    parser.add_argument("--runs", type=int, default=0, help="stop after this many runs (0: only --minutes)")
    parser.add_argument("--seed", type=int, default=None, help="first seed (default: random); then +1 per run")
    parser.add_argument("--wecs", type=int, default=20)
    parser.add_argument("--workloads", type=int, default=400)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--pause", type=float, default=0.2, help="mean seconds between steps")
    args = parser.parse_args(argv)

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    deadline = time.monotonic() + args.minutes * 60
    failed: list[int] = []
    runs = 0
    while time.monotonic() < deadline and (not args.runs or runs < args.runs):
        plan = Plan(seed=seed, wecs=args.wecs, workloads=args.workloads, steps=args.steps, pause=args.pause)
        tally = Tally(seed)
        with tempfile.TemporaryDirectory(prefix=f"kst-soak-{seed}-") as base:
            try:
                run(Path(base), plan, tally, log=print)
            except AssertionError as failure:
                failed.append(seed)
                print(f"FAILED seed {seed}: {failure}", flush=True)
        print(tally.summary(), flush=True)
        runs += 1
        seed += 1
    print(f"{runs} runs, {len(failed)} failed" + (f" (seeds {', '.join(map(str, failed))})" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
