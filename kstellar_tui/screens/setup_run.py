"""What the two setup screens share: a target (host or sandbox), a plan made from the screen's
form, a step list, a live log, and runs in a worker thread whose events come back as messages.

The screens do no I/O on the UI loop: connecting (which may start the sandbox), surveying what is
already done and running steps all happen in thread workers; the runner's events are posted
(thread-safe) and applied to the widgets here."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, RichLog, Static

from kstellar_tui import locations
from kstellar_tui.core.setup import events as ev
from kstellar_tui.core.setup.options import OptionsError, SetupOptions
from kstellar_tui.core.setup.prereqs import check_prerequisites
from kstellar_tui.core.setup.runner import Backend, SetupRunner
from kstellar_tui.core.setup.script import render
from kstellar_tui.core.setup.steps import Step
from kstellar_tui.setup_runners.target import SetupTarget
from kstellar_tui.widgets.step_list import StepList

LOG_LINES = 5000


class ConfirmRunScreen(ModalScreen[bool]):
    """Running on the host changes real clusters and the kubeconfig: ask once per run."""

    DEFAULT_CSS = """
    ConfirmRunScreen {
        align: center middle;
        & > Vertical { width: 72; height: auto; padding: 1 2; border: thick $warning; background: $surface; }
        & Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
        & Button { margin-left: 2; }
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="setup.confirm_cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            with Horizontal():
                yield Button("Run", variant="warning", id="confirm-run")
                yield Button("Cancel", id="confirm-cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-run")

    def action_cancel(self) -> None:
        self.dismiss(False)


class SetupRunScreen(Screen):
    """Base of `SetupCoreScreen` and `SetupWecsScreen`: subclasses compose their form (calling
    `compose_steps()` for the right-hand side) and implement `read_form()`."""

    PHASE = ""
    DEFAULT_CSS = """
    SetupRunScreen {
        & #setup-body { height: 1fr; }
        & #setup-form { width: 46; height: 1fr; padding: 0 1; border-right: vkey $panel; }
        & #setup-form Input, & #setup-form Select { margin-bottom: 1; }
        & .setup-heading { text-style: bold; color: $accent; margin-bottom: 1; }
        & #setup-target { color: $text-muted; margin-bottom: 1; }
        & #setup-problem, & #setup-prereqs { color: $error; height: auto; }
        & #setup-buttons { height: auto; }
        & #setup-buttons Button { margin-right: 1; min-width: 8; }
        & #setup-right { width: 1fr; }
        & #setup-log { height: 12; border-top: hkey $panel; }
    }
    """

    BINDINGS = [
        Binding("ctrl+r", "run", "Run", id="setup.run", tooltip="Run the steps that are not done yet"),
        Binding("ctrl+t", "stop", "Stop", id="setup.stop", tooltip="Stop the running step (run again to resume)"),
        Binding("ctrl+y", "copy_command", "Copy command", id="setup.copy",
                tooltip="Copy the focused step's command (or the failed one's)"),
        Binding("ctrl+o", "export", "Export script", id="setup.export",
                tooltip="Write these steps as a bash script to the data folder"),
    ]

    class RunEvent(Message):
        """One runner event; none may replace another (the log shows them all)."""

        def __init__(self, event: ev.Event) -> None:
            super().__init__()
            self.event = event

    class Surveyed(Message):
        """The target answered: what it is, which steps are done already, and (on the host) which
        prerequisites fail."""

        def __init__(self, note: str, states: dict[str, str], prerequisites: list[str]) -> None:
            super().__init__()
            self.note = note
            self.states = states
            self.prerequisites = prerequisites

    class Unreachable(Message):
        def __init__(self, problem: str) -> None:
            super().__init__()
            self.problem = problem

    def __init__(self, target: SetupTarget, options: SetupOptions | None = None) -> None:
        super().__init__()
        self.target = target
        self.options = options or SetupOptions()
        self.steps: list[Step] = self.plan_steps(self.options)
        self.backend: Backend | None = None
        self.runner: SetupRunner | None = None
        self.running = False
        self.prerequisites: list[str] = []
        """Failing prerequisites on the host; a run waits until they are fixed."""
        self._backend_platform = ""

    # -- for subclasses --------------------------------------------------------------------------
    def plan_steps(self, options: SetupOptions) -> list[Step]:
        from kstellar_tui.core.setup.plan import plan

        return plan(options, self.PHASE)

    def read_form(self) -> SetupOptions:
        """The options the form says now; OptionsError when they cannot work."""
        raise NotImplementedError

    def compose_steps(self) -> ComposeResult:
        yield StepList(self.steps, id="setup-steps")
        yield RichLog(id="setup-log", max_lines=LOG_LINES, wrap=True, markup=False)

    def compose_buttons(self) -> ComposeResult:
        yield Static("", id="setup-prereqs", markup=False)
        with Horizontal(id="setup-buttons"):
            yield Button("Run", variant="primary", id="setup-run")
            yield Button("Stop", id="setup-stop", disabled=True)

    # -- life cycle ------------------------------------------------------------------------------
    @property
    def step_list(self) -> StepList:
        return self.query_one(StepList)

    @property
    def log_view(self) -> RichLog:
        return self.query_one("#setup-log", RichLog)

    def on_mount(self) -> None:
        self.query_one("#setup-target", Static).update(f"target: {self.target.describe()}")
        self.survey(self.steps)

    @work(thread=True, exclusive=True, group="setup-survey")
    def survey(self, steps: list[Step]) -> None:
        try:
            backend, note = self._connect()
            states = SetupRunner(steps, backend, lambda _: None).survey()
            failing = [] if self.target.is_sandbox else [
                f"{v.name}: {v.detail} — {v.fix}"
                for v in check_prerequisites(self.options.platform, self.target.env) if v.ok is False]
        except Exception as error:  # the sandbox would not start, a tool is missing, …: say so
            self.post_message(self.Unreachable(f"{type(error).__name__}: {error}"))
            return
        self.post_message(self.Surveyed(note, states, failing))

    def _connect(self) -> tuple[Backend, str]:
        """The backend for the form's platform (made once per platform; called from workers)."""
        if self.backend is None or self._backend_platform != self.options.platform:
            self.backend, note = self.target.connect(self.options.platform)
            self._backend_platform = self.options.platform
            return self.backend, note
        return self.backend, self.target.describe()

    def on_setup_run_screen_surveyed(self, message: Surveyed) -> None:
        if not self.running:
            self.step_list.mark(message.states)
        self.query_one("#setup-target", Static).update(f"target: {message.note}")
        self.prerequisites = message.prerequisites
        self.query_one("#setup-prereqs", Static).update(
            "prerequisites to fix (see `kstellar-tui setup check`):\n" + "\n".join(message.prerequisites)
            if message.prerequisites else "")

    def on_setup_run_screen_unreachable(self, message: Unreachable) -> None:
        self.query_one("#setup-problem", Static).update(message.problem)

    async def replan(self) -> bool:
        """Re-read the form; show its plan (and survey it), or what is wrong with it."""
        problem = self.query_one("#setup-problem", Static)
        try:
            options = self.read_form()
            steps = self.plan_steps(options)
        except OptionsError as error:
            problem.update(str(error))
            return False
        problem.update("")
        if options != self.options or [s.id for s in steps] != [s.id for s in self.steps]:
            self.options, self.steps = options, steps
            await self.step_list.set_steps(steps)
            if not self.running:
                self.survey(steps)
        return True

    # -- running ---------------------------------------------------------------------------------
    async def action_run(self) -> None:
        if self.running or not await self.replan():
            return
        if self.prerequisites:
            self.notify("fix the prerequisites listed on the left first", severity="error")
            return
        self.start(self.steps, confirm=not self.target.is_sandbox)

    def start(self, steps: list[Step], *, confirm: bool) -> None:
        """Run `steps` (after a confirmation on the host)."""
        def go(answer: bool | None = True) -> None:
            if answer:
                self._set_running(True)
                self.log_view.write(f"— running {len(steps)} steps {self.target.describe()} —")
                self._run(steps)

        if confirm:
            self.app.push_screen(ConfirmRunScreen(f"Run {len(steps)} steps {self.target.describe()}? They change "
                                                  "clusters and your kubeconfig."), go)
        else:
            go()

    @work(thread=True, exclusive=True, group="setup-run")
    def _run(self, steps: list[Step]) -> None:
        def emit(event: ev.Event) -> None:
            self.post_message(self.RunEvent(event))

        try:
            backend, _ = self._connect()
        except Exception as error:
            emit(ev.StepFailed(steps[0].id, steps[0].command, None, (), "see the target line above",
                               f"cannot reach the target: {error}"))
            emit(ev.RunFinished(False, steps[0].id, False))
            return
        self.runner = SetupRunner(steps, backend, emit, poll_interval=self.target.poll_interval,
                                  retry_delay=2 * self.target.poll_interval,
                                  read_only=bool(getattr(self.app, "read_only", False)))
        self.runner.run()

    def on_setup_run_screen_run_event(self, message: RunEvent) -> None:
        event = message.event
        self.step_list.apply(event)
        if not isinstance(event, ev.StepProgress) and (line := ev.text(event)) is not None:
            self.log_view.write(line)
        if isinstance(event, ev.RunFinished):
            self._set_running(False)
            if event.ok:
                self.notify("setup steps complete")
            elif not event.cancelled:
                self.notify(f"stopped at {event.failed_step}: fix it, then run again to resume there",
                            severity="error", timeout=10)

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.query_one("#setup-run", Button).disabled = running
        self.query_one("#setup-stop", Button).disabled = not running

    def action_stop(self) -> None:
        if self.running and self.runner is not None:
            self.runner.cancel()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "setup-run":
            await self.action_run()
        elif event.button.id == "setup-stop":
            self.action_stop()

    # -- sharing the commands --------------------------------------------------------------------
    def action_copy_command(self) -> None:
        states = self.step_list.states
        step = self.step_list.focused_step or next((s for s in self.steps if states.get(s.id) == "failed"),
                                                   self.steps[0] if self.steps else None)
        if step is not None:
            self.app.copy_to_clipboard(step.command)
            self.notify(f"copied: {step.command}")

    def action_export(self) -> None:
        folder = locations.data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"setup-{self.PHASE}.sh"
        path.write_text(render(self.steps, self.options))
        path.chmod(0o755)
        self.notify(f"script written to {path}")
