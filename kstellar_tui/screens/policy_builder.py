"""Step 3 — BindingPolicy builder: cluster selectors picked from the labels the ITS has, downsync
clauses, the YAML they make (editable both ways), lint, and a live preview of what the policy
would bind — clusters and objects, with the reason for each miss — before anything is applied.

The policy dict is the truth (`core.fleet.policy_form`): a form edit changes it and rewrites the
YAML; a YAML edit that parses replaces it and refills the form; one that does not parse is shown
and the last good policy stays. `preview()` is pure and runs on every change; lint (which may ask
a WEC for its namespaces) and Apply run in thread workers. The workload editor's unapplied
documents are previewed — and by default applied — with the policy (journey 1 step 4)."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult, UnknownModeError
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, DataTable, Footer, Header, Input, Label, Select, Static

from kstellar_tui.core.apply import ApplyResult
from kstellar_tui.core.fleet import policy_form as form
from kstellar_tui.core.fleet.lint import LintReport, is_policy, lint
from kstellar_tui.core.fleet.placement import ObjectRef
from kstellar_tui.core.fleet.preview import Inventory, Preview, preview
from kstellar_tui.core.hub_session import HubSession, Pending, is_system
from kstellar_tui.core.manifests import Document, load_text
from kstellar_tui.screens.choice import ChoiceScreen
from kstellar_tui.screens.hub_screen import HubScreen
from kstellar_tui.widgets.findings import FindingList
from kstellar_tui.widgets.yaml_editor import YamlEditor

DRAFT_NAME = "bindingpolicy editor"
LINT_DELAY = 0.3
NEW = "(new policy)"
FIELD_LABELS = {
    "objectSelectors": "objects labelled", "namespaces": "namespaces", "namespaceSelectors": "namespaces labelled",
    "resources": "resources", "apiGroup": "apiGroup", "objectNames": "objectNames",
    "statusCollectors": "statusCollectors",
}
FIELD_HINTS = {
    "objectSelectors": "app=web,tier in (a,b); other=x", "namespaceSelectors": "team=payments",
    "namespaces": "nginx, web", "resources": "deployments, services", "apiGroup": "apps (empty: core)",
    "objectNames": "nginx-deployment", "statusCollectors": "my-collector",
}


class TermTable(DataTable):
    """The cluster selector terms; `delete` removes the highlighted one."""

    BINDINGS = [Binding("delete,d", "screen.remove_term", "Remove term", id="bp.remove_term",
                        tooltip="Remove the highlighted cluster selector term")]


class PolicyBuilderScreen(HubScreen):
    """The `bindingpolicies` mode (`:bp [NAME]`)."""

    DEFAULT_CSS = """
    PolicyBuilderScreen {
        & #bp-body { height: 1fr; }
        & #bp-form { width: 60; padding: 0 1; border-right: vkey $panel; }
        & #bp-form Horizontal { height: 1; margin-bottom: 1; }
        & #bp-form Label { width: 20; color: $text-muted; }
        & #bp-form Input, & #bp-form Select { width: 1fr; }
        & #bp-form Button { margin-right: 1; min-width: 6; }
        & #bp-terms { height: auto; max-height: 8; margin-bottom: 1; }
        & #bp-op { width: 16; }
        & #bp-yaml { width: 1fr; padding: 0 1; }
        & #bp-editor { height: 1fr; }
        & #bp-yaml-problem { color: $error; height: auto; }
        & #bp-preview { width: 50; padding: 0 1; border-left: vkey $panel; }
        & #bp-summary { text-style: bold; color: $accent; margin-bottom: 1; }
    }
    """

    BINDINGS = [
        Binding("ctrl+r", "apply", "Apply", id="bp.apply",
                tooltip="Validate and apply the policy (with the workload editor's documents when ticked)"),
        Binding("ctrl+l", "workloads", "Workloads", id="bp.workloads", tooltip="Back to the workload editor"),
        Binding("ctrl+n", "grid", "Live grid", id="bp.grid", tooltip="Watch what the policy delivers"),
    ]

    class Linted(Message):
        def __init__(self, report: LintReport, generation: int) -> None:
            super().__init__()
            self.report, self.generation = report, generation

    class Applied(Message):
        def __init__(self, result: ApplyResult | None, problem: str = "", editor_text: str | None = None) -> None:
            super().__init__()
            self.result, self.problem, self.editor_text = result, problem, editor_text

    def __init__(self, session: HubSession) -> None:
        super().__init__(session)
        self.policy: dict = form.starter_policy(session.pending.documents)
        self._starter = self.policy
        self.clause = 0
        self.result: Preview | None = None
        self._wanted: str | None = None  # a policy asked for (`:bp NAME`) before the hub was read
        self._inventory: Inventory | None = None
        self._lint_generation = 0
        self._lint_timer = None

    # -- layout ------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="bp-body"):
            with VerticalScroll(id="bp-form"):
                yield Static("Step 3 — BindingPolicy", classes="step-heading")
                yield Static("", id="hub-target", markup=False)
                with Horizontal():
                    yield Label("policy")
                    yield Select([(NEW, NEW)], value=NEW, allow_blank=False, id="bp-existing", compact=True)
                with Horizontal():
                    yield Label("name")
                    yield Input(id="bp-name", compact=True)
                yield Static("Where — clusters with these labels (ITS)", classes="section")
                yield Static("none yet: pick a label key and value below, then Add", id="bp-terms-hint",
                             classes="hint")
                yield TermTable(id="bp-terms", cursor_type="row", show_header=False)
                with Horizontal():
                    yield Select([], prompt="label key", id="bp-key", compact=True)
                    yield Select([(op, op) for op in form.OPERATORS], value="In", allow_blank=False, id="bp-op",
                                 compact=True)
                    yield Select([], prompt="value", id="bp-value", compact=True)
                with Horizontal():
                    yield Button("Add (and)", id="bp-add", compact=True)
                    yield Button("Add as alternative (or)", id="bp-or", compact=True)
                    yield Button("Remove", id="bp-remove", compact=True)
                yield Static("What — downsync clauses", classes="section")
                with Horizontal():
                    yield Select([], prompt="no clause", id="bp-clause", compact=True)
                    yield Button("+ clause", id="bp-add-clause", compact=True)
                    yield Button("− clause", id="bp-remove-clause", compact=True)
                for field in FIELD_LABELS:
                    with Horizontal():
                        yield Label(FIELD_LABELS[field])
                        yield Input(placeholder=FIELD_HINTS[field], id=f"bp-f-{field}", compact=True)
                for field in form.FLAG_FIELDS:
                    yield Checkbox(field, id=f"bp-f-{field}", compact=True)
                yield Checkbox("with the workload editor's documents", value=True, id="bp-with-editor", compact=True)
                yield Static("", id="bp-problem", classes="problem", markup=False)
                with Horizontal():
                    yield Button("Apply", variant="primary", id="bp-apply", compact=True)
                    yield Button("← Workloads", id="bp-workloads", compact=True)
                    yield Button("Live grid →", id="bp-grid", compact=True)
            with Vertical(id="bp-yaml"):
                yield Static("YAML (edit here or in the form)", classes="section")
                yield Static("", id="bp-yaml-problem", markup=False)
                yield YamlEditor(DRAFT_NAME, self.session.drafts, id="bp-editor")
                yield FindingList(id="bp-lint")
            with VerticalScroll(id="bp-preview"):
                yield Static("", id="bp-summary", markup=False)
                yield Static("", id="bp-matches")
        yield Footer()

    @property
    def editor(self) -> YamlEditor:
        return self.query_one("#bp-editor", YamlEditor)

    def on_mount(self) -> None:
        self.query_one("#bp-terms", TermTable).add_columns("selector", "term")
        self.query_one("#bp-apply", Button).display = not self.read_only
        self._set_policy(self.policy, rewrite=True, generated=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "apply" and self.read_only)

    # -- the hub -----------------------------------------------------------------------------------
    def hub_changed(self) -> None:
        assert self.snapshot is not None
        names = sorted(self.snapshot.facts.policies)
        existing = self.query_one("#bp-existing", Select)
        with self.prevent(Select.Changed):
            existing.set_options([(NEW, NEW)] + [(n, n) for n in names])
            existing.value = form.policy_name(self.policy) if form.policy_name(self.policy) in names else NEW
            keys = self.query_one("#bp-key", Select)
            chosen = keys.value
            choices = form.label_choices(self.snapshot.facts.clusters)
            keys.set_options([(k, k) for k in choices])
            if chosen in choices:
                keys.value = chosen
        self._rebuild_inventory()
        if self._wanted is not None:
            self.show_policy(self._wanted)

    def on_screen_resume(self) -> None:
        if self.policy == self._starter:  # untouched: start from the editor's documents as they are now
            self._starter = form.starter_policy(self.session.pending.documents)
            self._set_policy(self._starter, rewrite=True, generated=True)
        self._rebuild_inventory()

    def _unapplied(self) -> list[Document]:
        """The workload editor's objects that are not applied yet (its policies are its own business)."""
        return [d for d in self.session.pending.documents if d.obj is not None and not is_policy(d)]

    def _editor_documents(self) -> list[Document]:
        """The unapplied objects when the user keeps them with the policy (the default)."""
        return self._unapplied() if self.query_one("#bp-with-editor", Checkbox).value else []

    def _rebuild_inventory(self) -> None:
        """The WDS plus the workload editor's documents; the preview matches against this."""
        count = len(self._unapplied())
        self.query_one("#bp-with-editor", Checkbox).label = (
            f"with the workload editor's {count} unapplied document{'s' * (count != 1)}")
        if self.snapshot is not None:
            self._inventory = self.snapshot.inventory.with_documents(self._editor_documents(),
                                                                     self.snapshot.facts.kinds)
        self._show_preview()

    def show_policy(self, name: str) -> None:
        """Load the WDS's BindingPolicy `name` (`:bp NAME`); a new one with that name if there is none."""
        if self.snapshot is None:
            self._wanted = name
            return
        self._wanted = None
        live = self.snapshot.facts.policies.get(name)
        if live is None:
            self.notify(f"no BindingPolicy {name} in {self.session.wds}: starting a new one with that name")
            self._set_policy(form.starter_policy(self.session.pending.documents, name), rewrite=True, generated=True)
        else:
            self._set_policy(form.editable_policy(live), rewrite=True, generated=True)

    # -- the policy, the YAML and the form -----------------------------------------------------------
    def _set_policy(self, policy: dict, *, rewrite: bool, generated: bool = False) -> None:
        """Make `policy` the truth; `rewrite` puts its YAML in the editor (a form edit, a load), as a
        draft unless it is `generated` (a starter, a policy as the WDS has it)."""
        self.policy = policy
        self.query_one("#bp-yaml-problem", Static).update("")
        text = form.policy_yaml(policy)
        if rewrite and text != self.editor.text:
            (self.editor.load_generated if generated else self.editor.load_text)(text)
        self._fill_form()
        self._show_preview()
        self._schedule_lint()

    def _edit(self, change: Callable[[dict], dict]) -> None:
        """Apply a form edit (a function of the policy); a FormError is shown and changes nothing."""
        problem = self.query_one("#bp-problem", Static)
        try:
            updated = change(self.policy)
        except form.FormError as exc:
            problem.update(str(exc))
            return
        problem.update("")
        if updated != self.policy:
            self._set_policy(updated, rewrite=True)

    def on_text_area_changed(self, event: YamlEditor.Changed) -> None:
        documents = load_text(self.editor.text, "policy")
        shown = self.query_one("#bp-yaml-problem", Static)
        broken = next((d for d in documents if d.error), None)
        if broken is not None:
            shown.update(f"line {broken.source.line}: {broken.error} — the form keeps the last good policy")
        elif len(documents) != 1 or documents[0].kind != "BindingPolicy":
            shown.update("the YAML must be one BindingPolicy — the form keeps the last good policy")
        elif documents[0].obj != self.policy:
            self._set_policy(documents[0].obj, rewrite=False)
        else:
            shown.update("")

    def _fill_form(self) -> None:
        policy = self.policy
        clauses = form.clauses(policy)
        self.clause = min(self.clause, max(len(clauses) - 1, 0))
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            self._set_input("#bp-name", form.policy_name(policy))
            table = self.query_one("#bp-terms", TermTable)
            table.clear()
            terms = form.cluster_terms(policy)
            for index, term in enumerate(terms):
                table.add_row(f"#{term.selector + 1}", str(term), key=str(index))
            self.query_one("#bp-terms-hint", Static).display = not terms
            clause_select = self.query_one("#bp-clause", Select)
            clause_select.set_options([(f"clause {i + 1}", i) for i in range(len(clauses))])
            if clauses:
                clause_select.value = self.clause
            clause = clauses[self.clause] if clauses else {}
            for field in FIELD_LABELS:
                self._set_input(f"#bp-f-{field}", form.clause_text(clause, field))
                self.query_one(f"#bp-f-{field}", Input).disabled = not clauses
            for field in form.FLAG_FIELDS:
                box = self.query_one(f"#bp-f-{field}", Checkbox)
                box.value, box.disabled = bool(clause.get(field)), not clauses

    def _set_input(self, selector: str, value: str) -> None:
        box = self.query_one(selector, Input)
        if box.value != value and not box.has_focus:  # never fight the user's typing
            box.value = value

    def on_input_changed(self, event: Input.Changed) -> None:
        box = event.input
        if box.id == "bp-name":
            self._edit(lambda p: form.set_name(p, box.value))
        elif box.id and box.id.startswith("bp-f-"):
            field = box.id.removeprefix("bp-f-")
            self._edit(lambda p: form.set_clause_field(p, self.clause, field, box.value))

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        box = event.checkbox
        if box.id == "bp-with-editor":
            self._rebuild_inventory()
            self._schedule_lint()
        elif box.id and box.id.startswith("bp-f-"):
            field = box.id.removeprefix("bp-f-")
            self._edit(lambda p: form.set_clause_field(p, self.clause, field, box.value))

    def on_select_changed(self, event: Select.Changed) -> None:
        select = event.select
        if select.id == "bp-key":
            self._offer_values()
        elif select.id == "bp-op":
            self.query_one("#bp-value", Select).disabled = select.value in ("Exists", "DoesNotExist")
        elif select.id == "bp-clause" and select.value is not Select.NULL:
            self.clause = int(select.value)  # type: ignore[arg-type]
            self._fill_form()
        elif select.id == "bp-existing":
            if select.value == NEW:
                self._set_policy(form.starter_policy(self.session.pending.documents), rewrite=True, generated=True)
            else:
                self.show_policy(str(select.value))

    def _offer_values(self) -> None:
        key = self.query_one("#bp-key", Select).value
        values = form.label_choices(self.snapshot.facts.clusters).get(str(key), []) if self.snapshot else []
        chosen = self.query_one("#bp-value", Select)
        chosen.set_options([(v, v) for v in values])
        if len(values) == 1:
            chosen.value = values[0]

    # -- cluster selector terms ----------------------------------------------------------------------
    def _add_term(self, *, alternative: bool) -> None:
        key = self.query_one("#bp-key", Select).value
        operator = str(self.query_one("#bp-op", Select).value)
        value = self.query_one("#bp-value", Select).value
        key_text = "" if key is Select.NULL else str(key)
        value_text = "" if value is Select.NULL or operator in ("Exists", "DoesNotExist") else str(value)
        terms = form.cluster_terms(self.policy)
        highlighted = self._highlighted_term()
        selector = None if alternative or not terms else (highlighted or terms[-1]).selector
        self._edit(lambda p: form.add_term(p, key_text, operator, value_text, selector=selector))

    def _highlighted_term(self) -> form.Term | None:
        table = self.query_one("#bp-terms", TermTable)
        terms = form.cluster_terms(self.policy)
        return terms[table.cursor_row] if table.row_count and 0 <= table.cursor_row < len(terms) else None

    def action_remove_term(self) -> None:
        term = self._highlighted_term()
        if term is None:
            self.notify("no term highlighted", severity="warning")
            return
        self._edit(lambda p: form.remove_term(p, term))

    # -- preview and lint ----------------------------------------------------------------------------
    def _show_preview(self) -> None:
        summary = self.query_one("#bp-summary", Static)
        matches = self.query_one("#bp-matches", Static)
        if self._inventory is None:
            summary.update("preview: reading the hub…")
            return
        result = self.result = preview(self.policy, self._inventory)
        summary.update(f"{form.policy_name(self.policy) or '(no name)'} would bind {result.summary}")
        matches.update(preview_content(result))

    def _schedule_lint(self) -> None:
        if self._lint_timer is not None:
            self._lint_timer.stop()
        self._lint_timer = self.set_timer(LINT_DELAY, self._lint_now)

    def _lint_now(self) -> None:
        self._lint_generation += 1
        self._lint(self._documents(), self._lint_generation)

    def _documents(self) -> list[Document]:
        """What Apply sends: the editor's documents (when ticked), then the policy with its YAML lines."""
        policy = load_text(self.editor.text, "policy")
        if any(d.error for d in policy) or len(policy) != 1 or policy[0].obj != self.policy:
            policy = load_text(form.policy_yaml(self.policy), "policy")
        return [*self._editor_documents(), *policy]

    @work(thread=True, exclusive=True, group="bp-lint")
    def _lint(self, documents: list[Document], generation: int) -> None:
        facts = self.snapshot.facts if self.snapshot is not None else None
        self.post_message(self.Linted(lint(documents, facts), generation))

    def on_policy_builder_screen_linted(self, message: Linted) -> None:
        if message.generation == self._lint_generation:
            self.query_one("#bp-lint", FindingList).show_report(message.report, "lint")

    def on_finding_list_jump(self, message: FindingList.Jump) -> None:
        self.editor.go_to_line(message.line)

    # -- drafts --------------------------------------------------------------------------------------
    def on_yaml_editor_draft_found(self, message: YamlEditor.DraftFound) -> None:
        if message.text == self.editor.text:
            return

        def answered(answer: str | None) -> None:
            if answer == "discard":
                self.editor.discard_draft()
            else:
                self.editor.load_text(message.text)

        self.app.push_screen(ChoiceScreen(
            "You have a BindingPolicy from an earlier visit that was never applied. Restore it?",
            [("restore", "Restore", "primary"), ("discard", "Discard", "error")], on_escape="restore",
            detail=message.text), answered)

    # -- apply and navigation ------------------------------------------------------------------------
    def action_apply(self) -> None:
        problem = str(self.query_one("#bp-yaml-problem", Static).content)
        if problem:
            self.notify(f"nothing applied: {problem}", severity="error", timeout=10)
            return
        with_editor = bool(self._editor_documents())
        self._apply(self._documents(), self.session.pending.text if with_editor else None)

    @work(thread=True, exclusive=True, group="bp-apply")
    def _apply(self, documents: list[Document], editor_text: str | None) -> None:
        try:
            result = self.session.applier.apply(documents)
        except Exception as exc:  # read-only, unreachable, refused: nothing was written
            self.post_message(self.Applied(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Applied(result, editor_text=editor_text))

    def on_policy_builder_screen_applied(self, message: Applied) -> None:
        result = message.result
        if result is None:
            self.notify(f"nothing applied: {message.problem}", severity="error", timeout=10)
            return
        self.query_one("#bp-lint", FindingList).show_report(result.report, "apply")
        if not result.ok:
            failed = [str(o) for o in result.outcomes if o.failed] or [str(f) for f in result.report.errors]
            self.notify("nothing applied: " + "; ".join(failed[:3]), severity="error", timeout=15)
            return
        self.notify("applied: " + ", ".join(f"{o.subject} {o.action}" for o in result.outcomes), timeout=10)
        self.editor.discard_draft()
        self._starter = {}  # applied: a return to this screen keeps showing it
        if message.editor_text is not None:
            self.session.applied_text = message.editor_text
            self.session.pending = Pending()
        self.refresh_hub()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        handlers = {"bp-add": lambda: self._add_term(alternative=False),
                    "bp-or": lambda: self._add_term(alternative=True),
                    "bp-remove": self.action_remove_term,
                    "bp-add-clause": lambda: self._add_clause(),
                    "bp-remove-clause": lambda: self._edit(lambda p: form.remove_clause(p, self.clause)),
                    "bp-apply": self.action_apply}
        if event.button.id == "bp-workloads":
            await self.action_workloads()
        elif event.button.id == "bp-grid":
            await self.action_grid()
        elif event.button.id in handlers:
            handlers[event.button.id]()

    def _add_clause(self) -> None:
        self.clause = len(form.clauses(self.policy))
        self._edit(form.add_clause)

    async def action_workloads(self) -> None:
        await self._switch("workloads")

    async def action_grid(self) -> None:
        await self._switch("monitor")

    async def _switch(self, mode: str) -> None:
        try:
            await self.app.switch_mode(mode)
        except UnknownModeError:
            self.notify(f"{mode} is not available in this build", severity="warning")


def preview_content(result: Preview) -> Content:
    """Matched clusters and objects, and each miss with its reason (system objects only counted)."""
    lines: list[Content] = [Content.from_markup("[b]Clusters[/b]")]
    if result.error:
        lines.append(Content.from_markup("[$text-error]✗ $error[/]", error=result.error))
    lines += [Content.from_markup("[$text-success]✓[/] $name", name=name) for name in result.clusters]
    lines += [Content.from_markup("[$text-error]✗[/] $name [dim]— $reason[/]", name=m.name, reason=m.reason)
              for m in result.cluster_misses]
    lines.append(Content.from_markup("\n[b]Objects[/b]"))
    matches = [m for m in result.objects if not is_system(m.ref)]
    lines += [Content.from_markup("[$text-success]✓[/] $what", what=_title(m.ref)) for m in matches]
    if selected_system := len(result.objects) - len(matches):
        lines.append(Content.from_markup("[$text-warning]✓[/] $count system objects (kube-*, defaults, CRDs of "
                                         "the platform)", count=selected_system))
    misses = [m for m in result.object_misses if not is_system(m.ref)]
    lines += [Content.from_markup("[$text-error]✗[/] $what [dim]— $reason[/]", what=_title(m.ref), reason=m.reason)
              for m in misses]
    if hidden := len(result.object_misses) - len(misses):
        lines.append(Content.from_markup("[dim]($count system objects not selected, not listed)[/]", count=hidden))
    return Content("\n").join(lines)


def _title(ref: ObjectRef) -> str:
    return f"{ref.kind} {ref.namespace}/{ref.name}" if ref.namespace else f"{ref.kind} {ref.name}"
