"""Confirm a delete by typing the object's name: a reflexive Enter can never delete anything."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class ConfirmDeleteScreen(ModalScreen[bool]):
    """Returns True only after the exact `name` was typed and confirmed; False on cancel or escape."""

    DEFAULT_CSS = """
    ConfirmDeleteScreen {
        align: center middle;
        & > Vertical {
            width: 72; height: auto; padding: 1 2;
            border: thick $status-error; background: $surface;
        }
        & #confirm-title { text-style: bold; color: $status-error; margin-bottom: 1; }
        & Input { margin: 1 0; }
        & Horizontal { height: auto; align-horizontal: right; }
        & Button { margin-left: 2; }
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]

    def __init__(self, what: str, name: str, *, consequence: str = "", verb: str = "Delete") -> None:
        """`verb` names the action on the title and the button (Delete, Redeploy)."""
        super().__init__()
        self.what = what
        self.verb = verb
        self.target = name
        self.consequence = consequence

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"{escape(self.verb)} {escape(self.what)}?", id="confirm-title")
            if self.consequence:
                yield Static(escape(self.consequence))
            yield Static(f"Type [b]{escape(self.target)}[/b] to confirm.")
            yield Input(placeholder=self.target, id="confirm-input")
            with Horizontal():
                yield Button(self.verb, variant="error", id="confirm-delete", disabled=True)
                yield Button("Cancel", id="confirm-cancel")

    @property
    def _matches(self) -> bool:
        return self.query_one("#confirm-input", Input).value == self.target

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm-delete", Button).disabled = not self._matches

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._matches:
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-delete" and self._matches)

    def action_cancel(self) -> None:
        self.dismiss(False)
