"""Edit a WDS object in the user's editor and apply it on save, never losing what they typed.

As `kubectl edit` and k9s `e` do: the object's editable YAML (read through the feed, which owns the
cluster clients), or the draft a failed attempt left, goes into a private temporary file; the
terminal is handed to $VISUAL / $EDITOR with `App.suspend`; what comes back is kept as a draft
*before* it is sent, then validated and server-side applied by the feed. The draft is discarded
only once applied, so a bad edit, a refused request or a crash loses nothing and changes nothing.
Saving an empty file cancels (and drops the draft); saving it unchanged changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from textual.app import App, SuspendNotSupported
from textual.notifications import SeverityLevel

from kstellar_tui.core.drafts import Drafts

HEADER = "# kstellar-tui: "  # our comment lines at the top of the file; never part of the draft
DRAFT_PREFIX = "edit "


class EditResult(NamedTuple):
    """What to tell the user."""

    message: str
    severity: SeverityLevel = "information"


def editor_argv() -> list[str]:
    """$VISUAL, else $EDITOR, else vi — split into words as a shell would, but never run by one."""
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def run_editor(text: str, filename: str) -> str:
    """Blocking: the editor on a private copy of `text`; the saved text (raises OSError or CalledProcessError)."""
    with tempfile.TemporaryDirectory(prefix="kstellar-edit-") as folder:  # 0700, removed afterwards
        path = Path(folder) / filename
        path.write_text(text, encoding="utf-8")
        subprocess.run([*editor_argv(), str(path)], check=True)
        return path.read_text(encoding="utf-8")


def strip_header(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith(HEADER))


def header(title: str, *, resumed: bool, last_error: str) -> str:
    lines = [f"Editing {title} in the WDS. Save and quit to apply; save an empty file to cancel."]
    if resumed:
        lines.append("This is your draft from an attempt that was not applied (empty the file to drop it).")
    if last_error:
        lines.append("Last attempt failed:")
        lines += [f"  {line}" for line in last_error.splitlines()]
    return "".join(f"{HEADER}{line}\n" for line in lines)


class ObjectEditor:
    """One per screen: `edit(app, row_key, title)` runs the whole round and says what happened."""

    def __init__(self, feed: Any, drafts: Drafts | None = None) -> None:
        self.feed = feed
        self.drafts = drafts or Drafts()
        self._errors: dict[str, str] = {}  # row key -> why its last attempt failed

    async def edit(self, app: App, row_key: str, title: str) -> EditResult:
        name = DRAFT_PREFIX + row_key
        draft = await asyncio.to_thread(self.drafts.load, name)
        try:
            original = (await self.feed.get_yaml(row_key, editable=True))["wds"]["yaml"]
        except Exception as exc:  # the feed talks to clusters
            return EditResult(f"could not open {title}: {exc}", "error")
        top = header(title, resumed=draft is not None, last_error=self._errors.get(row_key, ""))
        filename = re.sub(r"[^a-z0-9.-]+", "-", title.lower()) + ".yaml"
        try:
            with app.suspend():
                edited = run_editor(top + (original if draft is None else draft), filename)
        except SuspendNotSupported:
            return EditResult("this terminal cannot hand over to an editor; nothing changed", "error")
        except (OSError, subprocess.CalledProcessError) as exc:
            return EditResult(f"the editor ({shlex.join(editor_argv())}) failed: {exc}; nothing changed", "error")
        body = strip_header(edited)
        if not body.strip() or body == original:
            await asyncio.to_thread(self.drafts.discard, name)
            self._errors.pop(row_key, None)
            why = "empty file: cancelled" if not body.strip() else "no changes"
            return EditResult(f"{title}: {why}; nothing changed")
        await asyncio.to_thread(self.drafts.save, name, body)
        try:
            # Sent with our header so that line numbers in errors are the ones the user saw.
            done = await self.feed.apply_yaml(edited, row_key)
        except Exception as exc:  # invalid, refused or unreachable: nothing was written
            self._errors[row_key] = str(exc)
            return EditResult(f"{title} not changed: {exc}\nYour text is kept as a draft: edit again to go on.",
                              "error")
        await asyncio.to_thread(self.drafts.discard, name)
        self._errors.pop(row_key, None)
        return EditResult("applied: " + "; ".join(done))
