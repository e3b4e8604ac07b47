"""The steps of a guided setup, one row each: state, title, the exact command, and a progress bar
while the step waits. It only shows what `apply`/`mark` tell it (run events, a survey): no I/O."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ProgressBar, Static

from kstellar_tui.core.setup import events as ev
from kstellar_tui.core.setup.steps import Step

GLYPHS = {"todo": "○", "running": "◐", "done": "✓", "skipped": "↷", "n/a": "–", "failed": "✗"}


def _css_class(state: str) -> str:
    return "-" + state.replace("/", "")


class StepRow(Vertical, can_focus=True):
    """One step; focusable so the user can pick a command to copy."""

    DEFAULT_CSS = """
    StepRow {
        height: auto;
        padding: 0 1;
        & .step-title { text-style: bold; }
        & .step-command { color: $text-muted; }
        & .step-note { color: $text-muted; text-style: italic; }
        & ProgressBar { display: none; }
        &.-waiting ProgressBar { display: block; }
        &.-done .step-title, &.-skipped .step-title { color: $success; }
        &.-failed .step-title { color: $error; }
        &.-running .step-title { color: $accent; }
        &:focus { background: $boost; }
    }
    """

    def __init__(self, step: Step) -> None:
        super().__init__(id=f"step-{step.id}")
        self.step = step
        self.state = "todo"
        self.note = ""

    def compose(self) -> ComposeResult:
        """The progress bar is mounted by the first wait: a dozen hidden bars would cost the first frame."""
        yield Static(self._title(), classes="step-title", markup=False)
        yield Static(f"$ {self.step.command}", classes="step-command", markup=False)
        yield Static("", classes="step-note", markup=False)

    def _title(self) -> str:
        return f"{GLYPHS[self.state]} {self.step.title}"

    def set_state(self, state: str, note: str = "") -> None:
        self.remove_class(_css_class(self.state))
        self.state = state
        self.add_class(_css_class(state))
        self.remove_class("-waiting")
        self.query_one(".step-title", Static).update(self._title())
        self.note = note
        self.query_one(".step-note", Static).update(note)

    def progress(self, elapsed: float, timeout: float, detail: str) -> None:
        self.add_class("-waiting")
        bar = self.query_one_optional(ProgressBar)
        if bar is None:
            bar = ProgressBar(show_eta=False)
            self.mount(bar)
        bar.update(total=timeout, progress=elapsed)
        self.query_one(".step-note", Static).update(detail)


class StepList(VerticalScroll):
    """The rows, in plan order."""

    DEFAULT_CSS = """
    StepList { height: 1fr; }
    """

    def __init__(self, steps: list[Step], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._steps = steps

    def compose(self) -> ComposeResult:
        for step in self._steps:
            yield StepRow(step)

    async def set_steps(self, steps: list[Step]) -> None:
        """Show another plan (the form changed)."""
        self._steps = steps
        await self.remove_children()
        await self.mount_all(StepRow(step) for step in steps)

    def row(self, step_id: str) -> StepRow | None:
        return next((row for row in self.query(StepRow) if row.step.id == step_id), None)

    @property
    def states(self) -> dict[str, str]:
        return {row.step.id: row.state for row in self.query(StepRow)}

    @property
    def focused_step(self) -> Step | None:
        focused = self.screen.focused
        return focused.step if isinstance(focused, StepRow) else None

    def mark(self, states: dict[str, str]) -> None:
        """States from a survey ("done", "todo", "n/a") before anything runs."""
        for step_id, state in states.items():
            if (row := self.row(step_id)) is not None:
                row.set_state("skipped" if state == "done" else state, "already done" if state == "done" else "")

    def apply(self, event: ev.Event) -> None:
        """Follow one run event (events of steps not shown are ignored)."""
        row = self.row(getattr(event, "step_id", ""))
        if row is None:
            return
        match event:
            case ev.StepStarted():
                row.set_state("running")
                self.scroll_to_widget(row, animate=False)
            case ev.StepProgress(_, elapsed, timeout, detail):
                row.progress(elapsed, timeout, detail)
            case ev.StepSkipped(_, reason):
                row.set_state("n/a" if reason.startswith("not needed") else "skipped", reason)
            case ev.StepDone(_, seconds):
                row.set_state("done", f"done in {seconds:.1f}s")
            case ev.StepFailed(_, _, _, _, hint, reason):
                row.set_state("failed", f"{reason} — fix: {hint}")
