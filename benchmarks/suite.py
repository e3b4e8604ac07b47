"""What every benchmark reports, and how: one `Figure` per measured number.

A figure carries its target and, where one exists, the baseline measured in the same run, so the
verdict is a ratio between two numbers taken on the same (shared, noisy) machine minutes apart,
never an absolute time compared with another day's. Each `bench_*.py` stays runnable alone (it
prints its own table) and, under `python -m benchmarks`, writes its figures as JSON for the
suite's one table."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Figure:
    """One measured number. `passed` is None for figures without a target (context, growth)."""

    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None
    baseline: float | None = None  # the same quantity for the baseline, measured in this run
    baseline_name: str = ""
    ratio: float | None = None  # how the figure compares to the baseline, as the target states it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options the suite passes to every benchmark."""
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer runs, for everyday use")
    parser.add_argument("--suite-json", type=Path, help=argparse.SUPPRESS)


def emit(args: argparse.Namespace, figures: list[Figure]) -> None:
    """Print the figures; under the suite also hand them over as JSON."""
    if args.suite_json is not None:
        args.suite_json.write_text(json.dumps([asdict(f) for f in figures]))
    print(table(figures))


def load(path: Path) -> list[Figure]:
    return [Figure(**item) for item in json.loads(path.read_text())]


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3f}"
    return f"{text} {unit}".rstrip()


def table(figures: list[Figure]) -> str:
    rows = [("figure", "measured", "target", "baseline (same run)", "ratio", "verdict")]
    for f in figures:
        baseline = f"{f.baseline_name}: {_number(f.baseline, f.unit)}" if f.baseline is not None else ""
        verdict = "" if f.passed is None else "PASS" if f.passed else "FAIL"
        rows.append((f.name, _number(f.value, f.unit), f.target, baseline,
                     "" if f.ratio is None else f"{f.ratio:.2f}x", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def machine() -> str:
    """Where the figures were taken: what other processes took of the CPUs, we did not get."""
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} CPUs, load average {load:.1f} at the start"
