"""What the two Step 3 screens share: a `HubSession`, the latest hub snapshot read by a thread
worker (on mount, on return to the screen, after every change), and the look of the setup steps."""

from __future__ import annotations

from textual import work
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from kstellar_tui.core.hub_session import HubSession, HubSnapshot


class HubScreen(Screen):
    """Subclasses yield a `Static(id="hub-target")` and react to a new snapshot in `hub_changed()`.
    Textual runs the handlers of every class in the MRO, so subclasses' `on_mount` and
    `on_screen_resume` add to these (they run first) without calling super()."""

    DEFAULT_CSS = """
    HubScreen {
        & .step-heading { text-style: bold; color: $accent; }
        & #hub-target { color: $text-muted; margin-bottom: 1; }
        & .section { text-style: bold; margin-top: 1; }
        & .problem { color: $error; height: auto; }
        & .hint { color: $text-muted; }
        & Input.-textual-compact, & Select.-textual-compact { margin-bottom: 0; }
    }
    """

    class HubRead(Message):
        """A fresh snapshot; a newer one replaces an unprocessed older one."""

        def __init__(self, snapshot: HubSnapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, HubScreen.HubRead)

    class HubProblem(Message):
        def __init__(self, problem: str) -> None:
            super().__init__()
            self.problem = problem

    def __init__(self, session: HubSession) -> None:
        super().__init__()
        self.session = session
        self.snapshot: HubSnapshot | None = None

    @property
    def read_only(self) -> bool:
        return self.session.read_only or bool(getattr(self.app, "read_only", False))

    def on_mount(self) -> None:
        self._show_target("reading the hub…")
        self.refresh_hub()

    def on_screen_resume(self) -> None:
        if self.snapshot is not None:  # the first read is on its way from on_mount
            self.refresh_hub()

    @work(thread=True, exclusive=True, group="hub-read")
    def refresh_hub(self) -> None:
        try:
            self.post_message(self.HubRead(self.session.snapshot()))
        except Exception as exc:  # unreachable, refused, no such context…: say so, keep the screen usable
            self.post_message(self.HubProblem(f"{type(exc).__name__}: {exc}"))

    def on_hub_screen_hub_read(self, message: HubRead) -> None:
        self.snapshot = message.snapshot
        clusters = len(message.snapshot.facts.clusters)
        self._show_target(f"{clusters} WEC{'s' * (clusters != 1)} in the ITS")
        self.hub_changed()

    def on_hub_screen_hub_problem(self, message: HubProblem) -> None:
        self._show_target(f"cannot read the hub: {message.problem}")

    def _show_target(self, state: str) -> None:
        mode = " · read-only" if self.read_only else ""
        self.query_one("#hub-target", Static).update(
            f"WDS {self.session.wds} · ITS {self.session.its}{mode} · {state}")

    def hub_changed(self) -> None:
        """Called with `self.snapshot` fresh."""
