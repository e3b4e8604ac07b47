"""The Textual application: the shell around the screens, its global keys, `:` commands and palette.

Entry point for the CLI: `run_app(feed, read_only=..., sandbox_note=..., config=load_config())`.
The app paints first and starts the feed after its first frame; nothing here imports `kubernetes`.

Screens are modes (k9s "views"): `monitor` is built in; other parts of the product add theirs with
`app.add_mode(name, factory)`, and `:setup` / `:bp` switch to the modes `setup` / `bindingpolicies`
when present (a screen that has `show_policy(name)` gets the `:bp NAME` argument).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import NamedTuple

from textual import work
from textual.app import App, SystemCommand, UnknownModeError
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.screen import Screen

from kstellar_tui import locations
from kstellar_tui.config import Config
from kstellar_tui.core.fleet.gridmodel import SORT_KEYS, Feed, GridDiff
from kstellar_tui.screens.monitor import VIEWS, LiveMonitorScreen
from kstellar_tui.themes import STATUS_DEFAULTS, ThemeCache, builtin_themes_dir, find_theme, load_themes

FALLBACK_THEME = "dark"


class LineCommand(NamedTuple):
    """A `:` command: its argument's name ("" for none) and what it does."""

    argument: str
    description: str

    @property
    def needs_argument(self) -> bool:
        return bool(self.argument) and not self.argument.startswith("[")


LINE_COMMANDS: dict[str, LineCommand] = {
    "grid": LineCommand("", "the live grid of workloads × WECs"),
    "wecs": LineCommand("", "the WECs: connection, availability, labels"),
    "events": LineCommand("", "the watch event log, full screen"),
    "bp": LineCommand("[NAME]", "BindingPolicies and what they match"),
    "setup": LineCommand("", "guided setup: core components, WECs"),
    "workloads": LineCommand("", "Step 3: write workloads and apply them to the WDS"),
    "theme": LineCommand("NAME", "switch theme (dark, light, high-contrast, …)"),
    "filter": LineCommand("TEXT", "filter the grid: regex, !regex, -l SELECTOR (empty clears)"),
    "sort": LineCommand("KEY", "sort the grid by " + ", ".join(SORT_KEYS) + " (state: worst first)"),
    "screenshot": LineCommand("", "save an SVG screenshot of the screen"),
    "help": LineCommand("", "the keys that work here, and these commands"),
    "quit": LineCommand("", "leave kstellar-tui"),
}
ALIASES = {"q": "quit", "wec": "wecs", "clusters": "wecs", "bindingpolicies": "bp", "policies": "bp"}
EXTERNAL_MODES = {"bp": "bindingpolicies", "setup": "setup", "workloads": "workloads"}  # command -> mode another part registers


def command_usages() -> list[tuple[str, str]]:
    return [(f":{name} {c.argument}".rstrip(), c.description) for name, c in LINE_COMMANDS.items()]


class WorkloadCommands(Provider):
    """Palette: jump to a workload."""

    async def search(self, query: str) -> Hits:
        app = self.app
        if not isinstance(app, KStellarApp) or app.monitor is None:
            return
        matcher = self.matcher(query)
        model = app.monitor.model
        for index in range(model.row_count):
            row = model.row(index)
            text = f"{row.kind} {row.title}"
            if (score := matcher.match(text)) > 0:
                yield Hit(score, matcher.highlight(text), partial(app.goto, row_key=row.key),
                          help="show this workload in the grid")


class ClusterCommands(Provider):
    """Palette: jump to a WEC's column."""

    async def search(self, query: str) -> Hits:
        app = self.app
        if not isinstance(app, KStellarApp) or app.monitor is None:
            return
        matcher = self.matcher(query)
        for column in app.monitor.model.columns:
            text = f"WEC {column.name}"
            if (score := matcher.match(text)) > 0:
                yield Hit(score, matcher.highlight(text), partial(app.goto, cluster=column.name),
                          help=f"{column.connection or 'hub-reported'}; show its column in the grid")


class ActionCommands(Provider):
    """Palette: the `:` commands that need no argument, and one entry per theme."""

    def _commands(self) -> list[tuple[str, str, str]]:
        app = self.app
        assert isinstance(app, KStellarApp)
        found = [(f":{name}", c.description, name) for name, c in LINE_COMMANDS.items() if not c.needs_argument]
        found += [(f":{line}", "switch theme", line) for line in app.theme_commands()]
        found += [(f":sort {key}", "sort the grid", f"sort {key}") for key in SORT_KEYS]
        return found

    async def discover(self) -> Hits:
        for text, description, line in self._commands():
            yield DiscoveryHit(text, partial(self.app.run_command, line), help=description)  # type: ignore[attr-defined]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, description, line in self._commands():
            if (score := matcher.match(f"{text} {description}")) > 0:
                yield Hit(score, matcher.highlight(text), partial(self.app.run_command, line),  # type: ignore[attr-defined]
                          help=description)


class KStellarApp(App[int]):
    """kstellar-tui; see the module docstring."""

    TITLE = "kstellar-tui"
    CSS_PATH = "app.tcss"
    DEFAULT_MODE = "monitor"
    COMMANDS = App.COMMANDS | {WorkloadCommands, ClusterCommands, ActionCommands}

    BINDINGS = [
        Binding("colon", "command_line", "Command", id="app.command", tooltip="Run a : command (:grid, :wecs, …)"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="The keys that work here"),
        Binding("escape", "back", "Back", show=False, id="app.back"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+s", "screenshot", "Screenshot", show=False, id="app.screenshot"),
        Binding("ctrl+p", "command_palette", "Palette", show=False, priority=True, id="app.palette"),
    ]

    def __init__(self, feed: Feed, *, config: Config | None = None, read_only: bool = False,
                 sandbox_note: str | None = None, clock: Callable[[], float] = time.time,
                 modes: Mapping[str, Callable[[], Screen]] | None = None, start_mode: str | None = None) -> None:
        """`modes` are the other parts' screens by mode name (`setup`, `workloads`, `bindingpolicies`);
        `start_mode` opens one of them first — guided setup, for a sandbox with no KubeStellar yet;
        the monitor (and its feed) then start when first shown."""
        if start_mode in (modes or {}):
            self.DEFAULT_MODE = start_mode  # read by App.__init__: the first frame is that screen's alone
        super().__init__()
        self.feed = feed
        self.config = config or Config()
        self.read_only = read_only or self.config.read_only
        self.clock = clock
        self.monitor: LiveMonitorScreen | None = None
        self.sub_title = " · ".join(filter(None, [sandbox_note, "read-only" if self.read_only else ""]))
        self._theme_cache = ThemeCache(locations.cache_dir() / "themes.json")
        self._use_startup_theme()
        for name, make in {"monitor": self._make_monitor, **(modes or {})}.items():
            self.add_mode(name, make)

    # -- start and stop --------------------------------------------------------------------------
    def _make_monitor(self) -> LiveMonitorScreen:
        self.monitor = LiveMonitorScreen(self.feed, refresh_hz=self.config.refresh_hz,
                                         read_only=self.read_only, clock=self.clock)
        self.call_after_refresh(self._start_feed)  # paint first, then connect; diffs need the monitor
        return self.monitor

    def on_mount(self) -> None:
        self.set_keymap(self.config.keymap)
        self.call_after_refresh(self._after_first_frame)
        if self.config.themes_dir.is_dir():
            self.watch_user_themes()

    def _after_first_frame(self) -> None:
        """What the first frame does not wait for: reading every theme file, and checking the
        keymap's ids against the bindings of every screen (which imports the modal screens)."""
        self._load_all_themes()
        for module in ("confirm", "help", "prompt"):  # so that their bindings' ids are known
            importlib.import_module(f"kstellar_tui.screens.{module}")
        for key in _unknown_binding_ids(self.config.keymap):
            self.notify(f"config keymap: no binding has the id {key!r}", severity="warning", timeout=10)

    @work(group="feed")
    async def _start_feed(self) -> None:
        try:
            await self.feed.start(self._post_diff)
        except Exception as exc:  # the feed reaches clusters or a child process: show, keep running
            self.notify(f"could not start the live feed: {exc}", severity="error", timeout=30)

    def _post_diff(self, diff: GridDiff) -> None:
        """Handed to the feed: callable from any thread (post_message is thread-safe)."""
        if self.monitor is not None:
            self.monitor.post_message(LiveMonitorScreen.GridUpdated(diff))

    async def on_unmount(self) -> None:
        await self.feed.stop()

    # -- themes ----------------------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(STATUS_DEFAULTS)

    def _register_themes(self, folder: Path) -> tuple[list[str], list[str]]:
        """Register a folder's themes; their names, and an error per broken file."""
        themes, errors = load_themes(folder, self._theme_cache)
        for theme in themes:
            self.register_theme(theme)
        return [theme.name for theme in themes], errors

    def _theme_folders(self) -> tuple[Path, Path]:
        """Registered in this order, so a user theme replaces the app's theme of the same name."""
        return builtin_themes_dir(), self.config.themes_dir

    def _use_startup_theme(self) -> None:
        """Make the configured theme current before the stylesheet is first parsed, reading only its file.

        Setting `App.theme` would make Textual parse and apply the whole stylesheet once more, so the
        first theme is set without its watcher; its classes and CSS variables are set here instead.
        The other theme files wait for the first frame (`_load_all_themes`)."""
        for name in (self.config.theme, FALLBACK_THEME, "textual-dark"):  # the last is always there
            if (theme := find_theme(name, reversed(self._theme_folders()), self._theme_cache)) is not None:
                self.register_theme(theme)
            if name in self.available_themes:
                break
        self.set_reactive(App.theme, name)
        dark = self.current_theme.dark
        self.set_class(dark, "-dark-mode", update=False)
        self.set_class(not dark, "-light-mode", update=False)
        self.add_class(f"-theme-{self.current_theme.name}", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    def _load_all_themes(self) -> None:
        """Every theme file, after the first frame: for `:theme`, and to report broken files."""
        shown = self.current_theme
        for folder in self._theme_folders():
            for error in self._register_themes(folder)[1]:
                self.notify(error, severity="warning", timeout=10)
        try:
            self._theme_cache.save()
        except OSError as exc:  # a read-only cache folder costs the next start a YAML import, nothing more
            self.log.warning(f"theme cache not saved: {exc}")
        wanted = self.config.theme
        if self.theme != wanted and wanted in self.available_themes:
            self.theme = wanted  # its file is not named after it
        elif self.theme != wanted:
            self.notify(f"config theme {wanted!r} not found; using {self.theme!r}", severity="warning", timeout=10)
        elif self.current_theme != shown:  # another file of the same name replaced it
            self.refresh_css()

    @work(exclusive=True, group="themes")
    async def watch_user_themes(self) -> None:
        """Re-read the user themes folder whenever a file in it changes (hot reload)."""
        from watchfiles import awatch  # only when there is a folder to watch

        async for _changes in awatch(self.config.themes_dir):
            names, errors = self._register_themes(self.config.themes_dir)
            for error in errors:
                self.notify(error, severity="error", timeout=10)
            if self.theme in names:
                self.refresh_css()

    # -- global actions --------------------------------------------------------------------------
    def action_command_line(self) -> None:
        from kstellar_tui.screens.prompt import PromptScreen

        self.push_screen(PromptScreen(":", suggestions=list(LINE_COMMANDS) + self.theme_commands(),
                                      placeholder="grid, wecs, events, bp, setup, theme NAME, … (:help lists them)"),
                         self._on_command_line)

    def theme_commands(self) -> list[str]:
        return [f"theme {name}" for name in sorted(self.available_themes)]

    async def _on_command_line(self, text: str | None) -> None:
        if text:
            await self.run_command(text)

    def action_help(self) -> None:
        from kstellar_tui.screens.help import HelpScreen, live_bindings

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(live_bindings(self.screen), command_usages()))

    async def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self.current_mode != "monitor":
            await self.switch_mode("monitor")

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        folder = locations.screenshots_dir()
        folder.mkdir(parents=True, exist_ok=True)
        saved = self.save_screenshot(filename, path or str(folder))
        self.notify(f"screenshot saved to {saved}")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's, with our screenshot (it knows where screenshots go) in place of its own."""
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command
        yield SystemCommand("Screenshot", f"Save an SVG screenshot in {locations.screenshots_dir()}", self.action_screenshot)

    # -- `:` commands ----------------------------------------------------------------------------
    async def run_command(self, text: str) -> bool:
        """Run a `:` command line (with or without the colon); False when it failed, with a notice."""
        name, _, argument = text.strip().lstrip(":").strip().partition(" ")
        name = ALIASES.get(name, name)
        argument = argument.strip()
        if name not in LINE_COMMANDS:
            self.notify(f"unknown command :{name}; :help lists them", severity="error")
            return False
        if LINE_COMMANDS[name].needs_argument and not argument:
            self.notify(f"usage: :{name} {LINE_COMMANDS[name].argument}", severity="error")
            return False
        if name in EXTERNAL_MODES:
            return await self._open_mode(EXTERNAL_MODES[name], argument)
        if name in VIEWS:
            await self._show_monitor_view(name)
            return True
        return await getattr(self, f"_command_{name}")(argument)

    async def _show_monitor_view(self, view: str) -> None:
        if self.current_mode != "monitor":
            await self.switch_mode("monitor")
        while len(self.screen_stack) > 1:
            self.pop_screen()
        assert self.monitor is not None
        self.monitor.show_view(view)

    async def _open_mode(self, mode: str, argument: str) -> bool:
        try:
            await self.switch_mode(mode)
        except UnknownModeError:
            self.notify(f"{mode} is not available in this build", severity="warning")
            return False
        show = getattr(self.screen, "show_policy", None)
        if argument and callable(show):
            show(argument)
        return True

    async def _command_theme(self, name: str) -> bool:
        if name not in self.available_themes:
            self.notify(f"no theme {name!r}; there are: {', '.join(sorted(self.available_themes))}",
                        severity="error")
            return False
        self.theme = name
        return True

    async def _command_filter(self, text: str) -> bool:
        await self._show_monitor_view("grid")
        assert self.monitor is not None
        return self.monitor.set_filter(text)

    async def _command_sort(self, key: str) -> bool:
        await self._show_monitor_view("grid")
        assert self.monitor is not None
        if not self.monitor.set_sort(key):
            self.notify(f"sort by one of {', '.join(SORT_KEYS)}, not {key!r}", severity="error")
            return False
        return True

    async def _command_screenshot(self, _: str) -> bool:
        self.action_screenshot()
        return True

    async def _command_help(self, _: str) -> bool:
        self.action_help()
        return True

    async def _command_quit(self, _: str) -> bool:
        self.exit(0)
        return True

    # -- palette targets -------------------------------------------------------------------------
    async def goto(self, *, row_key: str | None = None, cluster: str | None = None) -> None:
        """Show the grid with the cursor on this workload and/or cluster (clearing a filter that hides it)."""
        await self._show_monitor_view("grid")
        assert self.monitor is not None
        grid = self.monitor.grid
        if not grid.goto(row_key=row_key, cluster=cluster) and grid.filter is not None:
            self.monitor.set_filter("")
            grid.goto(row_key=row_key, cluster=cluster)




def _binding_ids(node_class: type[DOMNode]) -> Iterable[str]:
    for binding in node_class.BINDINGS:
        if isinstance(binding, Binding) and binding.id:
            yield binding.id
    for subclass in node_class.__subclasses__():
        yield from _binding_ids(subclass)


def _unknown_binding_ids(keymap: dict[str, str]) -> list[str]:
    """Keymap ids that look like ours (a known prefix such as `grid.`) but name no loaded binding.

    Screens of other parts may not be imported yet, so ids with an unfamiliar prefix are left alone.
    """
    known = set(_binding_ids(DOMNode))
    prefixes = {name.split(".")[0] for name in known}
    return [key for key in keymap if key not in known and key.split(".")[0] in prefixes]


def run_app(feed: Feed, *, read_only: bool, sandbox_note: str | None, config: Config,
            modes: Mapping[str, Callable[[], Screen]] | None = None, start_mode: str | None = None) -> int:
    """Run the TUI until the user quits; returns the process exit code.

    `feed` produces GridDiffs (see `core.fleet.gridmodel.Feed`); `read_only` (or the config's) removes
    every mutation; `sandbox_note` is shown in the header (e.g. "sandbox: ~/.local/state/…");
    `config` comes from `config.load_config()` (which raises ConfigError for a bad file).
    """
    app = KStellarApp(feed, config=config, read_only=read_only, sandbox_note=sandbox_note, modes=modes,
                      start_mode=start_mode)
    app.run()
    return app.return_code or 0
