"""The one-line `:` prompt along the bottom, as in k9s: it returns what was typed, or None on escape."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label


class PromptScreen(ModalScreen[str | None]):
    """`prefix` then an input; Tab/→ accepts the suggestion (command names)."""

    DEFAULT_CSS = """
    PromptScreen {
        align: left bottom;
        background: $background 0%;
        & > Horizontal { height: 1; background: $panel; }
        & Label { color: $accent; text-style: bold; padding: 0 0 0 1; }
        & Input { border: none; height: 1; padding: 0 1; background: $panel; }
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, prefix: str, *, suggestions: Sequence[str] = (), placeholder: str = "") -> None:
        super().__init__()
        self._prefix = prefix
        self._suggestions = list(suggestions)
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self._prefix)
            yield Input(placeholder=self._placeholder, id="prompt-input",
                        suggester=SuggestFromList(self._suggestions, case_sensitive=False))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
