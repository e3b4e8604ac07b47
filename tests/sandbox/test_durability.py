"""A sandbox that is stopped, or killed with SIGKILL, comes back with every acknowledged write;
resourceVersions keep increasing across restarts; the kubeconfig stays valid."""

from __future__ import annotations

import http.client
import contextlib
import json
import socket
import threading
from typing import Any

import pytest
import yaml

from ._helpers import DATA, Sandbox, wait_for

CTX = "a"
NS = "durable"
CM_URL = f"/api/v1/namespaces/{NS}/configmaps"
WIDGETS_URL = f"/apis/example.com/v1/namespaces/{NS}/widgets"


def create(sb: Sandbox, url: str, body: dict) -> dict:
    res = sb.request(CTX, "POST", url, body)
    assert res.status == 201, res
    return res.json


def cm(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def objects(sb: Sandbox, url: str) -> dict[str, tuple[str, str, Any]]:
    res = sb.request(CTX, "GET", url)
    assert res.status == 200, res
    return {i["metadata"]["name"]: (i["metadata"]["uid"], i["metadata"]["resourceVersion"], i.get("data", i.get("spec")))
            for i in res.json["items"]}


def current_rv(sb: Sandbox) -> int:
    return int(sb.request(CTX, "GET", "/api/v1/namespaces").json["metadata"]["resourceVersion"])


def populate(sb: Sandbox) -> None:
    create(sb, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    for i in range(10):
        create(sb, CM_URL, cm(f"cm-{i}", value=str(i)))
    # updates, patches and deletes are writes too
    res = sb.request(CTX, "PATCH", f"{CM_URL}/cm-1", {"data": {"value": "patched"}},
                     content_type="application/merge-patch+json")
    assert res.status == 200, res
    got = sb.request(CTX, "GET", f"{CM_URL}/cm-2").json
    got["data"] = {"value": "replaced"}
    assert sb.request(CTX, "PUT", f"{CM_URL}/cm-2", got).status == 200
    assert sb.request(CTX, "DELETE", f"{CM_URL}/cm-3").status == 200
    dep = yaml.safe_load((DATA / "deployment.yaml").read_text())
    create(sb, f"/apis/apps/v1/namespaces/{NS}/deployments", dep)
    create(sb, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
           yaml.safe_load((DATA / "widget-crd.yaml").read_text()))
    wait_for(lambda: sb.request(CTX, "GET", WIDGETS_URL).status == 200, timeout=30, message="widgets served")
    create(sb, WIDGETS_URL, yaml.safe_load((DATA / "widget.yaml").read_text()))


def test_a_clean_restart_keeps_everything(sandbox_factory) -> None:
    sb = sandbox_factory([CTX])
    populate(sb)
    cms, widgets = objects(sb, CM_URL), objects(sb, WIDGETS_URL)
    deployments = objects(sb, f"/apis/apps/v1/namespaces/{NS}/deployments")
    rv_before = current_rv(sb)
    kubeconfig_before = sb.kubeconfig.read_text()
    ports_before = sb.ports

    sb.restart()

    assert sb.kubeconfig.read_text() == kubeconfig_before, "the kubeconfig users hold must stay valid"
    assert sb.ports == ports_before
    assert objects(sb, CM_URL) == cms
    assert cms["cm-1"][2] == {"value": "patched"} and cms["cm-2"][2] == {"value": "replaced"}
    assert "cm-3" not in cms
    assert objects(sb, f"/apis/apps/v1/namespaces/{NS}/deployments").keys() == deployments.keys()
    assert objects(sb, WIDGETS_URL) == widgets, "custom resources (and their CRD) come back"

    after = create(sb, CM_URL, cm("after-restart"))
    assert int(after["metadata"]["resourceVersion"]) > rv_before, "resourceVersions keep increasing"


@pytest.mark.kubectl
def test_kubectl_works_unchanged_after_a_restart(sandbox_factory) -> None:
    sb = sandbox_factory([CTX])
    sb.kubectl_ok(CTX, "create", "-f", "-",
                  input=json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}))
    sb.kubectl_ok(CTX, "apply", "-n", NS, "-f", "-",
                  input=json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "survivor"},
                                    "data": {"a": "1"}}))
    sb.restart()
    assert sb.kubectl_ok(CTX, "get", "configmap", "survivor", "-n", NS, "-o", "jsonpath={.data.a}") == "1"


def test_kill_9_loses_no_acknowledged_write(sandbox_factory) -> None:
    sb = sandbox_factory([CTX])
    populate(sb)
    writer = Writer(sb, 0)
    writer.start()
    wait_for(lambda: len(writer.acks) >= 40, timeout=60, message="40 acknowledged writes")
    sb.kill9()                              # while the writer is still writing
    writer.join(timeout=30)
    assert not writer.is_alive() and not writer.refused

    sb.up()

    found = check_acknowledged_writes(sb, [writer])
    stored = objects(sb, CM_URL)
    assert stored["cm-1"][2] == {"value": "patched"} and "cm-3" not in stored

    after = create(sb, CM_URL, cm("after-crash"))
    assert int(after["metadata"]["resourceVersion"]) > found["max_seen"], "resourceVersions keep increasing"

    # and a second crash right after a restart loses nothing either
    sb.kill9()
    sb.up()
    assert "after-crash" in objects(sb, CM_URL)


# ---- a stream of writes, a watch on it, and kill -9 in the middle --------------------------------

Write = tuple[str, str, int]  # (ConfigMap name, its data as canonical JSON, resourceVersion)


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True)


class Writer(threading.Thread):
    """Creates its own ConfigMaps and merge-patches them, one request at a time, until the server
    goes away or `limit` writes are done. `acks` are the writes that got a 2xx answer, in order;
    `pending` is the write whose answer never came (it may or may not have been committed)."""

    def __init__(self, sb: Sandbox, index: int, limit: int = 100_000) -> None:
        super().__init__(daemon=True)
        self.sb, self.index, self.limit = sb, index, limit
        self.acks: list[Write] = []
        self.pending: tuple[str, str] | None = None
        self.refused: list[Any] = []                         # answers that were not 2xx

    def run(self) -> None:
        names: list[str] = []
        for i in range(self.limit):
            if i % 2 == 0:
                name = f"w{self.index}-{len(names):04d}"
                names.append(name)
                data = {"writer": str(self.index), "version": "0"}
                method, url, body, kw = "POST", CM_URL, cm(name, **data), {}
            else:
                name = names[i % len(names)]
                data = {"writer": str(self.index), "version": str(i)}
                method, url, body = "PATCH", f"{CM_URL}/{name}", {"data": data}
                kw = {"content_type": "application/merge-patch+json"}
            self.pending = (name, canonical(data))
            try:
                res = self.sb.request(CTX, method, url, body, timeout=10, **kw)
            except (OSError, http.client.HTTPException):
                return                      # the server is gone: this write was never acknowledged
            if res.status >= 300:
                self.refused.append(res)
                return
            self.acks.append((name, canonical(res.json["data"]), int(res.json["metadata"]["resourceVersion"])))
            self.pending = None


class Watcher(threading.Thread):
    """A raw watch stream (`?watch=true&resourceVersion=…`), read line by line until it ends."""

    def __init__(self, sb: Sandbox, resource_version: int) -> None:
        super().__init__(daemon=True)
        self.events: list[Write] = []
        self.expired: dict | None = None                     # the Status of an ERROR event
        conn = http.client.HTTPSConnection("127.0.0.1", sb.port(CTX), context=sb.ssl_context(), timeout=60)
        conn.request("GET", f"{CM_URL}?watch=true&resourceVersion={resource_version}",
                     headers={"Authorization": f"Bearer {sb.token}", "Accept": "application/json"})
        self.sock = conn.sock
        self.response = conn.getresponse()
        assert self.response.status == 200, self.response.read()
        self.start()

    def run(self) -> None:
        try:
            while line := self.response.readline():
                event = json.loads(line)
                obj = event["object"]
                if event["type"] == "ERROR":
                    self.expired = obj
                else:
                    self.events.append((obj["metadata"]["name"], canonical(obj.get("data")),
                                        int(obj["metadata"]["resourceVersion"])))
        except (OSError, http.client.HTTPException, ValueError):
            pass                            # the server died mid-line

    def saw(self, rv: int) -> bool:
        return bool(self.events) and self.events[-1][2] >= rv

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.join(timeout=10)
        assert not self.is_alive()


def assert_one_ordered_stream(events: list[Write]) -> None:
    """No event twice and none out of order: resourceVersions strictly increase along a stream."""
    rvs = [rv for _, _, rv in events]
    assert len(set(rvs)) == len(rvs), f"events delivered twice: {sorted(rv for rv in set(rvs) if rvs.count(rv) > 1)}"
    assert rvs == sorted(rvs), "events out of order"


def write_more(sb: Sandbox, prefix: str, count: int = 3) -> list[Write]:
    """`count` creates, each followed by an update."""
    done = []
    for i in range(count):
        obj = create(sb, CM_URL, cm(f"{prefix}-{i}", step="created"))
        done.append((f"{prefix}-{i}", canonical(obj["data"]), int(obj["metadata"]["resourceVersion"])))
        res = sb.request(CTX, "PATCH", f"{CM_URL}/{prefix}-{i}", {"data": {"step": "patched"}},
                         content_type="application/merge-patch+json")
        assert res.status == 200, res
        done.append((f"{prefix}-{i}", canonical(res.json["data"]), int(res.json["metadata"]["resourceVersion"])))
    return done


def watched_until(watcher: Watcher, writes: list[Write]) -> None:
    """Wait for the watch to deliver `writes` (or to end, as an expired one does)."""
    wait_for(lambda: watcher.saw(writes[-1][2]) or not watcher.is_alive(), timeout=20,
             message=f"the watch to deliver resourceVersion {writes[-1][2]}")


def stream_and_kill(sb: Sandbox, writers: list[Writer], *, enough: int = 0) -> Watcher:
    """Watch from now and start the writers; kill -9 once `enough` writes are acknowledged, or
    (with `enough=0`) once the writers are done and the watch has delivered all they wrote."""
    create(sb, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    watcher = Watcher(sb, int(sb.request(CTX, "GET", CM_URL).json["metadata"]["resourceVersion"]))
    for writer in writers:
        writer.start()
    if enough:
        wait_for(lambda: sum(len(w.acks) for w in writers) >= enough, timeout=60,
                 message=f"{enough} acknowledged writes")
    else:
        for writer in writers:
            writer.join(timeout=60)
        watched_until(watcher, [max((a for w in writers for a in w.acks), key=lambda a: a[2])])
    sb.kill9()
    for thread in (*writers, watcher):
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert not [r for w in writers for r in w.refused], "writes refused before the crash"
    return watcher


def check_acknowledged_writes(sb: Sandbox, writers: list[Writer], events: list[Write] = ()) -> dict[str, int]:
    """After the restart: every acknowledged write is there with its content (or the unanswered
    write that followed it was committed too); no resourceVersion seen before names other content."""
    stored = objects(sb, CM_URL)
    checked = 0
    for writer in writers:
        latest = {name: (data, rv) for name, data, rv in writer.acks}
        for name, (data, rv) in latest.items():
            assert name in stored, f"acknowledged create of {name} (rv {rv}) lost by kill -9"
            _, stored_rv, stored_data = stored[name][0], stored[name][1], canonical(stored[name][2])
            in_flight = writer.pending is not None and writer.pending == (name, stored_data)
            assert (int(stored_rv), stored_data) == (rv, data) or (in_flight and int(stored_rv) > rv), (
                f"{name}: acknowledged {data} at rv {rv}, found {stored_data} at rv {stored_rv}")
            checked += 1
    observed = {rv: (name, data) for name, data, rv in [*events, *(a for w in writers for a in w.acks)]}
    for name, (_, rv, data) in stored.items():
        if int(rv) in observed:
            assert observed[int(rv)] == (name, canonical(data)), f"resourceVersion {rv} now names other content"
    return {"checked": checked, "max_seen": max(observed)}


def check_live_stream(watcher: Watcher, writers: list[Writer]) -> None:
    """Before the crash the watch delivered every acknowledged write up to where it got, once each."""
    assert_one_ordered_stream(watcher.events)
    assert watcher.events, "the watch delivered nothing before the crash"
    delivered = set(watcher.events)
    missed = [a for w in writers for a in w.acks if a[2] <= watcher.events[-1][2] and a not in delivered]
    assert not missed, f"the live watch skipped acknowledged writes: {missed[:5]}"


def committed(watcher: Watcher, writers: list[Writer]) -> list[Write]:
    """Every change known to be committed before the crash (delivered or acknowledged), in order."""
    return sorted({*watcher.events, *(a for w in writers for a in w.acks)}, key=lambda write: write[2])


def resume(sb: Sandbox, known: list[Write], from_rv: int, prefix: str) -> tuple[str, list[Write], int]:
    """Resume a watch from `from_rv`, as an informer does after a restart, then write more: it gets
    every change after `from_rv` (of `known`, all committed changes in order) and the new ones,
    exactly once; or 410 Expired, and then a re-list shows every write and a watch from the list's
    resourceVersion gets every later change exactly once. Returns (outcome, writes made, events verified)."""
    resumed = Watcher(sb, from_rv)
    later = write_more(sb, prefix)
    assert later[0][2] > known[-1][2], f"resourceVersions went backwards: {later[0][2]} after {known[-1][2]}"
    watched_until(resumed, later)
    if resumed.expired is None:
        resumed.stop()
        expected = [write for write in known if write[2] > from_rv] + later
        assert resumed.events == expected, "the resumed watch must deliver every later change exactly once"
        return "resumed", later, len(expected)
    assert resumed.expired["code"] == 410 and resumed.expired["reason"] == "Expired", resumed.expired
    assert resumed.events == []
    listed = sb.request(CTX, "GET", CM_URL).json
    names = {i["metadata"]["name"]: canonical(i["data"]) for i in listed["items"]}
    assert all(names.get(name) == data for name, data, _ in later[1::2]), "the re-list misses writes"
    relisted = Watcher(sb, int(listed["metadata"]["resourceVersion"]))
    more = write_more(sb, f"{prefix}-relisted")
    watched_until(relisted, more)
    relisted.stop()
    assert relisted.events == more, "the watch after the re-list must deliver every later change exactly once"
    return "expired, re-listed", later + more, len(more)


def test_kill_9_mid_stream_keeps_every_acknowledged_write_and_watches_consistent(sandbox_factory, report) -> None:
    sb = sandbox_factory([CTX])
    writers = [Writer(sb, i) for i in range(3)]
    watcher = stream_and_kill(sb, writers, enough=300)
    check_live_stream(watcher, writers)

    sb.up()

    checked = check_acknowledged_writes(sb, writers, watcher.events)["checked"]
    known = committed(watcher, writers)
    # a client that had read only the first half of the stream when the server died, then one that read it all
    lagging, writes, lagging_verified = resume(sb, known, watcher.events[len(watcher.events) // 2][2], "lagging")
    outcome, _, verified = resume(sb, known + writes, watcher.events[-1][2], "resumed")
    acked = sum(len(w.acks) for w in writers)
    report(f"kill -9 mid-stream: {acked} writes acknowledged, {checked} objects checked after restart, "
           f"{len(watcher.events)} live watch events verified; lagging watch: {lagging}, {lagging_verified} "
           f"events verified; resumed watch: {outcome}, {verified} events verified")


def test_a_watch_that_saw_everything_resumes_after_kill_9_without_a_relist(sandbox_factory, report) -> None:
    sb = sandbox_factory([CTX])
    writers = [Writer(sb, i, limit=20) for i in range(2)]
    watcher = stream_and_kill(sb, writers)
    check_live_stream(watcher, writers)

    sb.up()

    checked = check_acknowledged_writes(sb, writers, watcher.events)["checked"]
    outcome, _, verified = resume(sb, committed(watcher, writers), watcher.events[-1][2], "resumed")
    assert outcome == "resumed", "nothing was missed, so nothing needs re-listing"
    report(f"kill -9 after a settled stream: {checked} objects checked, watch resumed "
           f"from rv {watcher.events[-1][2]} with {verified} events verified")
