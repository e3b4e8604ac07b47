"""Why a cell is what it is, shown from an explanation handed over as data (the pane does no I/O).

The explanation is the dict of `core.fleet.explain.Explanation.as_dict()`: `workload`, `cluster`,
`state` (a label), `message`, `chain` (steps with `step`, `name`, `ok`, `detail`), `reasons`, and
optionally `yaml`, the object's text. Each chain step reads as one line, passed or failed, in the
order KubeStellar works: cluster → BindingPolicy → Binding → ManifestWork → WorkStatus → WEC copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from kstellar_tui.core.fleet.states import CellState
from kstellar_tui.themes import STATUS_VARIABLES

_STATE_BY_LABEL = {state.label: state for state in CellState}


def _state_part(label: str) -> tuple[str, str]:
    state = _STATE_BY_LABEL.get(label, CellState.UNKNOWN)
    return f"{state.glyph} {label}", "$" + STATUS_VARIABLES.get(state, "text-muted")


class DetailPane(VerticalScroll):
    """The explanation of one cell: a title, the chain, the reasons, then the object's YAML.

    Text from clusters is assembled as plain spans, never parsed as markup.
    """

    DEFAULT_CSS = """
    DetailPane {
        width: 64;
        border-left: solid $panel-lighten-2;
        padding: 0 1;
        background: $surface;
        & > #detail-title { text-style: bold; margin-bottom: 1; }
        & > #detail-chain { margin-bottom: 1; }
        & > #detail-yaml { color: $text-muted; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # made here, not in compose, so the pane can be filled in the moment it is mounted
        self._parts = Static(id="detail-title"), Static(id="detail-chain"), Static(id="detail-yaml")

    def compose(self):
        yield from self._parts

    @property
    def text(self) -> str:
        """Everything the pane shows, as plain text (for tests and copying)."""
        return "\n".join(str(static.visual) for static in self._parts)

    def _set(self, title: Content, chain: Content = Content(), yaml: str = "") -> None:
        for static, content in zip(self._parts, (title, chain, Content(yaml))):
            static.update(content)
        self.scroll_home(animate=False)

    def show_loading(self, workload: str, cluster: str) -> None:
        self._set(Content(f"{workload} on {cluster}"), Content.assemble(("asking why…", "$text-muted")))

    def show_error(self, workload: str, cluster: str, error: str) -> None:
        self._set(Content(f"{workload} on {cluster}"),
                  Content.assemble((f"could not explain: {error}", "$status-error")))

    def show(self, explanation: Mapping[str, Any]) -> None:
        title = [f"{explanation.get('workload', '')} on {explanation.get('cluster', '')}\n",
                 _state_part(str(explanation.get("state", "")))]
        if message := explanation.get("message"):
            title.append(f"  {message}")
        chain: list[str | tuple[str, str]] = []
        for step in explanation.get("chain") or ():
            chain += [("✓", "$status-ready") if step.get("ok") else ("✖", "$status-error"), " ",
                      (str(step.get("step", "")), "bold"), f" {step.get('name', '')}\n   ",
                      (f"{step.get('detail', '')}\n", "$text-muted")]
        for reason in explanation.get("reasons") or ():
            chain += [("•", "$status-unknown"), f" {reason}\n"]
        self._set(Content.assemble(*title), Content.assemble(*chain).rstrip(), str(explanation.get("yaml") or ""))
