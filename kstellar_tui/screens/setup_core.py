"""Step 1 — core components: the hosting cluster, the core chart with the user's ITS and WDS names,
the kubeconfig contexts and the waits Helm cannot do; each with its exact upstream command."""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Header, Input, Label, Select, Static

from kstellar_tui.core.setup.options import KUBESTELLAR_VERSION, SetupOptions
from kstellar_tui.core.setup.plan import CORE
from kstellar_tui.core.setup.prereqs import PLATFORMS
from kstellar_tui.screens.setup_run import SetupRunScreen
from kstellar_tui.widgets.footer import Footer


class SetupCoreScreen(SetupRunScreen):
    """Step 1; `ctrl+n` (or Next) goes on to Step 2 with the same target and names."""

    PHASE = CORE
    BINDINGS = [Binding("ctrl+n", "next_step", "Step 2: WECs", id="setup.next",
                        tooltip="Create and register WECs with this ITS")]

    def compose(self) -> ComposeResult:
        o = self.options
        yield Header()
        with Horizontal(id="setup-body"):
            with Vertical(id="setup-form"):
                yield Static("Step 1 — core components", classes="setup-heading")
                yield Static("", id="setup-target", markup=False)
                yield Label("Platform")
                yield Select([(p, p) for p in PLATFORMS], value=o.platform, allow_blank=False, id="setup-platform",
                             disabled=self.target.is_sandbox, tooltip="the sandbox emulates kind")
                yield Label("KubeStellar version")
                yield Input(o.version, id="setup-version", tooltip=f"the plan is made for {KUBESTELLAR_VERSION}")
                yield Label("ITS name")
                yield Input(o.its, id="setup-its")
                yield Label("WDS names (comma separated)")
                yield Input(", ".join(o.wds), id="setup-wds")
                yield Static("", id="setup-problem", markup=False)
                yield from self.compose_buttons()
                yield Button("Step 2: WECs →", id="setup-next")
            with Vertical(id="setup-right"):
                yield from self.compose_steps()
        yield Footer()

    def read_form(self) -> SetupOptions:
        platform = self.query_one("#setup-platform", Select).value
        wds = tuple(n.strip() for n in self.query_one("#setup-wds", Input).value.split(",") if n.strip())
        return replace(self.options, platform=str(platform), version=self.query_one("#setup-version", Input).value,
                       its=self.query_one("#setup-its", Input).value.strip(), wds=wds).validate()

    async def on_input_changed(self, event: Input.Changed) -> None:
        await self.replan()

    async def on_select_changed(self, event: Select.Changed) -> None:
        await self.replan()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "setup-next":
            await self.action_next_step()
        else:
            await super().on_button_pressed(event)

    async def action_next_step(self) -> None:
        from kstellar_tui.screens.setup_wecs import SetupWecsScreen

        if await self.replan():
            self.app.push_screen(SetupWecsScreen(self.target, self.options))
