"""A question with a few answers as buttons (restore a draft?, continue one by one?, replace the text?)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

Answer = tuple[str, str, str]  # id, label, button variant ("default", "primary", "warning", "error")


class ChoiceScreen(ModalScreen[str]):
    """Returns the id of the answer chosen; escape returns `on_escape` (the safe answer)."""

    DEFAULT_CSS = """
    ChoiceScreen {
        align: center middle;
        & > Vertical { width: 80; height: auto; padding: 1 2; border: thick $warning; background: $surface; }
        & #choice-detail { color: $text-muted; margin-top: 1; max-height: 16; }
        & Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
        & Button { margin-left: 2; }
    }
    """

    BINDINGS = [Binding("escape", "escape", "Cancel", id="choice.cancel")]

    def __init__(self, question: str, answers: Sequence[Answer], *, on_escape: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.answers = list(answers)
        self.on_escape = on_escape
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False, id="choice-question")
            if self.detail:
                yield Static(self.detail, markup=False, id="choice-detail")
            with Horizontal():
                for answer, label, variant in self.answers:
                    yield Button(label, variant=variant, id=f"choice-{answer}")  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(str(event.button.id).removeprefix("choice-"))

    def action_escape(self) -> None:
        self.dismiss(self.on_escape)
