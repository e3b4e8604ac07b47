"""StatusGrid against Textual's DataTable, in one run, on the same synthetic fleet.

Both widgets are mounted in a headless app of the same size, populated with the same N workloads ×
M WECs, then fed the same 100-cell diff batches. "Populate" runs until the app has painted the
first frame. A "frame" is every visible line asked for through `render_line` after a batch (what
a full repaint costs; StatusGrid's own repaint asks only for changed lines); frames per second is
1 / mean frame time. "Apply" is the model update plus the refresh bookkeeping (StatusGrid) or the
`update_cell` calls (DataTable).
Numbers are machine-bound, so what to read is the ratio (DataTable / StatusGrid, the same run).
The figures have no target of their own: they show why the grid is not a DataTable.

    python benchmarks/bench_grid.py                      # 2,000 × 200, 5 batches of 100 cells
    python benchmarks/bench_grid.py --quick              # 500 × 50
    python benchmarks/bench_grid.py --rows 500 --cols 50 --batches 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from benchmarks.suite import Figure, add_arguments, emit  # noqa: E402
from kstellar_tui.core.fleet.demo_feed import DemoFeed  # noqa: E402
from kstellar_tui.core.fleet.gridmodel import GridModel  # noqa: E402
from kstellar_tui.core.fleet.states import GLYPHS  # noqa: E402
from kstellar_tui.themes import STATUS_DEFAULTS  # noqa: E402
from kstellar_tui.widgets.status_grid import StatusGrid  # noqa: E402

SIZE = (200, 60)


class BenchApp(App[None]):
    """One widget filling a headless screen; the status colours the grid's CSS needs."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(STATUS_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield self.widget


def frame(widget) -> float:
    """Seconds to render every visible line once."""
    started = time.perf_counter()
    for y in range(widget.size.height):
        widget.render_line(y)
    return time.perf_counter() - started


def diffs(rows: int, cols: int, batches: int, changes: int) -> tuple[dict, list[dict]]:
    feed = DemoFeed(cols, rows, seed=1, interval=None, changes=changes)
    initial = feed.initial_diff()
    later = [feed.next_diff() for _ in range(batches)]
    for diff in later:  # the grid's job is cells: drop the columns the demo resends each step
        diff.pop("columns", None)
    return initial, later


async def bench_grid(initial: dict, later: list[dict]) -> dict[str, float]:
    model = GridModel()
    grid = StatusGrid(model)
    app = BenchApp(grid)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        started = time.perf_counter()
        grid.mark_dirty(model.apply(initial))
        grid.flush()
        await pilot.pause()  # the app paints the first frame
        populate = time.perf_counter() - started
        applies, frames = [], []
        for diff in later:
            started = time.perf_counter()
            grid.mark_dirty(model.apply(diff))
            grid.flush()
            applies.append(time.perf_counter() - started)
            frames.append(frame(grid))
        return {"populate": populate, "apply": statistics.mean(applies), "frame": statistics.mean(frames)}


async def bench_datatable(initial: dict, later: list[dict]) -> dict[str, float]:
    table: DataTable = DataTable()
    app = BenchApp(table)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        started = time.perf_counter()
        columns = [c["name"] for c in initial["columns"]]
        table.add_column("workload", key="workload")
        for name in columns:
            table.add_column(name, key=name)
        cells: dict[str, list[str]] = {r["key"]: [" "] * len(columns) for r in initial["rows"]}
        index = {name: j for j, name in enumerate(columns)}
        for key, cluster, state, _ in initial["cells"]:
            cells[key][index[cluster]] = GLYPHS[state]
        for r in initial["rows"]:
            table.add_row(f"{r['namespace']}/{r['name']}", *cells[r["key"]], key=r["key"])
        await pilot.pause()  # the app paints the first frame
        populate = time.perf_counter() - started
        applies, frames = [], []
        for diff in later:
            started = time.perf_counter()
            for key, cluster, state, _ in diff["cells"]:
                table.update_cell(key, cluster, GLYPHS[state])
            applies.append(time.perf_counter() - started)
            frames.append(frame(table))
        return {"populate": populate, "apply": statistics.mean(applies), "frame": statistics.mean(frames)}


def figures(args: argparse.Namespace, grid: dict[str, float], table: dict[str, float]) -> list[Figure]:
    size = f"{args.rows:,} x {args.cols}"
    out = []
    for label, key, unit, scale in (("populate, to the first frame", "populate", "s", 1),
                                    ("apply one batch of 100 cells", "apply", "ms", 1000),
                                    ("frame after a batch", "frame", "ms", 1000)):
        ours, theirs = grid[key] * scale, table[key] * scale
        out.append(Figure(f"grid: {label}, {size}", ours, unit, baseline=theirs, baseline_name="DataTable",
                          ratio=theirs / ours))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.add_argument("--rows", type=int, help="workloads (default 2,000; --quick 500)")
    parser.add_argument("--cols", type=int, help="WECs (default 200; --quick 50)")
    parser.add_argument("--batches", type=int, default=5, help="each costs DataTable a full repaint")
    parser.add_argument("--changes", type=int, default=100, help="cells changed per batch")
    args = parser.parse_args()
    args.rows = args.rows or (500 if args.quick else 2000)
    args.cols = args.cols or (50 if args.quick else 200)

    initial, later = diffs(args.rows, args.cols, args.batches, args.changes)
    grid = asyncio.run(bench_grid(initial, later))
    table = asyncio.run(bench_datatable(initial, later))
    emit(args, figures(args, grid, table))


if __name__ == "__main__":
    main()
