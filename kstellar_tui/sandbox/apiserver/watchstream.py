"""The HTTP side of a watch: a chunked stream of JSON lines, bookmarks, timeouts, 410 as an event."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import orjson
from aiohttp import web

from kstellar_tui.sandbox.apiserver import request_input, tables
from kstellar_tui.sandbox.apiserver.errors import ApiError
from kstellar_tui.sandbox.apiserver.handlers import Target, verb_check
from kstellar_tui.sandbox.apiserver.resources import ResourceType
from kstellar_tui.sandbox.apiserver.store import ClusterStore
from kstellar_tui.sandbox.apiserver.watch import ERROR, event_line

DEFAULT_TIMEOUT = 1800.0  # upstream picks a random duration between one and two of its --min-request-timeout
LIVENESS_CHECK = 5.0  # how often an idle stream looks whether its client went away
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
PRE_TIMEOUT_BOOKMARK = 2.0  # seconds before the deadline


class WatchSettings:
    """Tunables of one server's watches (tests shorten the bookmark interval)."""

    def __init__(self, bookmark_interval: float = 60.0) -> None:
        self.bookmark_interval = bookmark_interval


async def serve_watch(request: web.Request, store: ClusterStore, target: Target,
                      settings: WatchSettings) -> web.StreamResponse:
    rt = target.rt
    verb_check(rt, "watch")
    bookmarks = request_input.flag(request, "allowWatchBookmarks")
    initial_events = request_input.flag(request, "sendInitialEvents")
    timeout = request_input.integer(request, "timeoutSeconds")
    resource_version = None if initial_events else request.query.get("resourceVersion")
    labels, fields = request_input.label_selector(request), request_input.field_selector(request)
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    try:
        watch = store.watch(rt, target.namespace, resource_version, labels, fields, bookmarks,
                            render=_table_renderer(request, rt))
    except ApiError as error:
        if error.code != 410:
            raise
        await response.prepare(request)
        await response.write(event_line(ERROR, orjson.dumps(error.status())))
        await response.write_eof()
        return response

    if initial_events and bookmarks:
        watch.bookmark(store.rv, annotations={INITIAL_EVENTS_END: "true"})
    loop = asyncio.get_running_loop()
    seconds = float(timeout) if timeout else DEFAULT_TIMEOUT * (1 + random.random())
    deadline = loop.time() + seconds
    next_bookmark = _next_bookmark(loop.time(), deadline, settings) if bookmarks else float("inf")
    try:
        await response.prepare(request)
        while True:
            now = loop.time()
            if now >= deadline:
                break
            if now >= next_bookmark and not watch.pending:
                watch.bookmark(store.committed_rv)
                next_bookmark = _next_bookmark(now, deadline, settings)
            lines = await watch.next_batch(min(deadline, next_bookmark, now + LIVENESS_CHECK) - now)
            if lines is None:
                break
            if lines:
                await response.write(b"".join(lines))
            elif request.transport is None or request.transport.is_closing():
                break
        await response.write_eof()
    except ConnectionError:
        pass  # the client went away: nothing left to tell it
    finally:
        watch.close()
    return response


def _next_bookmark(now: float, deadline: float, settings: WatchSettings) -> float:
    """Every bookmark interval, and once shortly before the timeout (as upstream's watch cache
    does), so a client resumes from a fresh resourceVersion after the stream ends."""
    before_timeout = deadline - PRE_TIMEOUT_BOOKMARK
    candidates = [now + settings.bookmark_interval] + ([before_timeout] if before_timeout > now else [])
    return min(candidates)


def _table_renderer(request: web.Request, rt: ResourceType) -> Callable[[dict], dict] | None:
    """`kubectl get --watch` wants each object as a one-row Table."""
    if not tables.wants_table(request.headers.get("Accept")):
        return None
    include = request.query.get("includeObject") or "Metadata"
    return lambda obj: tables.to_table(rt, [obj], include_object=include)
