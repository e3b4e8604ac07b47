"""A Controller fed by the change events of one or more cluster stores."""

from __future__ import annotations

from functools import partial
from typing import Any

from kstellar_tui.sandbox.controllers.base import Controller


class SubscribedController(Controller):
    """Subscribes to `stores` on start and unsubscribes on stop; `keys_for_event` sees which
    store (by cluster name) an event came from."""

    def __init__(self, *stores: Any) -> None:
        super().__init__()
        self._subscriptions = [(store, partial(self.on_event, store.name)) for store in stores]

    def start(self) -> None:
        for store, callback in self._subscriptions:
            store.subscribe(callback)
        super().start()

    async def stop(self) -> None:
        for store, callback in self._subscriptions:
            store.unsubscribe(callback)
        await super().stop()
