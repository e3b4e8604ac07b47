"""Step 3 — workloads: the WDS objects (and how many WECs each is bound to), a YAML editor with
templates, files and drafts, lint as you type, an all-or-nothing Apply, the selected object's
update / delete / redeploy, and a folder kept in sync with the WDS.

Nothing typed is lost: the editor keeps a draft until its text is applied, and replacing unapplied
text (a template, a file, an object to update) asks first. Every hub read and write runs in a
thread worker; results come back as messages."""

from __future__ import annotations

import threading
from pathlib import Path

from textual import work
from textual.app import ComposeResult, UnknownModeError
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Footer, Header, Input, RichLog, Select, Static

from kstellar_tui.core.apply import ApplyResult
from kstellar_tui.core.atomicfile import atomic_write
from kstellar_tui.core.fleet.lint import LintReport, lint
from kstellar_tui.core.fleet.placement import ObjectRef
from kstellar_tui.core.hub_session import HubSession, Pending, identity, target
from kstellar_tui.core.manifests import TEMPLATES, load_text
from kstellar_tui.core.sync import DirectorySync, SyncEvent
from kstellar_tui.screens.choice import ChoiceScreen
from kstellar_tui.screens.confirm import ConfirmDeleteScreen
from kstellar_tui.screens.hub_screen import HubScreen
from kstellar_tui.widgets.findings import FindingList
from kstellar_tui.widgets.yaml_editor import YamlEditor

DRAFT_NAME = "workloads editor"
LINT_DELAY = 0.3  # seconds without typing before the text is linted
CRD_PREFIX = "crd:"
LOG_LINES = 2000
EMPTY = "empty: pick a template (ctrl+t), open a file or type YAML"
MUTATIONS = frozenset({"apply", "delete_object", "redeploy_object", "toggle_sync"})


class WorkloadTable(DataTable):
    """The WDS objects; its keys act on the highlighted one (shown only while the table has focus)."""

    BINDINGS = [
        Binding("e", "screen.edit_object", "Update", id="workloads.update",
                tooltip="Open the highlighted object in the editor (apply to update it)"),
        Binding("d,delete", "screen.delete_object", "Delete", id="workloads.delete",
                tooltip="Delete the highlighted object from the WDS (asks first)"),
        Binding("r", "screen.redeploy_object", "Redeploy", id="workloads.redeploy",
                tooltip="Delete the highlighted object and create it again from the same spec (asks first)"),
    ]


class WorkloadsScreen(HubScreen):
    """The `workloads` mode (`:workloads`)."""

    DEFAULT_CSS = """
    WorkloadsScreen {
        & #wl-body { height: 1fr; }
        & #wl-left { width: 64; padding: 0 1; border-right: vkey $panel; }
        & #wl-objects { height: 1fr; }
        & #wl-log { height: 14; border-top: hkey $panel; }
        & #wl-right { width: 1fr; padding: 0 1; }
        & #wl-tools { height: 1; margin-bottom: 1; }
        & #wl-template { width: 36; }
        & #wl-path { width: 1fr; }
        & #wl-tools Button { margin-left: 1; min-width: 8; }
        & #wl-editor { height: 1fr; }
        & #wl-actions { height: 1; margin-top: 1; }
        & #wl-actions Button { margin-right: 2; }
        & #wl-sync-state { width: 1fr; color: $text-muted; }
    }
    """

    BINDINGS = [
        Binding("ctrl+r", "apply", "Apply", id="workloads.apply",
                tooltip="Validate every document, then apply them all (or none)"),
        Binding("ctrl+t", "templates", "Templates", id="workloads.templates", tooltip="Start from a template"),
        Binding("ctrl+o", "open_file", "Open", id="workloads.open", tooltip="Open the file named in the path box"),
        Binding("f2", "save_file", "Save", id="workloads.save", tooltip="Save the editor to the path in the path box"),
        Binding("ctrl+f", "toggle_sync", "Sync folder", id="workloads.sync",
                tooltip="Keep the WDS in step with the folder in the path box (again to stop)"),
        Binding("ctrl+n", "policies", "BindingPolicy", id="workloads.policies",
                tooltip="Build a BindingPolicy for these objects (previewed with the editor's text)"),
    ]

    class Linted(Message):
        """Lint of the editor's text, parsed as `pending` (so the UI thread need not parse it)."""

        def __init__(self, report: LintReport, pending: Pending, generation: int) -> None:
            super().__init__()
            self.report, self.pending, self.generation = report, pending, generation

    class Applied(Message):
        def __init__(self, text: str, result: ApplyResult | None, problem: str = "", one_by_one: bool = False) -> None:
            super().__init__()
            self.text, self.result, self.problem, self.one_by_one = text, result, problem, one_by_one

    class Loaded(Message):
        """Text to put in the editor (a template, a file, an object to update); `origin` says which,
        `kept` that it is kept elsewhere (the file, the WDS), so it needs no draft until edited."""

        def __init__(self, text: str, origin: str, *, kept: bool) -> None:
            super().__init__()
            self.text, self.origin, self.kept = text, origin, kept

    class Report(Message):
        """Lines for the activity log after a write (delete, redeploy, save); the hub is read again."""

        def __init__(self, lines: list[str], severity: str = "information") -> None:
            super().__init__()
            self.lines, self.severity = lines, severity

    class Synced(Message):
        def __init__(self, event: SyncEvent) -> None:
            super().__init__()
            self.event = event

    class SyncState(Message):
        def __init__(self, text: str, running: bool) -> None:
            super().__init__()
            self.text, self.running = text, running

    def __init__(self, session: HubSession) -> None:
        super().__init__(session)
        self.clean_text = ""
        """The editor text as it was last applied or opened: replacing anything else asks first."""
        self.applied_text = ""
        """The editor text as it was last applied: anything else is previewed by the policy builder."""
        self._lint_generation = 0
        self._lint_timer = None
        self._sync_stop: threading.Event | None = None
        self._refs: dict[str, ObjectRef] = {}

    # -- layout ------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="wl-body"):
            with Vertical(id="wl-left"):
                yield Static("Step 3 — workloads", classes="step-heading")
                yield Static("", id="hub-target", markup=False)
                yield Static("WDS objects (e update · d delete · r redeploy)", classes="section")
                yield WorkloadTable(id="wl-objects", cursor_type="row", zebra_stripes=True)
                yield RichLog(id="wl-log", max_lines=LOG_LINES, wrap=True, markup=False)
            with Vertical(id="wl-right"):
                with Horizontal(id="wl-tools"):
                    yield Select([], prompt="Template…", id="wl-template", compact=True)
                    yield Input(placeholder="path: a file to open or save, a folder to sync", id="wl-path",
                                compact=True)
                    yield Button("Open", id="wl-open", compact=True)
                    yield Button("Save", id="wl-save", compact=True)
                    yield Button("Sync folder", id="wl-sync", compact=True)
                yield YamlEditor(DRAFT_NAME, self.session.drafts, id="wl-editor")
                yield FindingList(id="wl-lint")
                with Horizontal(id="wl-actions"):
                    yield Button("Apply", variant="primary", id="wl-apply", compact=True)
                    yield Button("BindingPolicy →", id="wl-policies", compact=True)
                    yield Static("", id="wl-sync-state", markup=False)
        yield Footer()

    @property
    def editor(self) -> YamlEditor:
        return self.query_one("#wl-editor", YamlEditor)

    @property
    def table(self) -> WorkloadTable:
        return self.query_one(WorkloadTable)

    @property
    def log_view(self) -> RichLog:
        return self.query_one("#wl-log", RichLog)

    def on_mount(self) -> None:
        self.table.add_columns("Kind", "Namespace", "Name", "WECs")
        self._set_templates([])
        for button in ("#wl-apply", "#wl-sync"):
            self.query_one(button, Button).display = not self.read_only
        self.query_one(FindingList).show_problem(EMPTY)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in MUTATIONS and self.read_only)

    # -- the hub -----------------------------------------------------------------------------------
    def hub_changed(self) -> None:
        assert self.snapshot is not None
        table = self.table
        highlighted = self._highlighted_key()
        table.clear()
        self._refs = {}
        for ref in self.snapshot.workloads:
            key = "/".join(identity(ref))
            self._refs[key] = ref
            wecs = self.snapshot.bound.get(identity(ref), frozenset())
            table.add_row(ref.kind, ref.namespace or "—", ref.name, str(len(wecs)) if wecs else "—", key=key)
        if highlighted in self._refs:
            table.move_cursor(row=table.get_row_index(highlighted))
        self._set_templates(self.snapshot.crds)
        self._schedule_lint()

    def _set_templates(self, crds: list[str]) -> None:
        options = [(t.title, t.name) for t in TEMPLATES.values()]
        options += [(f"instance of {name}", CRD_PREFIX + name) for name in crds]
        select = self.query_one("#wl-template", Select)
        with self.prevent(Select.Changed):
            select.set_options(options)

    def on_screen_resume(self) -> None:
        if self.session.applied_text is not None and self.session.applied_text == self.editor.text:
            self._mark_applied(self.editor.text)  # the policy builder applied this text with its policy
        self.session.applied_text = None

    # -- editing -----------------------------------------------------------------------------------
    def on_text_area_changed(self, event: YamlEditor.Changed) -> None:
        self._schedule_lint()

    def _schedule_lint(self) -> None:
        if self._lint_timer is not None:
            self._lint_timer.stop()
        self._lint_timer = self.set_timer(LINT_DELAY, self._lint_now)

    def _lint_now(self) -> None:
        text = self.editor.text
        self._lint_generation += 1
        if text.strip():
            self._lint(text, self._lint_generation)
        else:
            self.session.pending = Pending()
            self.query_one(FindingList).show_problem(EMPTY)

    @work(thread=True, exclusive=True, group="workloads-lint")
    def _lint(self, text: str, generation: int) -> None:
        pending = Pending.of(text)
        facts = self.snapshot.facts if self.snapshot is not None else None
        report = lint(pending.documents, facts)
        if facts is None:
            report.notes.append("the hub is not read yet: cluster rules skipped")
        self.post_message(self.Linted(report, pending, generation))

    def on_workloads_screen_linted(self, message: Linted) -> None:
        if message.generation != self._lint_generation:
            return
        self._share(message.pending)
        count = len(message.pending.documents)
        self.query_one(FindingList).show_report(message.report, f"{count} document{'s' * (count != 1)}")

    def _share(self, pending: Pending) -> None:
        """Let the policy builder preview the editor's documents, unless they are what was applied."""
        self.session.pending = pending if pending.text != self.applied_text else Pending()

    def on_finding_list_jump(self, message: FindingList.Jump) -> None:
        self.editor.go_to_line(message.line)

    def on_yaml_editor_draft_found(self, message: YamlEditor.DraftFound) -> None:
        lines = message.text.count("\n") + 1

        def answered(answer: str | None) -> None:
            if answer == "discard":
                self.editor.discard_draft()
            else:
                self._put_text(message.text, "restored draft", replace=not self.editor.text.strip())

        self.app.push_screen(ChoiceScreen(
            f"You have {lines} lines of YAML from an earlier visit that were never applied. Restore them?",
            [("restore", "Restore", "primary"), ("discard", "Discard", "error")], on_escape="restore",
            detail=_preview(message.text)), answered)

    def on_workloads_screen_loaded(self, message: Loaded) -> None:
        """Put loaded text in the editor; unapplied text there is never replaced without asking."""
        text = self.editor.text
        if not text.strip() or text == self.clean_text:
            self._put_text(message.text, message.origin, replace=True, clean=message.kept)
            return

        def answered(answer: str | None) -> None:
            if answer in ("replace", "append"):
                self._put_text(message.text, message.origin, replace=answer == "replace", clean=message.kept)

        self.app.push_screen(ChoiceScreen(
            f"The editor holds YAML that is not applied. Replace it with {message.origin}, or add it as "
            "more documents?", [("append", "Add", "primary"), ("replace", "Replace", "warning"),
                                ("cancel", "Cancel", "default")], on_escape="cancel"), answered)

    def _put_text(self, text: str, origin: str, *, replace: bool, clean: bool = False) -> None:
        """`clean`: the text is kept elsewhere (a file, the WDS), so it is no draft until edited."""
        editor = self.editor
        if not replace:
            editor.load_text(editor.text.rstrip("\n") + "\n---\n" + text)
        elif clean:
            editor.load_generated(text)
            self.clean_text = text
        else:
            editor.load_text(text)
        self.log_view.write(f"editor: {origin}")
        editor.focus()

    # -- templates, files --------------------------------------------------------------------------
    def action_templates(self) -> None:
        select = self.query_one("#wl-template", Select)
        select.focus()
        select.action_show_overlay()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "wl-template" or event.value is Select.NULL:
            return
        name = str(event.value)
        with self.prevent(Select.Changed):
            event.select.clear()
        if name.startswith(CRD_PREFIX):
            self._load_crd_template(name.removeprefix(CRD_PREFIX))
        else:
            self.post_message(self.Loaded(TEMPLATES[name].text, f"the {name} template", kept=False))

    @work(thread=True, group="workloads-load")
    def _load_crd_template(self, crd: str) -> None:
        try:
            template = self.session.crd_template(crd)
        except Exception as exc:  # the CRD went away or the WDS did not answer
            self.post_message(self.Report([f"cannot read CRD {crd}: {exc}"], "error"))
            return
        self.post_message(self.Loaded(template.text, f"an instance of {crd}", kept=False))

    def _path(self) -> Path | None:
        raw = self.query_one("#wl-path", Input).value.strip()
        if not raw:
            self.notify("type a path in the path box first", severity="warning")
            self.query_one("#wl-path", Input).focus()
            return None
        return Path(raw).expanduser()

    def action_open_file(self) -> None:
        if (path := self._path()) is not None:
            self._open(path)

    @work(thread=True, group="workloads-load")
    def _open(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.post_message(self.Report([f"cannot open {path}: {getattr(exc, 'strerror', None) or exc}"], "error"))
            return
        self.post_message(self.Loaded(text, str(path), kept=True))

    def action_save_file(self) -> None:
        if (path := self._path()) is not None:
            self._save(path, self.editor.text)

    @work(thread=True, group="workloads-save")
    def _save(self, path: Path, text: str) -> None:
        if path.is_dir():
            self.post_message(self.Report([f"{path} is a folder: name a file to save to"], "error"))
            return
        try:
            atomic_write(path, text, mode=0o644)
        except OSError as exc:
            self.post_message(self.Report([f"cannot save {path}: {exc.strerror or exc}"], "error"))
            return
        self.post_message(self.Report([f"saved {path}"]))

    # -- apply -------------------------------------------------------------------------------------
    def action_apply(self) -> None:
        text = self.editor.text
        if not text.strip():
            self.notify("nothing to apply: the editor is empty", severity="warning")
            return
        self._apply(text, one_by_one=False)

    @work(thread=True, exclusive=True, group="workloads-apply")
    def _apply(self, text: str, *, one_by_one: bool) -> None:
        documents = load_text(text, "editor")
        broken = [d for d in documents if d.error]
        if broken:
            self.post_message(self.Applied(text, None, "; ".join(f"line {d.source.line}: {d.error}" for d in broken)))
            return
        try:
            result = self.session.applier.apply(documents, continue_on_error=one_by_one)
        except Exception as exc:  # read-only, unreachable, refused: nothing was written
            self.post_message(self.Applied(text, None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Applied(text, result, one_by_one=one_by_one))

    def on_workloads_screen_applied(self, message: Applied) -> None:
        log = self.log_view
        result = message.result
        if result is None:
            log.write(f"not applied: {message.problem}")
            self.notify(f"nothing applied: {message.problem}", severity="error", timeout=10)
            return
        self.query_one(FindingList).show_report(result.report, "apply")
        for outcome in result.outcomes:
            log.write(str(outcome))
        self.refresh_hub()
        if result.ok:
            self._mark_applied(message.text)
            self.notify(f"applied: {len(result.written)} object(s) created or configured")
        elif message.one_by_one:
            self.notify("some documents failed; the rest were applied (see the log)", severity="warning", timeout=10)
        else:
            self._offer_one_by_one(message.text, result)

    def _offer_one_by_one(self, text: str, result: ApplyResult) -> None:
        problems = [str(f) for f in result.report.errors] + [str(o) for o in result.outcomes if o.failed]

        def answered(answer: str | None) -> None:
            if answer == "continue":
                self._apply(text, one_by_one=True)

        self.app.push_screen(ChoiceScreen(
            "Nothing was applied: some documents fail. Apply the others one by one?",
            [("continue", "Continue one by one", "warning"), ("cancel", "Cancel", "primary")],
            on_escape="cancel", detail="\n".join(problems[:12])), answered)

    def _mark_applied(self, text: str) -> None:
        self.clean_text = self.applied_text = text
        self.session.pending = Pending()
        self.editor.discard_draft()

    # -- the highlighted object --------------------------------------------------------------------
    def _highlighted_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return key if key in self._refs else None

    def _highlighted(self) -> ObjectRef | None:
        key = self._highlighted_key()
        if key is None:
            self.notify("no object highlighted in the list", severity="warning")
            return None
        return self._refs[key]

    def action_edit_object(self) -> None:
        if (ref := self._highlighted()) is not None:
            self._read_object(ref)

    @work(thread=True, group="workloads-load")
    def _read_object(self, ref: ObjectRef) -> None:
        try:
            text = self.session.actions().get(target(ref), editable=True)["wds"]["yaml"]
        except Exception as exc:  # gone meanwhile, or the WDS did not answer
            self.post_message(self.Report([f"cannot read {target(ref).title}: {exc}"], "error"))
            return
        self.post_message(self.Loaded(text, target(ref).title, kept=True))

    def action_delete_object(self) -> None:
        if (ref := self._highlighted()) is None:
            return
        wecs = len(self.snapshot.bound.get(identity(ref), ())) if self.snapshot else 0
        consequence = f"It is removed from {self.session.wds}" + (
            f" and from the {wecs} WEC{'s' * (wecs != 1)} it is bound to." if wecs else ".")
        self.app.push_screen(ConfirmDeleteScreen(target(ref).title, ref.name, consequence=consequence),
                             lambda yes: self._write(ref, "delete") if yes else None)

    def action_redeploy_object(self) -> None:
        if (ref := self._highlighted()) is None:
            return
        self.app.push_screen(ChoiceScreen(
            f"Redeploy {target(ref).title}? It is deleted, and once gone created again from the same spec.",
            [("redeploy", "Redeploy", "warning"), ("cancel", "Cancel", "primary")], on_escape="cancel"),
            lambda answer: self._write(ref, "redeploy") if answer == "redeploy" else None)

    @work(thread=True, group="workloads-write")
    def _write(self, ref: ObjectRef, verb: str) -> None:
        actions = self.session.actions()
        try:
            lines = actions.delete(target(ref)) if verb == "delete" else actions.redeploy(target(ref))
        except Exception as exc:  # refused (read-only: ActionError), failed, or the WDS did not answer
            self.post_message(self.Report([f"{verb} {target(ref).title} failed: {exc}"], "error"))
            return
        self.post_message(self.Report(lines))

    def on_workloads_screen_report(self, message: Report) -> None:
        for line in message.lines:
            self.log_view.write(line)
        if message.severity == "error":
            self.notify(message.lines[0], severity="error", timeout=10)
        self.refresh_hub()

    # -- folder sync -------------------------------------------------------------------------------
    def action_toggle_sync(self) -> None:
        if self._sync_stop is not None:
            self._sync_stop.set()
            return
        path = self._path()
        if path is None:
            return
        if not path.exists():
            self.notify(f"{path} does not exist", severity="error")
            return
        self._sync_stop = threading.Event()
        self._sync(path, self._sync_stop)

    @work(thread=True, group="workloads-sync")
    def _sync(self, path: Path, stop: threading.Event) -> None:
        self.post_message(self.SyncState(f"syncing {path}…", True))
        try:
            sync = DirectorySync(path, self.session.applier, on_event=lambda e: self.post_message(self.Synced(e)))
            sync.sync_all()
            sync.watch(stop, ready=lambda: self.post_message(self.SyncState(f"watching {path}", True)))
        except Exception as exc:  # the folder vanished, or the WDS is unreachable
            self.post_message(self.SyncState(f"sync stopped: {exc}", False))
            return
        self.post_message(self.SyncState(f"stopped syncing {path}", False))

    def on_workloads_screen_synced(self, message: Synced) -> None:
        event = message.event
        self.log_view.write(f"sync: {event.kind} {event.path}" + (f": {event.message}" if event.message else ""))
        for outcome in event.outcomes:
            self.log_view.write(f"  {outcome}")
        for finding in event.findings:
            self.log_view.write(f"  {finding}")
        self.refresh_hub()

    def on_workloads_screen_sync_state(self, message: SyncState) -> None:
        self.query_one("#wl-sync-state", Static).update(message.text)
        self.query_one("#wl-sync", Button).label = "Stop sync" if message.running else "Sync folder"
        if not message.running:
            self._sync_stop = None
        self.log_view.write(message.text)

    def on_unmount(self) -> None:
        if self._sync_stop is not None:
            self._sync_stop.set()

    # -- buttons and navigation --------------------------------------------------------------------
    async def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"wl-open": self.action_open_file, "wl-save": self.action_save_file,
                   "wl-sync": self.action_toggle_sync, "wl-apply": self.action_apply}
        if event.button.id == "wl-policies":
            await self.action_policies()
        elif event.button.id in actions:
            actions[event.button.id]()

    async def action_policies(self) -> None:
        self._share(Pending.of(self.editor.text))  # the builder previews the editor's text as it is now
        try:
            await self.app.switch_mode("bindingpolicies")
        except UnknownModeError:
            self.notify("the BindingPolicy builder is not available in this build", severity="warning")


def _preview(text: str, lines: int = 8) -> str:
    shown = text.splitlines()
    return "\n".join(shown[:lines] + ([f"… ({len(shown) - lines} more lines)"] if len(shown) > lines else []))
