"""A YAML text area whose text is kept as a draft until it is applied, so nothing typed is ever lost.

Each change is saved (debounced) by a thread worker into `core.drafts`; the last change before the
editor goes away — a quit — is written as it unmounts, since no worker outlives the app. On mount
the editor looks for its draft and posts `DraftFound`; the screen decides how to offer it back.
Highlighting needs tree-sitter and its YAML grammar; without them the text is plain.
"""

from __future__ import annotations

import threading
from importlib.util import find_spec

from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.widgets import TextArea

from kstellar_tui.core.drafts import Drafts

YAML_LANGUAGE = "yaml" if find_spec("tree_sitter") and find_spec("tree_sitter_yaml") else None
DRAFT_DELAY = 0.5  # seconds without typing before the draft is written


class _DraftWriter:
    """Serialises draft writes from worker threads; a discard makes every save still in flight a no-op."""

    def __init__(self, drafts: Drafts, name: str) -> None:
        self.drafts, self.name = drafts, name
        self._lock = threading.Lock()
        self._generation = 0

    def next_generation(self) -> int:
        with self._lock:
            self._generation += 1
            return self._generation

    def save(self, text: str, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return  # a newer change or a discard came after this one
            if text.strip():
                self.drafts.save(self.name, text)
            else:
                self.drafts.discard(self.name)

    def discard(self) -> None:
        with self._lock:
            self._generation += 1
            self.drafts.discard(self.name)


class YamlEditor(TextArea):
    """`draft_name` names this editor's draft in `drafts`."""

    class DraftFound(Message):
        """A draft from an earlier visit exists (`saved_at`: seconds since the epoch)."""

        def __init__(self, editor: YamlEditor, text: str, saved_at: float) -> None:
            super().__init__()
            self.editor = editor
            self.text = text
            self.saved_at = saved_at

    def __init__(self, draft_name: str, drafts: Drafts, *, id: str | None = None) -> None:
        super().__init__("", language=YAML_LANGUAGE, soft_wrap=False, tab_behavior="indent",
                         show_line_numbers=True, id=id)
        self.indent_width = 2
        self.writer = _DraftWriter(drafts, draft_name)
        self._unsaved: tuple[str, int] | None = None
        self._timer: Timer | None = None
        self._generated: str | None = None

    def on_mount(self) -> None:
        self._look_for_draft()

    @work(thread=True, group="draft-load")
    def _look_for_draft(self) -> None:
        drafts, name = self.writer.drafts, self.writer.name
        text = drafts.load(name)
        if text and text.strip():
            saved_at = next((d.saved_at for d in drafts.list() if d.name == name), 0.0)
            self.post_message(self.DraftFound(self, text, saved_at))

    def load_generated(self, text: str) -> None:
        """Show text that is not the user's work (a starter, an object as the hub has it): it is not
        kept as a draft, and an earlier draft stays until the user edits or discards it."""
        self._generated = text
        self.load_text(text)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area is not self or self.text == self._generated:
            return
        self._generated = None
        self._unsaved = (self.text, self.writer.next_generation())
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DRAFT_DELAY, self._save_pending)

    def _save_pending(self) -> None:
        if self._unsaved is not None:
            text, generation = self._unsaved
            self._unsaved = None
            self._save(text, generation)

    @work(thread=True, group="draft-save")
    def _save(self, text: str, generation: int) -> None:
        self.writer.save(text, generation)

    def discard_draft(self) -> None:
        """The text was applied (or the user dropped it): forget the draft."""
        self._unsaved = None
        if self._timer is not None:
            self._timer.stop()
        self._discard()

    @work(thread=True, group="draft-save")
    def _discard(self) -> None:
        self.writer.discard()

    def on_unmount(self) -> None:
        if self._unsaved is not None:  # a quit within DRAFT_DELAY of the last keystroke
            self.writer.save(*self._unsaved)

    def go_to_line(self, line: int) -> None:
        """Put the cursor at the start of a 1-based line and show it."""
        self.move_cursor((max(line - 1, 0), 0), center=True)
        self.focus()
