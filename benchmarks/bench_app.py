"""The whole app under a fleet's load: key→frame and event→cell latency, UI loop lag, start-up time.

    python benchmarks/bench_app.py                       # 200 WECs × 2,000 workloads, 5,000 events/s
    python benchmarks/bench_app.py --seconds 30 --rate 10000

The app runs headless (`App.run_test`) on the real data path: an `IngestFeed` reads a synthetic
child that speaks the ingest process's protocol (one JSON line per tick of coalesced cell diffs,
event log lines, per-WEC totals), so pipe reads, decoding, GridModel updates, the repaint tick and
rendering are the product's own code. Only the watches are synthetic: the child stands for the
ingest process after coalescing. Headless Textual skips the terminal write, so every frame is also
encoded as the terminal driver would encode it.

- key→frame: a key ("right"/"left", one at a time like a user) is sent to the driver; latency is
  until the first frame whose line under the grid names the cell the cursor moved to.
- event→visible cell: each tick the child changes one cell that is on screen and stamps the time
  it wrote the line into the cell's message; latency is until the first frame that paints that
  cell's new glyph.
- UI loop lag: how late a 5 ms sleep on the UI loop wakes up, sampled all along.
- first frame: a pseudo-terminal runs `kstellar-tui --demo` and a bare Textual app (Header + Static +
  Footer), alternately; time from spawn until the first frame's text arrives.
- `kstellar-tui --help`: wall time of the console script.

Each load figure is measured twice in the same run: with the rate asked for, and as a baseline
with the same fleet and only the marker cells changing (rate 0). Ratios are load / baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import pty
import random
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson  # noqa: E402

SIZE = (160, 48)
MARKER_ROWS, MARKER_COLUMNS = 10, 5  # the top-left cells, on screen at SIZE; only markers change them
KEY_TIMEOUT = 2.0  # a key whose effect never shows is reported as this long
BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("no WECs yet")
        yield Footer()

Bare().run()
"""
FIRST_FRAME_TEXT = b"no WECs yet"  # in both apps' first frame (the monitor's WEC strip before any data)


def wec(j: int) -> str:
    return f"wec{j + 1:03d}"


def row_key(i: int) -> str:
    return f"apps/deployments/bench/w{i:05d}"


# ---------------------------------------------------------------------------------------------
# The synthetic ingest child


def child(args: argparse.Namespace) -> None:
    """Write the ingest protocol to stdout: a full diff, then one coalesced diff per tick."""
    rng = random.Random(1)
    out = sys.stdout.buffer
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
    placed = [[j for j in range(args.wecs) if i < MARKER_ROWS or rng.random() < 0.7] for i in range(args.workloads)]
    columns = [{"name": wec(j), "labels": {"location-group": "edge"}, "available": "True",
                "connection": "synced", "detail": "", "since": None, "hub_only": False} for j in range(args.wecs)]
    rows = [{"key": row_key(i), "apiVersion": "apps/v1", "kind": "Deployment", "namespace": "bench",
             "name": f"w{i:05d}", "labels": {"app": f"a{i % 50}"}} for i in range(args.workloads)]
    cells = [[row_key(i), wec(j), 1, ""] for i, js in enumerate(placed) for j in js]
    out.write(orjson.dumps({"diff": {"columns": columns, "rows": rows, "cells": cells}}) + b"\n")
    out.flush()
    churn = [(i, j) for i, js in enumerate(placed) if i >= MARKER_ROWS for j in js]
    totals = dict.fromkeys((wec(j) for j in range(args.wecs)), 0)
    per_tick = round(args.rate * args.tick)
    next_tick, tick = time.monotonic(), 0
    while True:
        next_tick += args.tick
        time.sleep(max(0.0, next_tick - time.monotonic()))
        changed: dict[tuple[int, int], int] = {}
        events = []
        for n in range(per_tick):
            i, j = churn[rng.randrange(len(churn))]
            changed[(i, j)] = rng.choice((1, 1, 1, 5, 6))  # Ready mostly; Progressing, Degraded
            totals[wec(j)] += 1
            if n < 200:
                events.append([time.time(), wec(j), "MODIFIED", f"Deployment bench/w{i:05d}"])
        i, j = tick % MARKER_ROWS, (tick // MARKER_ROWS) % MARKER_COLUMNS
        state = 6 if (tick // (MARKER_ROWS * MARKER_COLUMNS)) % 2 == 0 else 1  # each pass flips the glyph
        tick += 1
        diff_cells = [[row_key(a), wec(b), s, ""] for (a, b), s in changed.items()]
        diff_cells.append([row_key(i), wec(j), state, f"bench {time.monotonic():.6f}"])
        out.write(orjson.dumps({"diff": {"cells": diff_cells}, "events": events, "dropped": max(0, per_tick - 200),
                                "stats": totals, "problems": []}) + b"\n")
        out.flush()


# ---------------------------------------------------------------------------------------------
# The app, headless, with frames observed


def make_app(args: argparse.Namespace, rate: int):
    from kstellar_tui import app as app_module
    from kstellar_tui.app import KStellarApp
    from kstellar_tui.config import Config
    from kstellar_tui.core.ingest_feed import IngestFeed
    from kstellar_tui.core.fleet.states import GLYPHS
    from kstellar_tui.widgets.status_grid import HEADER_LINES

    class SyntheticFeed(IngestFeed):
        def argv(self) -> list[str]:
            return [sys.executable, __file__, "--child", "--wecs", str(args.wecs), "--workloads",
                    str(args.workloads), "--rate", str(rate), "--tick", str(args.tick)]

    class ObservedApp(KStellarApp):
        """Encodes every frame as the terminal driver would, and checks it for awaited effects."""

        CSS_PATH = str(Path(app_module.__file__).with_name(KStellarApp.CSS_PATH))  # it is relative to the class

        def __init__(self) -> None:
            super().__init__(SyntheticFeed(None, "wds1", "its1", tick=args.tick), config=Config())
            self.expect_text: tuple[int, str] | None = None  # (screen line, text) a key should bring
            self.key_seen = asyncio.Event()
            self.cell_latencies: list[float] = []
            self.frames = 0
            self._measured: set[str] = set()  # marker stamps already seen painted

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if renderable is None or self.monitor is None or screen is not self.monitor:
                return
            renderable.render_segments(self.console)
            now = time.monotonic()
            self.frames += 1
            lines = _updated_lines(renderable)
            if self.expect_text is not None and self.expect_text[1] in lines.get(self.expect_text[0], ""):
                self.expect_text = None
                self.key_seen.set()
            self._check_markers(lines, now)

        def _check_markers(self, lines: dict[int, str], now: float) -> None:
            grid, model = self.monitor.grid, self.monitor.model
            if len(grid.rows) < MARKER_ROWS:
                return
            top = grid.content_region.y + HEADER_LINES - grid.scroll_offset.y
            for position in range(MARKER_ROWS):
                line = lines.get(top + position)
                if line is None:
                    continue
                row = model.row(grid.rows[position])
                for j in range(MARKER_COLUMNS):
                    stamp = row.messages.get(wec(j), "")
                    if not stamp.startswith("bench ") or stamp in self._measured:
                        continue
                    x = (grid.content_region.x + grid.left_width + j * grid.cell_width - grid.scroll_offset.x
                         + (grid.cell_width - 1) // 2)
                    if line[x:x + 1] == GLYPHS[row.states[j]]:
                        self._measured.add(stamp)
                        self.cell_latencies.append(now - float(stamp.split()[1]))

    return ObservedApp()


def _updated_lines(update) -> dict[int, str]:
    """Screen line -> its text as far as this frame repaints it (spaces where it does not)."""
    from textual._compositor import ChopsUpdate, LayoutUpdate

    lines: dict[int, str] = {}
    if isinstance(update, ChopsUpdate):
        for y, _, _ in update.spans:
            text: list[str] = []
            for x, strip in update.chops[y].items():
                if strip is not None:
                    text[len(text):] = " " * max(0, x - len(text))
                    text[x:x + strip.cell_length] = strip.text
            lines[y] = "".join(text)
    elif isinstance(update, LayoutUpdate):
        for y, line in enumerate(update.strips, update.region.y):
            lines[y] = " " * update.region.x + "".join(strip.text for strip in line)
    return lines


async def measure(args: argparse.Namespace, rate: int) -> dict[str, list[float]]:
    app = make_app(args, rate)
    lags: list[float] = []
    keys: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 120
        while app.monitor is None or len(app.monitor.grid.rows) < args.workloads:
            assert time.monotonic() < deadline, "the fleet never showed up"
            await pilot.pause(0.05)
        await pilot.pause(1.0)  # the first full repaint, and the first marker ticks
        app.cell_latencies.clear()
        stop = time.monotonic() + args.seconds

        async def sample_lag() -> None:
            while time.monotonic() < stop:
                started = time.monotonic()
                await asyncio.sleep(0.005)
                lags.append(time.monotonic() - started - 0.005)

        sampler = asyncio.create_task(sample_lag())
        grid, info = app.monitor.grid, app.monitor.query_one("#cursor-info")
        rng = random.Random(2)
        while time.monotonic() < stop:
            key, column = ("right", 1) if grid.cursor_column == 0 else ("left", 0)
            app.key_seen.clear()
            app.expect_text = (info.region.y, f" on {wec(column)}: ")
            sent = time.monotonic()
            app._driver.send_message(_key(key))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(app.key_seen.wait(), KEY_TIMEOUT)
            keys.append(time.monotonic() - sent)
            await asyncio.sleep(rng.uniform(0.1, 0.2))  # a user's pace
        await sampler
        frames = app.frames
    return {"key": keys, "cell": app.cell_latencies, "lag": lags, "frames": [frames]}


def _key(name: str):
    from textual import events

    return events.Key(name, None)


# ---------------------------------------------------------------------------------------------
# Start-up, in subprocesses


def first_frame(argv: list[str], env: dict[str, str], timeout: float = 30.0) -> float:
    """Seconds from spawn until the first frame's text reaches a pseudo-terminal of SIZE."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    started = time.monotonic()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while FIRST_FRAME_TEXT not in seen:
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{argv}: no first frame after {timeout}s: {seen[-400:]!r}")
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 1 << 16)
                except OSError:  # EIO: the program left the terminal
                    raise RuntimeError(f"{argv} exited before its first frame: {seen[-600:]!r}") from None
        return time.monotonic() - started
    finally:
        process.kill()
        process.wait()
        os.close(master)


def startup(runs: int) -> dict[str, list[float]]:
    script = str(Path(sys.executable).with_name("kstellar-tui"))
    with tempfile.TemporaryDirectory() as home:
        bare = Path(home) / "bare.py"
        bare.write_text(BARE_APP)
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor", "XDG_CONFIG_HOME": f"{home}/c",
               "XDG_STATE_HOME": f"{home}/s", "XDG_DATA_HOME": f"{home}/d", "XDG_CACHE_HOME": f"{home}/k"}
        env.pop("KSTELLAR_TUI_CONFIG", None)
        found: dict[str, list[float]] = {"demo": [], "bare": [], "help": [], "python": []}
        first_frame([script, "--demo"], env)  # warm the file cache and the bytecode for both
        first_frame([sys.executable, str(bare)], env)
        for _ in range(runs):
            found["demo"].append(first_frame([script, "--demo"], env))
            found["bare"].append(first_frame([sys.executable, str(bare)], env))
            for name, argv in (("help", [script, "--help"]), ("python", [sys.executable, "-c", "pass"])):
                started = time.monotonic()
                subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
                found[name].append(time.monotonic() - started)
    return found


# ---------------------------------------------------------------------------------------------
# Report


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def report(args: argparse.Namespace, load: dict, base: dict, start: dict) -> None:
    ms = 1000
    rows = [
        ("key→frame p99", p99(load["key"]) * ms, p99(base["key"]) * ms, "≤ 100 ms", p99(load["key"]) * ms <= 100),
        ("event→visible cell p99", p99(load["cell"]) * ms, p99(base["cell"]) * ms, "≤ 300 ms",
         p99(load["cell"]) * ms <= 300),
        ("UI loop lag p99", p99(load["lag"]) * ms, p99(base["lag"]) * ms, "≤ 50 ms", p99(load["lag"]) * ms <= 50),
    ]
    demo, bare = statistics.median(start["demo"]), statistics.median(start["bare"])
    help_, python = statistics.median(start["help"]), statistics.median(start["python"])
    print(f"\n{args.wecs} WECs × {args.workloads} workloads, {args.rate:,} events/s for {args.seconds:g} s; "
          f"ingest tick {args.tick:g} s, repaint 4 Hz (the defaults); {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at the end (other processes skew every figure)")
    print(f"samples under load: {len(load['key'])} keys, {len(load['cell'])} marked cells, "
          f"{len(load['lag'])} lag samples, {load['frames'][0]} frames; "
          f"medians: key→frame {statistics.median(load['key']) * ms:.0f} ms, "
          f"event→cell {statistics.median(load['cell']) * ms:.0f} ms\n")
    print(f"{'figure':<26}{'measured':>12}{'baseline':>12}{'ratio':>8}  {'target':<12}{'met':>4}   baseline is")
    for name, value, baseline, target, met in rows:
        print(f"{name:<26}{value:>9.1f} ms{baseline:>9.1f} ms{value / baseline:>7.2f}×  {target:<12}"
              f"{'yes' if met else 'NO':>4}   the same app at 0 events/s")
    print(f"{'first frame (--demo)':<26}{demo * ms:>9.0f} ms{bare * ms:>9.0f} ms{demo / bare:>7.2f}×  "
          f"{'≤ 1.2×':<12}{'yes' if demo / bare <= 1.2 else 'NO':>4}   bare Textual (Header, Static, Footer)")
    print(f"{'kstellar-tui --help':<26}{help_ * ms:>9.0f} ms{python * ms:>9.0f} ms{help_ / python:>7.2f}×  "
          f"{'≤ 150 ms':<12}{'yes' if help_ <= 0.15 else 'NO':>4}   python -c pass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wecs", type=int, default=200)
    parser.add_argument("--workloads", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=5000, help="events per second into the fleet")
    parser.add_argument("--tick", type=float, default=0.25, help="the ingest child's tick (its default)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring time per phase")
    parser.add_argument("--startup-runs", type=int, default=7)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    base = asyncio.run(measure(args, 0))
    load = asyncio.run(measure(args, args.rate))
    start = startup(args.startup_runs)
    report(args, load, base, start)


if __name__ == "__main__":
    main()
