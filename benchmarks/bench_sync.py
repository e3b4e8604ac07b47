"""Initial sync at scale: from starting the monitor's data path to every cell of a 200 x 2,000 fleet
Ready on the UI side, and what it costs in memory, against a sandbox serving that fleet.

The fleet is a real sandbox process (`python -m kstellar_tui.sandbox.bulk serve`: the product's
runtime, stores and API server, without controllers since the fleet is already reconciled) on a
state dir seeded by `kstellar_tui.sandbox.bulk` (cached under the system temp dir; the first run
builds it, ~1 minute at 200 x 2,000). The measured client is what the app runs: the ingest child
(`python -m kstellar_tui.core.ingest_process`) started by an `IngestFeed`, its GridDiffs applied to
a `GridModel` in a separate UI-side process, timed until the model holds (M + 1) x N cells Ready
(the M Deployments and their namespace, on N WECs). Peak RSS is VmHWM of both processes.

Baseline (same run): real `kubectl get deployments -n bench -o json` against one WEC, timed on a
few WECs and multiplied by N: what a script reading each WEC's Deployments would pay, without the
ITS's ManifestWorks and WorkStatuses (which the monitor also reads) and without a grid.

Context figures: the sandbox's start-up (loading the fleet from SQLite), LIST of the 2,000
Deployments of one WEC and of all WorkStatuses of the ITS (paged as ListWatch does and unpaged),
and reading every list the monitor makes (ITS ManifestWorks and WorkStatuses, each WEC's
Deployments; pages of 500, one connection at a time, no decoding): what serving and a bare Python
HTTPS reader cost together, a floor under any client of this design.
Growth: sync seconds and RSS at 10, 50 and 200 WECs, per WEC, to show cost grows linearly or better.
CPU seconds of the ingest child, the UI side and the sandbox during the sync are given too: on a
shared machine they vary far less than wall-clock time, and say which process the time goes to.

    python benchmarks/bench_sync.py             # 200 x 2,000; growth at 10, 50, 200 WECs
    python benchmarks/bench_sync.py --quick     # 50 x 500; growth at 10, 50 WECs

Targets (issue: scale and speed): sync <= 5 s and peak RSS <= 500 MB at 200 x 2,000; CPU seconds
per WEC at the largest size <= 1.25x those at 10 WECs (linear or better, with room for noise).
A sync that does not finish within 240 s is reported as a miss, with how many cells were Ready.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import suite  # noqa: E402
from kstellar_tui.sandbox import bulk  # noqa: E402

SYNC_TIMEOUT = 240.0
PAGE = 500  # what ListWatch asks for
KUBECTL = "kubectl"


# ----------------------------------------------------------------------------- the UI side (own process)
async def _measure(kubeconfig: str, wecs: int, workloads: int) -> dict:
    """Start the ingest child as the app does; time until every cell is Ready in the GridModel."""
    from kstellar_tui.core.fleet.gridmodel import GridModel
    from kstellar_tui.core.fleet.states import CellState
    from kstellar_tui.core.ingest_feed import IngestFeed

    expected = wecs * (workloads + 1)
    model = GridModel()
    done = asyncio.Event()
    problems: list[str] = []

    def post(diff: dict) -> None:
        if done.is_set():
            return
        model.apply(diff)
        problems.extend(diff.get("problems") or ())
        if model.totals().get(CellState.READY, 0) == expected and len(model.columns) == wecs:
            done.set()

    feed = IngestFeed(kubeconfig, bulk.WDS, bulk.ITS, read_only=True)
    started = time.monotonic()
    await feed.start(post)
    try:
        await asyncio.wait_for(done.wait(), SYNC_TIMEOUT)
    except TimeoutError:  # reported as a miss: SYNC_TIMEOUT seconds, and how far it got
        pass
    seconds = time.monotonic() - started
    child_peak, child_cpu = _peak_rss(feed.pid), cpu_seconds(feed.pid)
    await feed.stop()
    return {"seconds": seconds, "cells": expected, "ready": model.totals().get(CellState.READY, 0),
            "ui_mb": _peak_rss(os.getpid()), "child_mb": child_peak, "problems": problems[:3],
            "child_cpu": child_cpu, "ui_cpu": cpu_seconds(os.getpid())}


def _peak_rss(pid: int | None) -> float:
    """VmHWM, the process's peak resident set, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time a process has used: what a sync costs whatever else the machine runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- the sandbox
class FleetServer:
    """A sandbox process serving a cached fleet from a state dir of its own."""

    def __init__(self, wecs: int, workloads: int, tmp: Path) -> None:
        self.fleet = bulk.cached(wecs, workloads, report=lambda line: print(line, flush=True))
        self.state = bulk.instance(self.fleet, tmp / f"sandbox-{wecs}x{workloads}")
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kstellar_tui.sandbox.bulk", "serve", "--state-dir", str(self.state)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # one line once every cluster listens
        if '"ready": true' not in line:
            self.stop()
            raise SystemExit(f"the fleet sandbox did not start: {line!r}")
        self.start_seconds = time.monotonic() - started
        info = json.loads((self.state / "sandbox.json").read_text())
        self.ports: dict[str, int] = info["ports"]
        self.token = (self.state / "token").read_text().strip()
        self.ssl = ssl.create_default_context(cafile=str(self.state / "tls" / "ca.crt"))

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    def list_bytes(self, cluster: str, path: str, limit: int | None) -> tuple[float, int, int]:
        """(seconds, bytes, pages) to read a whole list over one connection, without decoding it."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.ports[cluster], context=self.ssl, timeout=120)
        started, size, pages, token = time.monotonic(), 0, 0, ""
        while True:
            query = {**({"limit": str(limit)} if limit else {}), **({"continue": token} if token else {})}
            conn.request("GET", f"{path}?{urlencode(query)}", headers={"Authorization": f"Bearer {self.token}"})
            body = conn.getresponse().read()
            size, pages = size + len(body), pages + 1
            token = _continue_token(body)
            if not token:
                break
        conn.close()
        return time.monotonic() - started, size, pages

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _continue_token(body: bytes) -> str:
    """The list's metadata.continue (metadata comes first in the sandbox's lists)."""
    head = body[:body.find(b'"items"')]
    start = head.find(b'"continue":"')
    return "" if start < 0 else head[start + 12:head.index(b'"', start + 12)].decode()


DEPLOYMENTS = "/apis/apps/v1/deployments"
WORKSTATUSES = "/apis/control.kubestellar.io/v1alpha1/workstatuses"
MANIFESTWORKS = "/apis/work.open-cluster-management.io/v1/manifestworks"


def measure_sync(server: FleetServer, wecs: int, workloads: int) -> dict:
    """One initial sync, in a fresh UI-side process (its own peak RSS)."""
    argv = [sys.executable, __file__, "--measure", str(server.kubeconfig), str(wecs), str(workloads)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=SYNC_TIMEOUT + 60)
    if done.returncode != 0:
        raise SystemExit(f"sync {wecs}x{workloads} failed: {(done.stderr or done.stdout).strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def kubectl_baseline(server: FleetServer, wecs: int, sample: int = 3) -> float:
    """Seconds for `kubectl get deployments -n bench -o json` on one WEC (median of `sample` WECs)."""
    env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "NO_PROXY": "127.0.0.1"}
    times = []
    for i in range(min(sample, wecs)):
        started = time.monotonic()
        subprocess.run([KUBECTL, "--context", bulk.wec_name(i), "get", "deployments", "-n", bulk.NAMESPACE,
                        "-o", "json"], env=env, check=True, capture_output=True, timeout=120)
        times.append(time.monotonic() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    suite.add_arguments(parser)
    parser.add_argument("--measure", nargs=3, metavar=("KUBECONFIG", "WECS", "WORKLOADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kubeconfig, wecs, workloads = args.measure[0], int(args.measure[1]), int(args.measure[2])
        print(json.dumps(asyncio.run(_measure(kubeconfig, wecs, workloads))))
        return 0
    workloads, sizes = (500, (10, 50)) if args.quick else (2000, (10, 50, 200))
    print(f"bench_sync on {suite.machine()}", flush=True)
    figures: list[suite.Figure] = []
    runs: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="kstellar-bench-sync-") as tmp:
        for wecs in sizes:
            server = FleetServer(wecs, workloads, Path(tmp))
            try:
                serving = cpu_seconds(server.process.pid)
                runs[wecs] = measure_sync(server, wecs, workloads)
                runs[wecs]["server_cpu"] = cpu_seconds(server.process.pid) - serving
                print(f"  {wecs}x{workloads}: {runs[wecs]}", flush=True)
                if wecs == sizes[-1]:
                    figures += largest(server, wecs, workloads, runs[wecs])
            finally:
                server.stop()
    figures += growth(runs, workloads)
    suite.emit(args, figures)
    return 0


def largest(server: FleetServer, wecs: int, workloads: int, run: dict) -> list[suite.Figure]:
    size = f"{wecs}x{workloads}"
    per_wec = kubectl_baseline(server, wecs)
    baseline = per_wec * wecs
    rss = run["ui_mb"] + run["child_mb"]
    one_wec = server.list_bytes(bulk.wec_name(0), DEPLOYMENTS, None)[0]
    paged = server.list_bytes(bulk.ITS, WORKSTATUSES, PAGE)[0]
    unpaged = server.list_bytes(bulk.ITS, WORKSTATUSES, None)[0]
    fetch = (paged + server.list_bytes(bulk.ITS, MANIFESTWORKS, PAGE)[0]
             + sum(server.list_bytes(bulk.wec_name(i), DEPLOYMENTS, PAGE)[0] for i in range(wecs)))
    return [
        suite.Figure(f"sync {size}: initial sync to {run['cells']:,} Ready cells{_unfinished(run)}", run["seconds"],
                     "s", target="<= 5 s", passed=run["seconds"] <= 5 and not _unfinished(run), baseline=baseline,
                     baseline_name=f"kubectl get deployments x {wecs} WECs", ratio=baseline / run["seconds"]),
        suite.Figure(f"sync {size}: peak RSS, UI side + ingest child", rss, "MB", target="<= 500 MB",
                     passed=rss <= 500),
        suite.Figure(f"sync {size}: peak RSS of the ingest child", run["child_mb"], "MB"),
        suite.Figure(f"sync {size}: CPU time of the ingest child", run["child_cpu"], "s"),
        suite.Figure(f"sync {size}: CPU time of the UI side", run["ui_cpu"], "s"),
        suite.Figure(f"sync {size}: CPU time of the sandbox while serving it", run["server_cpu"], "s"),
        suite.Figure(f"sandbox {size}: start-up, fleet loaded from SQLite", server.start_seconds, "s"),
        suite.Figure(f"sandbox {size}: LIST {workloads:,} Deployments of one WEC", one_wec, "s"),
        suite.Figure(f"sandbox {size}: LIST {wecs * (workloads + 1):,} WorkStatuses, pages of {PAGE}", paged, "s"),
        suite.Figure(f"sandbox {size}: LIST {wecs * (workloads + 1):,} WorkStatuses, one response", unpaged, "s"),
        suite.Figure(f"sandbox {size}: read every list the monitor makes, undecoded, one reader", fetch, "s"),
    ]


def _unfinished(run: dict) -> str:
    return "" if run["ready"] == run["cells"] else f" (gave up at {run['ready']:,} Ready)"


def growth(runs: dict[int, dict], workloads: int) -> list[suite.Figure]:
    """Per-WEC cost at each size; linearity is judged on CPU seconds (the three processes together),
    which the other work on a shared machine disturbs far less than wall-clock time."""
    figures = []
    for wecs, run in sorted(runs.items()):
        rss = run["ui_mb"] + run["child_mb"]
        figures += [
            suite.Figure(f"growth {wecs}x{workloads}: sync per WEC ({run['seconds']:.2f} s in all{_unfinished(run)})",
                         run["seconds"] / wecs, "s"),
            suite.Figure(f"growth {wecs}x{workloads}: CPU per WEC ({_cpu(run):.2f} s in all)", _cpu(run) / wecs, "s"),
            suite.Figure(f"growth {wecs}x{workloads}: peak RSS per WEC ({rss:.0f} MB in all)", rss / wecs, "MB"),
        ]
    smallest, largest_ = min(runs), max(runs)
    ratio = (_cpu(runs[largest_]) / largest_) / (_cpu(runs[smallest]) / smallest)
    figures.append(suite.Figure(f"growth: CPU per WEC at {largest_} vs {smallest} WECs", ratio, "x",
                                target="<= 1.25x (linear or better)", passed=ratio <= 1.25))
    return figures


def _cpu(run: dict) -> float:
    return run["child_cpu"] + run["ui_cpu"] + run["server_cpu"]


if __name__ == "__main__":
    sys.exit(main())
