"""Step 2 — create and register WECs: new clusters or existing contexts, joined with a token that
is never shown, their CSRs accepted, and a live table of where each registration stands
(CSR, accepted, joined, available) with an editor for each WEC's labels."""

from __future__ import annotations

import re
import threading
from dataclasses import replace

from textual import work
from textual.app import ComposeResult, UnknownModeError
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Header, Input, Label, Static

from kstellar_tui.core.setup.options import OptionsError, SetupOptions, WecSpec, parse_labels
from kstellar_tui.core.setup.plan import WECS, label_step
from kstellar_tui.core.setup.registration import Registration, registrations
from kstellar_tui.screens.setup_run import SetupRunScreen
from kstellar_tui.setup_runners.target import SetupTarget
from kstellar_tui.widgets.footer import Footer

COLUMNS = ("WEC", "CSR", "accepted", "joined", "available", "labels")
DEFAULT_LABELS = "location-group=edge, name={name}"


def labels_text(labels: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels)


class SetupWecsScreen(SetupRunScreen):
    """Step 2; the registration table refreshes on its own while the screen is shown."""

    PHASE = WECS
    DEFAULT_CSS = """
    SetupWecsScreen {
        & #setup-registrations { height: auto; max-height: 12; }
        & #label-editor { height: 3; }
        & #label-editor Label { padding: 1 1 0 0; }
        & #label-editor Input { width: 1fr; }
    }
    """
    BINDINGS = [Binding("ctrl+l", "edit_labels", "Edit labels", id="setup.labels",
                        tooltip="Edit the labels of the WEC highlighted in the table"),
                Binding("ctrl+n", "next_step", "Step 3: workloads", id="setup.next",
                        tooltip="Write workloads and BindingPolicies for these WECs")]

    class Registrations(Message):
        """The latest registration rows; a newer one replaces an unprocessed older one."""

        def __init__(self, rows: list[Registration]) -> None:
            super().__init__()
            self.rows = rows

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, SetupWecsScreen.Registrations)

    def __init__(self, target: SetupTarget, options: SetupOptions | None = None) -> None:
        super().__init__(target, options)
        self.rows: list[Registration] = []
        self.editing: str | None = None
        self._stop_polling = threading.Event()

    def compose(self) -> ComposeResult:
        created = [w for w in self.options.wecs if not w.adopted]
        adopted = [w for w in self.options.wecs if w.adopted]
        yield Header()
        with Horizontal(id="setup-body"):
            with Vertical(id="setup-form"):
                yield Static("Step 2 — create and register WECs", classes="setup-heading")
                yield Static("", id="setup-target", markup=False)
                yield Label(f"New WECs (created with {self.options.platform})")
                yield Input(", ".join(w.name for w in created), id="setup-wecs", placeholder="cluster1, cluster2")
                yield Label("Existing contexts to adopt (name=context, …)")
                yield Input(", ".join(f"{w.name}={w.context}" for w in adopted), id="setup-adopt",
                            placeholder="edge7=prod-edge-7")
                yield Label("Labels of each WEC ({name} is its name)")
                yield Input(DEFAULT_LABELS, id="setup-labels")
                yield Static("", id="setup-problem", markup=False)
                yield from self.compose_buttons()
            with Vertical(id="setup-right"):
                yield DataTable(id="setup-registrations", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="label-editor"):
                    yield Label("labels:", id="label-editor-title")
                    yield Input(id="setup-edit-labels", placeholder="highlight a WEC above, edit, press Enter")
                yield from self.compose_steps()
        yield Footer()

    def read_form(self) -> SetupOptions:
        template = self.query_one("#setup-labels", Input).value

        def spec(name: str, context: str | None = None) -> WecSpec:
            return WecSpec(name, context=context, labels=parse_labels(template.replace("{name}", name)))

        wecs = [spec(n) for n in _names(self.query_one("#setup-wecs", Input).value)]
        for item in _names(self.query_one("#setup-adopt", Input).value):
            name, sep, context = item.partition("=")
            if not (sep and name and context):
                raise OptionsError(f"adopt {item!r}: expected name=context")
            wecs.append(spec(name, context))
        return replace(self.options, wecs=tuple(wecs)).validate()

    # -- live registration table -----------------------------------------------------------------
    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#setup-registrations", DataTable).add_columns(*COLUMNS)
        self.poll_registrations()

    def on_unmount(self) -> None:
        self._stop_polling.set()

    @work(thread=True, exclusive=True, group="setup-registrations")
    def poll_registrations(self) -> None:
        """Read the ITS every few poll intervals until the screen goes away."""
        while not self._stop_polling.is_set():
            try:
                backend, _ = self._connect()
                names = [w.name for w in self.options.wecs]
                self.post_message(self.Registrations(registrations(backend.probe, self.options.its, names)))
            except Exception:  # the ITS is not there yet (Step 1 not done) or not answering: try again
                pass
            self._stop_polling.wait(5 * self.target.poll_interval)

    def on_setup_wecs_screen_registrations(self, message: Registrations) -> None:
        if message.rows == self.rows:
            return
        self.rows = message.rows
        table = self.query_one("#setup-registrations", DataTable)
        cursor = table.cursor_row
        table.clear()
        for row in self.rows:
            table.add_row(row.name, row.csr, "yes" if row.accepted else "no", row.joined or "-",
                          row.available or "-", labels_text(row.labels), key=row.name)
        if self.rows:
            table.move_cursor(row=min(cursor, len(self.rows) - 1))
        self._show_labels()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = event.row_key.value if event.row_key is not None else None
        if name != self.editing:
            self.editing = name
            self._show_labels()

    def _show_labels(self) -> None:
        """Put the highlighted WEC's labels in the editor, unless the user is typing there."""
        editor = self.query_one("#setup-edit-labels", Input)
        row = next((r for r in self.rows if r.name == self.editing), None)
        if row is None or editor.has_focus:
            return
        self.query_one("#label-editor-title", Label).update(f"labels of {row.name}:")
        editor.value = labels_text(row.labels)

    async def action_next_step(self) -> None:
        try:
            await self.app.switch_mode("workloads")
        except UnknownModeError:
            self.notify("Step 3 needs a KubeStellar hub (wds and its contexts)", severity="warning")

    def action_edit_labels(self) -> None:
        self.query_one("#setup-edit-labels", Input).focus()

    # -- form events -------------------------------------------------------------------------------
    async def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "setup-edit-labels":
            await self.replan()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "setup-edit-labels" or self.editing is None:
            return
        event.stop()
        if self.running:
            self.notify("wait for the current run to finish", severity="warning")
            return
        try:
            labels = parse_labels(event.value)
        except OptionsError as error:
            self.notify(str(error), severity="error")
            return
        wec = next((w for w in self.options.wecs if w.name == self.editing), WecSpec(self.editing))
        self.start([label_step(self.options, replace(wec, labels=labels))], confirm=not self.target.is_sandbox)


def _names(text: str) -> list[str]:
    return [n for n in re.split(r"[,\s]+", text.strip()) if n]
