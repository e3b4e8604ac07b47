"""A list read in pages is one snapshot, as kube-apiserver serves it: every page reports the
resourceVersion of the first, so a client that watches from "the list's resourceVersion" (client-go's
reflector, our ListWatch) hears about changes made between its pages. Found by the chaos test: a
ManifestWork deleted while the monitor re-listed 1,500 of them in pages stayed on screen."""

from __future__ import annotations

from tests.sandbox.apiserver_harness import Api, api_fixture, sandbox_fixture  # noqa: F401 (fixtures)

CMS = "/api/v1/namespaces/default/configmaps"


def names(body: dict) -> list[str]:
    return [item["metadata"]["name"] for item in body["items"]]


async def test_a_deletion_between_pages_reaches_a_watch_from_the_lists_version(api: Api) -> None:
    for name in "abc":
        await api.ok("POST", CMS, {"metadata": {"name": name, "labels": {"paged": "yes"}}})
    first = await api.ok("GET", CMS, params={"labelSelector": "paged", "limit": "2"})
    assert names(first) == ["a", "b"]
    await api.ok("DELETE", f"{CMS}/a")  # already listed: only the watch can tell the client
    rest = await api.ok("GET", CMS, params={"labelSelector": "paged", "limit": "2",
                                            "continue": first["metadata"]["continue"]})
    assert names(rest) == ["c"]
    assert rest["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    stream = await api.watch(CMS, labelSelector="paged", resourceVersion=rest["metadata"]["resourceVersion"])
    event = await stream.next()
    stream.close()
    assert (event["type"], event["object"]["metadata"]["name"]) == ("DELETED", "a")
