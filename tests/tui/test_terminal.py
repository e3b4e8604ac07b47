"""The app in a real terminal (tmux): `run_app` paints, takes keys and exits cleanly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

LAUNCH = """
from kstellar_tui.app import run_app
from kstellar_tui.config import Config
from kstellar_tui.core.fleet.demo_feed import DemoFeed
code = run_app(DemoFeed(8, 30, interval=0.2), read_only=True, sandbox_note="sandbox: demo", config=Config())
open({done!r}, "w").write(str(code))
"""


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)  # polling a separate process: there is nothing to await


def test_run_app_paints_follows_the_feed_and_quits(tmp_path):
    session = f"kstellar-{uuid.uuid4().hex[:8]}"
    done = tmp_path / "exit-code"
    script = tmp_path / "launch.py"
    script.write_text(LAUNCH.format(done=str(done)))
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "48",
                    sys.executable, str(script)], check=True, env=env, cwd=os.getcwd())
    try:
        screen = lambda: tmux("capture-pane", "-p", "-t", session)  # noqa: E731
        wait_for(lambda: "WORKLOAD" in screen() and "30 workloads" in screen())
        assert "read-only" in screen() and "8 WECs" in screen()
        wait_for(lambda: "MODIFIED" in screen())  # the feed's diffs reach the event log
        tmux("send-keys", "-t", session, "q")
        wait_for(done.exists)
        assert done.read_text() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
