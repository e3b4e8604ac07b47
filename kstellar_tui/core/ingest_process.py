"""The monitor's ingest process: watches and the FleetStore live here, not in the UI process.

On 2-core machines, decoding hundreds of watch streams next to the UI loop starves it (GIL), so
the UI runs this as a child and receives only coalesced GridDiffs, one JSON line per tick. The
protocol (docs/dev/monitor-contracts.md):

  stdout: {"diff": GridDiff, "events": [[t, source, type, "Kind ns/name"], ...], "dropped": n,
           "stats": {source: events_total}, "problems": ["..."]}      a line per tick with news,
          {"diff": {"cells": [...]}, "stats": {...}}     then the rest of its cells, CELLS_PER_LINE a line
          {"reply": id, "result": ...} | {"reply": id, "error": "..."}     answers to requests
          {"fatal": "..."}                                              before exiting 1
  stdin:  {"id": n, "op": "explain", "key": row_key, "cluster": name}
          {"id": n, "op": "get", "key": row_key, "cluster": name|null, "editable": bool}
          {"id": n, "op": "delete" | "redeploy", "key": row_key}
          {"id": n, "op": "apply", "text": yaml, "key": row_key|null}
With --read-only, delete, redeploy and apply are refused.

Explain reads the store, so it is answered on the pump thread; the other ops talk to clusters
(a redeploy waits for a delete), so they run on worker threads and diffs keep flowing meanwhile.
"""

from __future__ import annotations

import argparse
import select
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import orjson

HUB_POLL = 1.0  # seconds between looks at the kubeconfig while the hub is being set up
# A tick's cells go in lines of at most this many (the first line also has its rows and columns):
# the initial sync of 200 WECs changes 400,000 cells at once, and one line of them took the UI
# process a long stall and a hundred megabytes to decode.
CELLS_PER_LINE = 5000
EVENTS_PER_TICK = 200  # the event log shows recent activity; beyond this per tick lines are counted, not sent
ACTION_WORKERS = 4  # a long redeploy must not hold up the YAML of the next explain


class Ingest:
    def __init__(self, watcher, tick: float, actions):
        """`watcher`: a FleetWatcher; `actions`: the `core.object_actions.ObjectActions` on the same kubeconfig."""
        self.watcher = watcher
        self.tick = tick
        self.actions = actions
        self.events: deque = deque()
        self.dropped = 0
        self.requests: deque = deque()
        self._out = sys.stdout.buffer
        self._lock = threading.Lock()
        self._workers = ThreadPoolExecutor(ACTION_WORKERS, thread_name_prefix="action")
        self.ui_gone = threading.Event()
        watcher.on_events = self._record

    def _record(self, source: str, resource, lines: list[bytes]) -> None:
        """Events for the log, named as the user knows the object: "Kind ns/name". Only the lines
        shown are read (most from their first bytes): the rest are counted."""
        room = max(0, EVENTS_PER_TICK - len(self.events))
        now = time.time()
        for line in lines[:room]:
            described = _describe(resource, line)
            if described is not None:  # unreadable: the store skipped it too
                self.events.append([now, source, *described])
        self.dropped += max(0, len(lines) - room)

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
            diff = diff or {}
            cells = diff.pop("cells", [])
            stats = dict(self.watcher.store.counters.events)
            self.write({"diff": {**diff, "cells": cells[:CELLS_PER_LINE]}, "events": list(self.events),
                        "dropped": self.dropped, "stats": stats,
                        "problems": sorted({f"{ctx}: {res}: {msg}"
                                            for (ctx, res), msg in self.watcher.problems.items()})})
            for start in range(CELLS_PER_LINE, len(cells), CELLS_PER_LINE):
                self.write({"diff": {"cells": cells[start:start + CELLS_PER_LINE]}, "stats": stats})
            self.events.clear()
            self.dropped = 0

    def _answer(self, request: dict) -> None:
        """On the pump thread: explain here; resolve the other ops' targets here, run them on a worker."""
        from kstellar_tui.core.fleet.explain import explain
        from kstellar_tui.core.object_actions import target_for

        reply = request.get("id")
        try:
            op = request.get("op")
            if op == "explain":
                self.write({"reply": reply, "result": explain(self.watcher.store, request["key"],
                                                              request["cluster"]).as_dict()})
                return
            if op not in ("get", "delete", "redeploy", "apply"):
                raise ValueError(f"unknown op {op!r}")
            key = request.get("key")
            target = target_for(self.watcher.store, key) if key else None
            if op == "apply":
                call = partial(self.actions.apply, str(request["text"]), target)
            elif target is None:
                raise ValueError(f"{op} needs the row key of a WDS object")
            elif op == "get":
                call = partial(self.actions.get, target, request.get("cluster"), editable=bool(request.get("editable")))
            else:
                call = partial(getattr(self.actions, op), target)
            self._workers.submit(self._run, reply, call)
        except Exception as exc:  # a bad request must not end the monitor
            self.write({"reply": reply, "error": str(exc)})

    def _run(self, reply: object, call: Callable[[], object]) -> None:
        try:
            result = call()
        except Exception as exc:  # refused, unreachable, invalid: the user reads why
            self.write({"reply": reply, "error": str(exc) or type(exc).__name__})
        else:
            self.write({"reply": reply, "result": result})

    def close(self) -> None:
        """Let a running action finish its request (a half-done redeploy is worse than a late exit)."""
        self._workers.shutdown(wait=True, cancel_futures=True)

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
    parser.add_argument("--read-only", action="store_true", help="refuse delete, redeploy and apply")
    parser.add_argument("--wait-for-hub", action="store_true",
                        help="wait for the WDS and ITS contexts to appear (a sandbox being set up)")
    args = parser.parse_args(argv)

    from kstellar_tui.core.ingest import FleetWatcher, tune_gc
    from kstellar_tui.core.kube.kubeconfig import KubeConfigError
    from kstellar_tui.core.object_actions import ObjectActions

    tune_gc()

    try:
        kubeconfig = _hub_kubeconfig(args)
        if kubeconfig is None:
            return 0  # the UI went away while we waited for the hub
        watcher = FleetWatcher(kubeconfig, wds=args.wds, its=args.its)
        actions = ObjectActions(kubeconfig, wds=args.wds, its=args.its, read_only=args.read_only,
                                wec_context=watcher.wec_context)
    except KubeConfigError as exc:
        sys.stdout.buffer.write(orjson.dumps({"fatal": str(exc)}) + b"\n")
        return 1
    ingest = Ingest(watcher, args.tick, actions)
    reader = threading.Thread(target=ingest.read_requests, daemon=True)
    reader.start()
    try:
        ingest.run()
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    finally:
        watcher.close()
        ingest.close()
    return 0


def _hub_kubeconfig(args: argparse.Namespace):
    """The kubeconfig once it has the WDS and ITS contexts; None when the UI went away meanwhile.

    On a fresh sandbox they appear while guided setup runs, so the monitor waits for them (saying
    so once) instead of failing; an unreadable kubeconfig is still fatal."""
    from kstellar_tui.core.kube.kubeconfig import KubeConfig

    said = False
    while True:
        kubeconfig = KubeConfig.load(args.kubeconfig)
        missing = [c for c in (args.wds, args.its) if c not in kubeconfig.contexts]
        if not missing or not args.wait_for_hub:
            return kubeconfig
        if not said:
            sys.stdout.buffer.write(orjson.dumps({"diff": {}, "problems": [
                f"waiting for the {' and '.join(missing)} contexts: run guided setup (:setup)"]}) + b"\n")
            sys.stdout.buffer.flush()
            said = True
        if _stdin_closed(HUB_POLL):
            return None


def _stdin_closed(timeout: float) -> bool:
    """Wait up to `timeout` (the kubeconfig is a file another process writes: nothing to wait on
    but time) and say whether stdin closed: an app killed with SIGKILL leaves only that sign, and
    its child must not outlive it. Requests already sent stay buffered for the reader."""
    deadline = time.monotonic() + timeout
    readable, _, _ = select.select([sys.stdin.buffer], [], [], timeout)
    if readable and not sys.stdin.buffer.peek(1):
        return True
    time.sleep(max(0.0, deadline - time.monotonic()))
    return False


def _describe(resource, line: bytes) -> tuple[str, str] | None:
    """(type, "Kind ns/name") of an event line; None when it is not JSON."""
    from kstellar_tui.core.kube.watch import decode_events, event_head

    head = event_head(line)
    if head is None:
        decoded = decode_events([line])
        if not decoded:
            return None
        type_, obj = decoded[0]
        meta = obj.get("metadata") or {}
        head = (type_, obj.get("kind") or "", meta.get("namespace") or "", meta.get("name") or "")
    type_, kind, namespace, name = head
    return type_, f"{kind or resource.plural} {namespace + '/' if namespace else ''}{name}"


if __name__ == "__main__":
    raise SystemExit(main())
