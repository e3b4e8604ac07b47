"""The monitor's ingest process: watches and the FleetStore live here, not in the UI process.

On 2-core machines, decoding hundreds of watch streams next to the UI loop starves it (GIL), so
the UI runs this as a child and receives only coalesced GridDiffs, one JSON line per tick. The
protocol (docs/dev/monitor-contracts.md):

  stdout: {"diff": GridDiff, "events": [[t, source, type, kind, "ns/name"], ...], "dropped": n,
           "stats": {source: events_total}, "problems": ["..."]}      one line per tick with news
          {"reply": id, "result": {...}} | {"reply": id, "error": "..."}   answers to requests
          {"fatal": "..."}                                              before exiting 1
  stdin:  {"id": n, "op": "explain", "key": row_key, "cluster": name}
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import deque

import orjson

EVENTS_PER_TICK = 200  # the event log shows recent activity; beyond this per tick lines are counted, not sent


class Ingest:
    def __init__(self, watcher, tick: float):
        self.watcher = watcher
        self.tick = tick
        self.events: deque = deque()
        self.dropped = 0
        self.requests: deque = deque()
        self._out = sys.stdout.buffer
        self._lock = threading.Lock()
        self.ui_gone = threading.Event()
        watcher.on_event = self._record

    def _record(self, source: str, resource, type_: str) -> None:
        if len(self.events) < EVENTS_PER_TICK:
            self.events.append([time.time(), source, type_, str(resource)])
        else:
            self.dropped += 1

    def write(self, message: dict) -> None:
        with self._lock:
            self._out.write(orjson.dumps(message) + b"\n")
            self._out.flush()

    def run(self) -> None:
        next_tick = time.monotonic()
        while not self.ui_gone.is_set():
            self.watcher.pump(budget=self.tick / 2, block=max(0.0, next_tick - time.monotonic()))
            while self.requests:
                self._answer(self.requests.popleft())
            if time.monotonic() < next_tick:
                continue
            next_tick = time.monotonic() + self.tick
            diff = self.watcher.store.drain()
            if diff is None and not self.events:
                continue
            self.write({"diff": diff or {}, "events": list(self.events), "dropped": self.dropped,
                        "stats": dict(self.watcher.store.counters.events),
                        "problems": sorted({f"{ctx}: {res}: {msg}"
                                            for (ctx, res), msg in self.watcher.problems.items()})})
            self.events.clear()
            self.dropped = 0

    def _answer(self, request: dict) -> None:
        from kstellar_tui.core.fleet.explain import explain

        reply = request.get("id")
        try:
            if request.get("op") != "explain":
                raise ValueError(f"unknown op {request.get('op')!r}")
            result = explain(self.watcher.store, request["key"], request["cluster"]).as_dict()
            self.write({"reply": reply, "result": result})
        except Exception as exc:  # a bad request must not end the monitor
            self.write({"reply": reply, "error": str(exc)})

    def read_requests(self) -> None:
        """stdin reader thread: requests are queued and answered on the pump thread (store access)."""
        for line in sys.stdin.buffer:
            try:
                self.requests.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                self.write({"reply": None, "error": "malformed request"})
        self.ui_gone.set()  # stdin closed: the UI is gone, and so is our reason to run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kstellar-tui ingest")
    parser.add_argument("--kubeconfig")
    parser.add_argument("--wds", default="wds1")
    parser.add_argument("--its", default="its1")
    parser.add_argument("--tick", type=float, default=0.25)
    args = parser.parse_args(argv)

    from kstellar_tui.core.ingest import FleetWatcher, tune_gc
    from kstellar_tui.core.kube.kubeconfig import KubeConfig, KubeConfigError

    tune_gc()

    try:
        watcher = FleetWatcher(KubeConfig.load(args.kubeconfig), wds=args.wds, its=args.its)
    except KubeConfigError as exc:
        sys.stdout.buffer.write(orjson.dumps({"fatal": str(exc)}) + b"\n")
        return 1
    ingest = Ingest(watcher, args.tick)
    reader = threading.Thread(target=ingest.read_requests, daemon=True)
    reader.start()
    try:
        ingest.run()
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    finally:
        watcher.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
