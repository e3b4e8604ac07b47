"""`kstellar-tui --kubeconfig K` in a real terminal (tmux) on a quickstart sandbox running nginx.

A shell runs in the tmux pane, as for a user: the app paints the grid, takes keys, hands the
terminal to $EDITOR and takes it back, and after `q` the shell prompt returns and takes commands.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.test_status_on_sandbox import NGINX
from tests.quickstart import Hub, running_quickstart
from tests.sandbox._helpers import wait_for

pytestmark = [pytest.mark.kubectl, pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")]

PROMPT = "ready$"  # the shell's PS1 is this plus a space (capture-pane drops trailing spaces)
KSTELLAR = str(Path(sys.executable).with_name("kstellar-tui"))
NGINX_ROW = "nginx/nginx-deployment Deployment"
# A non-interactive $EDITOR: scales nginx to 2 in the file it is given.
EDITOR = "import sys; p = sys.argv[1]; t = open(p).read(); open(p, 'w').write(t.replace('replicas: 1', 'replicas: 2'))"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_quickstart(tmp_path_factory.mktemp("terminal-world")) as running:
        running.ok("wds1", "apply", "-f", "-", input=NGINX)
        yield running


class Terminal:
    """A tmux pane running a plain shell."""

    def __init__(self, env: dict[str, str]):
        self.session = f"kstellar-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", "160", "-y", "48",
                        "bash", "--norc", "--noprofile"], check=True, env=env)

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, *keys], check=True)

    def type(self, line: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, "-l", line], check=True)
        self.keys("Enter")

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.session], check=True,
                              capture_output=True, text=True).stdout

    def wait(self, text: str, timeout: float = 30.0) -> str:
        """The screen once it shows `text` (polled: the app runs in another process)."""
        seen = [""]

        def showing() -> bool:
            seen[0] = self.screen()
            return text in seen[0]

        try:
            wait_for(showing, timeout=timeout, interval=0.1, message=repr(text))
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the screen:\n{seen[0]}") from None
        return seen[0]

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)


@pytest.fixture
def terminal(hub: Hub, tmp_path: Path) -> Iterator[Terminal]:
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR)
    env = {**os.environ, **hub.env, "TERM": "xterm-256color", "PS1": PROMPT + " ",
           "EDITOR": f"{sys.executable} {editor}", "XDG_STATE_HOME": str(tmp_path / "state")}
    env.pop("TMUX", None)
    term = Terminal(env)
    try:
        term.wait(PROMPT)
        yield term
    finally:
        term.close()


def row_of(screen: str, text: str) -> str:
    return next((line for line in screen.splitlines() if text in line), "")


def test_the_grid_on_the_sandbox_takes_keys_hands_over_to_the_editor_and_quits_cleanly(
        hub: Hub, terminal: Terminal) -> None:
    terminal.type(f"{KSTELLAR} --kubeconfig {hub.kubeconfig_path}")
    screen = terminal.wait(NGINX_ROW)
    header = row_of(screen, "WORKLOAD")
    assert "cluster1" in header and "cluster2" in header
    wait_for(lambda: row_of(terminal.screen(), NGINX_ROW).split()[-2:] == ["✓", "✓"], timeout=30,
             message="nginx Ready on both WECs")

    terminal.keys("j", "l")  # to nginx-deployment, cluster2
    terminal.wait("Deployment nginx/nginx-deployment on cluster2: ✓ Ready")
    terminal.keys("Enter")
    terminal.wait("# in the WDS (wds1)")
    terminal.keys("Escape")  # a key sent right after a lone ESC would read as alt+key: wait for its effect
    wait_for(lambda: "# in the WDS" not in terminal.screen(), timeout=10, message="the explain pane to close")

    terminal.keys("e")  # the terminal goes to $EDITOR and comes back
    terminal.wait("applied: deployment.apps/nginx-deployment configured")
    assert hub.ok("wds1", "get", "deployment", "-n", "nginx", "nginx-deployment",
                  "-o", "jsonpath={.spec.replicas}") == "2"
    assert "WORKLOAD" in terminal.screen()

    terminal.keys("q")
    wait_for(lambda: terminal.screen().rstrip().endswith(PROMPT), timeout=10, message="the shell prompt")
    assert "WORKLOAD" not in terminal.screen()  # the alternate screen is gone
    terminal.type("echo usable-$((6 * 7))")
    screen = terminal.wait("\nusable-42")
    assert f"{PROMPT} echo usable-$((6 * 7))" in screen  # what is typed is echoed again
