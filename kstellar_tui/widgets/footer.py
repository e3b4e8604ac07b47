"""Textual's Footer, rebuilt only when the keys it would show differ from those it shows.

Textual's Footer rebuilds all its keys (a dozen widgets, each styled) on every "bindings changed"
signal, and a screen sends several for one change: focusing the grid at start-up sends one from
the focus and one after the next refresh, and the screen's resume another. Rebuilding for each
cost a monitor's start a fifth of its first frame's time, in work that delays the frame's write.
And each new key is styled twice more: it starts compact and is then bound to the footer's
setting; here it starts with that setting.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey


def _keys(screen: Screen) -> tuple:
    """What the footer would show for the screen's bindings now."""
    display = screen.app.get_key_display
    return tuple((binding.key, display(binding), binding.description, binding.action, binding.show,
                  id(binding.group), enabled, tooltip)
                 for _, binding, enabled, tooltip in screen.active_bindings.values())


class Footer(TextualFooter):
    _announced = False  # whether bindings were announced yet (before, Textual's footer shows none)
    _shown: tuple | None = None  # the keys of the last rebuild that showed any

    def compose(self) -> ComposeResult:
        self._shown = _keys(self.screen) if self._announced else None
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):  # that one is not bound
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        if self._shown is not None and screen is self.screen and _keys(screen) == self._shown:
            return
        self._announced = True
        super().bindings_changed(screen)
