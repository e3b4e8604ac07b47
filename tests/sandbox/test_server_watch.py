"""Watch semantics over HTTPS: initial state, resume, 410, bookmarks, selectors, timeouts."""

from __future__ import annotations

from kstellar_tui.sandbox.runtime import Sandbox
from tests.sandbox.apiserver_harness import Api, api_fixture, sandbox_fixture  # noqa: F401 (fixtures)

CMS = "/api/v1/namespaces/default/configmaps"


def configmap(name: str, labels: dict | None = None, value: str = "v") -> dict:
    return {"metadata": {"name": name, **({"labels": labels} if labels else {})}, "data": {"k": value}}


def summary(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["type"], e["object"]["metadata"].get("name", "")) for e in events]


async def test_without_a_resource_version_the_current_state_comes_first(api: Api) -> None:
    await api.ok("POST", CMS, configmap("old"))
    stream = await api.watch(CMS)
    assert summary(await stream.events(2)) == [("ADDED", "kube-root-ca.crt"), ("ADDED", "old")]
    await api.ok("POST", CMS, configmap("new"))
    event = await stream.next()
    assert (event["type"], event["object"]["kind"], event["object"]["apiVersion"]) == ("ADDED", "ConfigMap", "v1")
    stream.close()


async def test_resuming_from_a_resource_version_replays_nothing_and_misses_nothing(api: Api) -> None:
    first = await api.ok("POST", CMS, configmap("a"))
    await api.ok("PUT", f"{CMS}/a", {**first, "data": {"k": "2"}})
    await api.ok("POST", CMS, configmap("b"))
    stream = await api.watch(CMS, resourceVersion=first["metadata"]["resourceVersion"])
    await api.ok("DELETE", f"{CMS}/b")
    events = await stream.events(3)
    assert summary(events) == [("MODIFIED", "a"), ("ADDED", "b"), ("DELETED", "b")]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and versions[0] > int(first["metadata"]["resourceVersion"])
    stream.close()


async def test_an_expired_resource_version_gets_a_410_error_event(api: Api, sandbox: Sandbox) -> None:
    made = await api.ok("POST", CMS, configmap("a"))
    sandbox.expire_history("c1")
    stream = await api.watch(CMS, resourceVersion=str(int(made["metadata"]["resourceVersion"]) - 1))
    events = await stream.rest()
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    assert (events[0]["object"]["code"], events[0]["object"]["reason"]) == (410, "Expired")
    status, relisted = await api.call("GET", CMS)
    assert status == 200
    fresh = await api.watch(CMS, resourceVersion=relisted["metadata"]["resourceVersion"])
    await api.ok("POST", CMS, configmap("b"))
    assert summary([await fresh.next()]) == [("ADDED", "b")]
    fresh.close()


async def test_bookmarks_carry_the_current_resource_version(api: Api) -> None:
    made = await api.ok("POST", CMS, configmap("a"))
    stream = await api.watch(CMS, resourceVersion=made["metadata"]["resourceVersion"], allowWatchBookmarks="true")
    bookmark = await stream.next()
    assert bookmark["type"] == "BOOKMARK" and bookmark["object"]["kind"] == "ConfigMap"
    assert int(bookmark["object"]["metadata"]["resourceVersion"]) >= int(made["metadata"]["resourceVersion"])
    stream.close()


async def test_initial_events_end_with_an_annotated_bookmark(api: Api) -> None:
    stream = await api.watch(CMS, sendInitialEvents="true", allowWatchBookmarks="true",
                             resourceVersionMatch="NotOlderThan")
    added, bookmark = await stream.events(2)
    assert added["type"] == "ADDED" and bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    stream.close()


async def test_timeout_seconds_ends_the_stream(api: Api) -> None:
    stream = await api.watch(CMS, timeoutSeconds="1")
    assert summary(await stream.rest(timeout=3)) == [("ADDED", "kube-root-ca.crt")]


async def test_selector_watches_see_objects_enter_and_leave(api: Api) -> None:
    made = await api.ok("POST", CMS, configmap("a"))
    stream = await api.watch(CMS, labelSelector="team=blue", resourceVersion=made["metadata"]["resourceVersion"])
    blue = await api.ok("PATCH", f"{CMS}/a", {"metadata": {"labels": {"team": "blue"}}},
                        content_type="application/merge-patch+json")
    await api.ok("PATCH", f"{CMS}/a", {"data": {"k": "2"}}, content_type="application/merge-patch+json")
    await api.ok("PATCH", f"{CMS}/a", {"metadata": {"labels": {"team": "red"}}},
                 content_type="application/merge-patch+json")
    events = await stream.events(3)
    assert summary(events) == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    assert events[0]["object"]["metadata"]["resourceVersion"] == blue["metadata"]["resourceVersion"]
    assert events[2]["object"]["metadata"]["labels"] == {"team": "blue"}
    stream.close()


async def test_a_field_selector_watch_sees_one_object_go(api: Api) -> None:
    """How `kubectl delete` waits: a watch on metadata.name until DELETED."""
    await api.ok("POST", CMS, configmap("a"))
    made = await api.ok("POST", CMS, configmap("b"))
    stream = await api.watch(CMS, fieldSelector="metadata.name=a", resourceVersion=made["metadata"]["resourceVersion"])
    await api.ok("DELETE", f"{CMS}/b")
    await api.ok("DELETE", f"{CMS}/a")
    assert summary([await stream.next()]) == [("DELETED", "a")]
    stream.close()


async def test_dropped_watches_end_and_can_resume(api: Api, sandbox: Sandbox) -> None:
    made = await api.ok("POST", CMS, configmap("a"))
    stream = await api.watch(CMS, resourceVersion=made["metadata"]["resourceVersion"])
    assert sandbox.drop_watches("c1") == 1
    assert await stream.rest() == []
    again = await api.watch(CMS, resourceVersion=made["metadata"]["resourceVersion"])
    await api.ok("DELETE", f"{CMS}/a")
    assert summary([await again.next()]) == [("DELETED", "a")]
    again.close()


async def test_kubectl_get_watch_receives_tables(api: Api) -> None:
    response = await api.session.get(api.base + CMS, params={"watch": "true", "timeoutSeconds": "1"}, headers={
        "Authorization": f"Bearer {api.token}", "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    line = await response.content.readline()
    response.close()
    assert b'"kind":"Table"' in line and b"kube-root-ca.crt" in line
