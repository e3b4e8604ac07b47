"""The whole app under a fleet's load: key→frame and event→cell latency, UI loop lag, start-up time.

    python benchmarks/bench_app.py              # 200 WECs × 2,000 workloads, 5,000 events/s (~80 s)
    python benchmarks/bench_app.py --quick      # shorter phases, fewer start-up runs (~30 s)
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
- first frame: a pseudo-terminal runs, in turn, a bare Textual app (Header + Static + Footer) and
  the two ways the app starts: `kstellar-tui --demo` (the monitor on a synthetic fleet) and plain
  `kstellar-tui` on a fresh machine (no kubeconfig, no sandbox yet: guided setup opens while the
  sandbox starts in the background, and the frame must not wait for it; the sandbox is stopped
  after each run). Each is timed from spawn until its first frame's text arrives; the figures are
  medians, the ratio is to the bare app's median. Every program runs as an installed one does:
  with its bytecode cached (in a private folder, warmed by one untimed run), in an empty home
  where `--demo` has run once before (its theme cache written; a fresh machine has none).
- `kstellar-tui --help`: wall time of the console script (the baseline is `python -c pass`).

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
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson  # noqa: E402

from benchmarks.suite import Figure, add_arguments, emit, machine  # noqa: E402

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
MONITOR_TEXT = b"no WECs yet"  # in the monitor's first frame (the WEC strip before any data), and the bare app's
SETUP_TEXT = b"core components"  # in guided setup's first frame


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


def first_frame(argv: list[str], env: dict[str, str], text: bytes, timeout: float = 30.0,
                linger: Path | None = None) -> tuple[float, float]:
    """Seconds from spawn until `text` reaches a pseudo-terminal of SIZE, and the CPU seconds the
    program had used by then (what other processes' load does not stretch). The program is then
    killed, or once `linger` exists (what it writes after its first frame, for the next start)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    started = time.monotonic()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while text not in seen:
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{argv}: no first frame after {timeout}s: {seen[-400:]!r}")
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 1 << 16)
                except OSError:  # EIO: the program left the terminal
                    raise RuntimeError(f"{argv} exited before its first frame: {seen[-600:]!r}") from None
        elapsed, cpu = time.monotonic() - started, cpu_seconds(process.pid)
        while linger is not None and not linger.exists() and time.monotonic() - started < timeout:
            select.select([master], [], [], 0.05)
            with contextlib.suppress(OSError):
                os.read(master, 1 << 16)  # keep the terminal drained meanwhile
        return elapsed, cpu
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # its children too (the app's ingest child)
        process.wait()
        os.close(master)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (in clock ticks of 10 ms: medians smooth that)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def user_environment(home: Path, pycache: Path) -> dict[str, str]:
    """A user's environment with nothing configured in `home`, and bytecode cached as installed
    packages have it (the caller's PYTHONDONTWRITEBYTECODE would compile our modules on every start)."""
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor", "HOME": str(home),
           "PYTHONPYCACHEPREFIX": str(pycache), "XDG_CONFIG_HOME": f"{home}/config", "XDG_STATE_HOME": f"{home}/state",
           "XDG_DATA_HOME": f"{home}/data", "XDG_CACHE_HOME": f"{home}/cache"}
    for name in ("PYTHONDONTWRITEBYTECODE", "KUBECONFIG", "KSTELLAR_TUI_CONFIG"):
        env.pop(name, None)
    return env


def stop_processes_of(home: Path, timeout: float = 10.0) -> None:
    """Stop what a run left behind in `home` (the sandbox the app started, in its own session)."""
    needle = str(home).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and needle in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            if os.getpgid(pid) == pid:  # a session of its own: its children go with it
                os.killpg(pid, signal.SIGTERM)
            else:
                os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if Path(f"/proc/{pid}").exists()
                and not Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"]
        select.select([], [], [], 0.05)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def startup(runs: int) -> dict[str, list[float]]:
    """Seconds to the first frame of each start (and, as `NAME cpu`, its CPU seconds), the starts
    alternated run by run, and of `--help`."""
    script = str(Path(sys.executable).with_name("kstellar-tui"))
    with tempfile.TemporaryDirectory(prefix="kstellar-bench-") as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE_APP)
        env = user_environment(Path(tmp) / "home", Path(tmp) / "pycache")

        def fresh() -> tuple[float, float]:
            home = Path(tempfile.mkdtemp(prefix="fresh-", dir=tmp))
            try:
                return first_frame([script], user_environment(home, Path(tmp) / "pycache"), SETUP_TEXT)
            finally:
                stop_processes_of(home)

        starts: dict[str, Callable[[], tuple[float, float]]] = {
            "bare": lambda: first_frame([sys.executable, str(bare)], env, MONITOR_TEXT),
            "demo": lambda: first_frame([script, "--demo"], env, MONITOR_TEXT),
            "fresh": fresh,
        }
        for start in starts.values():  # warm the file cache, and write the bytecode
            start()
        theme_cache = Path(env["XDG_CACHE_HOME"]) / "kstellar-tui" / "themes.json"
        first_frame([script, "--demo"], env, MONITOR_TEXT, linger=theme_cache)  # as any start that runs a moment
        names = [*starts, *(f"{name} cpu" for name in starts), "help", "python"]
        found: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(runs):
            for name, start in starts.items():
                wall, cpu = start()
                found[name].append(wall)
                found[f"{name} cpu"].append(cpu)
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


def figures(args: argparse.Namespace, load: dict, base: dict, start: dict) -> list[Figure]:
    ms = 1000
    fleet = f"{args.wecs} WECs x {args.workloads:,}, {args.rate:,} events/s"
    idle = "same fleet, 0 events/s"
    out = []
    for name, key, target, limit in (("key -> frame", "key", "<= 100 ms", 100),
                                     ("event -> visible cell", "cell", "<= 300 ms", 300),
                                     ("UI loop lag", "lag", "<= 50 ms", 50)):
        value, baseline = p99(load[key]) * ms, p99(base[key]) * ms
        out.append(Figure(f"app: {name} p99, {fleet}", value, "ms", target, value <= limit, baseline, idle,
                          value / baseline if baseline else None))
    out.append(Figure("  the same run, event -> visible cell median", statistics.median(load["cell"]) * ms, "ms"))
    bare, bare_cpu = statistics.median(start["bare"]) * ms, statistics.median(start["bare cpu"]) * ms
    for name, key in (("kstellar-tui --demo", "demo"), ("kstellar-tui, fresh machine (guided setup)", "fresh")):
        value, cpu = statistics.median(start[key]) * ms, statistics.median(start[f"{key} cpu"]) * ms
        out.append(Figure(f"app: first frame, {name}", value, "ms", "<= 1.2x bare Textual", value / bare <= 1.2,
                          bare, "bare Textual app", value / bare))
        out.append(Figure("  the same starts, CPU time to the first frame", cpu, "ms", baseline=bare_cpu,
                          baseline_name="bare Textual app", ratio=cpu / bare_cpu))
    help_, python = statistics.median(start["help"]) * ms, statistics.median(start["python"]) * ms
    out.append(Figure("app: kstellar-tui --help", help_, "ms", "<= 150 ms", help_ <= 150, python, "python -c pass",
                      help_ / python))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.add_argument("--wecs", type=int, default=200)
    parser.add_argument("--workloads", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=5000, help="events per second into the fleet")
    parser.add_argument("--tick", type=float, default=0.25, help="the ingest child's tick (its default)")
    parser.add_argument("--seconds", type=float, help="measuring time per load phase (default 20, --quick 6)")
    parser.add_argument("--startup-runs", type=int, help="runs of each start (default 7, --quick 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    args.seconds = args.seconds or (6.0 if args.quick else 20.0)
    print(f"{args.wecs} WECs x {args.workloads:,} workloads, {args.rate:,} events/s for {args.seconds:g} s a phase, "
          f"on {machine()}", file=sys.stderr)
    base = asyncio.run(measure(args, 0))
    load = asyncio.run(measure(args, args.rate))
    start = startup(args.startup_runs or (3 if args.quick else 7))
    print(f"samples under load: {len(load['key'])} keys, {len(load['cell'])} marked cells, {len(load['lag'])} lag "
          f"samples, {load['frames'][0]} frames", file=sys.stderr)
    emit(args, figures(args, load, base, start))


if __name__ == "__main__":
    main()
