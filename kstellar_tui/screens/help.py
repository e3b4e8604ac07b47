"""`?`: the keys that work right now (read from the live bindings, so keymap overrides and
read-only mode show as they are), with their binding ids for the config's `keymap`, and the `:` commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


class HelpEntry(NamedTuple):
    keys: str         # as shown, e.g. "↑ k"
    description: str
    binding_id: str   # what the config's keymap uses; "" when the binding has none


def live_bindings(screen: Screen) -> list[HelpEntry]:
    """The enabled bindings of `screen` (focused widget, screen and app), one entry per binding."""
    keys: dict[object, list[str]] = {}
    bindings: dict[object, Binding] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not active.enabled or binding.system:
            continue
        identity = binding.id or (active.node, binding.action)  # "up,k" arrives as two bindings
        bindings.setdefault(identity, binding)
        keys.setdefault(identity, []).append(screen.app.get_key_display(binding))
    return sorted(
        (HelpEntry(" ".join(dict.fromkeys(keys[i])), b.description or b.action, b.id or "")
         for i, b in bindings.items()),
        key=lambda entry: (not entry.binding_id, entry.binding_id),  # remappable ones first
    )


class HelpScreen(ModalScreen[None]):
    """A table of live keys and of `:` commands; escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > Vertical { width: 96; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
        & #help-title { text-style: bold; color: $primary; padding: 0 0 1 0; }
        & DataTable { height: 1fr; }
    }
    """

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, entries: Sequence[HelpEntry], commands: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.entries = list(entries)
        self.commands = list(commands)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Keys that work here, and : commands  (remap keys by id in the config's keymap)",
                         id="help-title")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="help-table")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "does", "binding id")
        for entry in self.entries:
            table.add_row(entry.keys, entry.description, entry.binding_id)
        for usage, description in self.commands:
            table.add_row(usage, description, "")
        table.focus()
