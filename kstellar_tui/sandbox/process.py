"""The sandbox as an operating-system process: run in the foreground, start detached, find, stop.

One sandbox per state dir: the running process holds `<state>/sandbox.lock`, and a second `up`
reuses the one that answers instead of starting another. "Running" means: the pid in
sandbox.json is alive and the admin API, asked with the token, reports that same pid.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

from kstellar_tui.sandbox.admin_client import AdminClient, AdminError, SandboxInfo, SandboxUnreachable, read_info
from kstellar_tui.sandbox.credentials import ensure_private_dir
from kstellar_tui.sandbox.statedir import StateDir

DEFAULT_PRESET = "quickstart"
START_TIMEOUT = 60.0
LOST_LOCK = "another sandbox is already running"
WINNER_GRACE = 3.0  # seconds a lock winner has to write its pid before we stop waiting for it
SHUTDOWN_TIMEOUT = 15.0
SIGNAL_TIMEOUT = 5.0
POLL_INTERVAL = 0.05
STATE_DIR_CHECK_INTERVAL = 2.0
LOG_TAIL_LINES = 30

log = logging.getLogger(__name__)

# Sandboxes this process spawned, so that `pid_alive` reaps them (no zombies, no ResourceWarning).
_children: dict[int, subprocess.Popen] = {}


class SandboxError(Exception):
    """A sandbox could not be started or stopped; the message says why and what to do."""


@dataclass
class UpOptions:
    """What `sandbox up` was asked for; the detached child gets the same through `child_argv`."""

    state_dir: Path
    clusters: list[str] | None = None
    tls: bool = True
    preset: str | None = None
    wecs: int = 2
    ready_fd: int | None = None
    """A pipe to write one line to once ready: how a detached child tells `up --detach` without being polled."""

    def child_argv(self, ready_fd: int) -> list[str]:
        argv = [sys.executable, "-m", "kstellar_tui", "sandbox", "up", "--foreground",
                "--state-dir", str(self.state_dir), "--wecs", str(self.wecs), "--ready-fd", str(ready_fd)]
        clusters = resolve_clusters(self)
        if clusters:
            argv += ["--clusters", ",".join(clusters)]
        preset = resolve_preset(self)
        if preset:
            argv += ["--preset", preset]
        if not self.tls:
            argv.append("--plain-http")
        return argv


@dataclass(frozen=True)
class Running:
    """A sandbox that answered its admin API."""

    state_dir: Path
    info: SandboxInfo
    client: AdminClient
    status: dict
    answering: frozenset[str] | None = None
    """The clusters just seen answering `GET /version`; None when nobody asked yet."""

    @property
    def pid(self) -> int:
        return self.info.pid

    def answers(self, cluster: str) -> bool:
        """Whether `cluster` answers: as just seen, else asked now."""
        return cluster in self.answering if self.answering is not None else self.client.answers(cluster)

    def clusters(self) -> dict[str, int]:
        """Cluster name -> port, as the running sandbox reports them."""
        reported = self.status.get("clusters") or {}
        return {name: entry.get("port", self.info.ports.get(name)) for name, entry in reported.items()}


def resolve_clusters(options: UpOptions) -> list[str]:
    """`--clusters`, else the clusters this state dir had last time, else none (a preset makes them)."""
    if options.clusters:
        return list(options.clusters)
    info = read_info(options.state_dir)
    return list(info.ports) if info and info.ports else []


def resolve_preset(options: UpOptions) -> str | None:
    """The preset to apply: asked for, or the quickstart on a state dir that never ran a sandbox.

    A preset only shapes a fresh sandbox; a state dir that has clusters comes back as it was."""
    if options.clusters:
        return options.preset
    info = read_info(options.state_dir)
    if info and info.ports:
        return None
    return options.preset or DEFAULT_PRESET


def poll_until(condition: Callable[[], bool], timeout: float, interval: float = POLL_INTERVAL) -> bool:
    """Call `condition` until it is true (True) or `timeout` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    """Whether `pid` is a live process (zombies count as dead)."""
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def find_running(state_dir: Path) -> Running | None:
    """The sandbox running in `state_dir`, or None."""
    info = read_info(state_dir)
    if info is None or info.pid is None or not pid_alive(info.pid):
        return None
    client = AdminClient(state_dir, info)
    try:
        status = client.status()
    except (SandboxUnreachable, AdminError):
        return None
    if not isinstance(status, dict) or status.get("pid") != info.pid:
        return None
    return Running(state_dir, info, client, status)


def run_foreground(options: UpOptions, on_ready: Callable[[Running], None]) -> int:
    """Serve until SIGINT, SIGTERM or an admin shutdown; `on_ready` runs once every cluster answers
    (with `ready_fd`, a line on that pipe replaces it)."""
    state_dir = ensure_private_dir(options.state_dir)
    clusters = resolve_clusters(options)
    preset = resolve_preset(options)
    with _lifetime_lock(state_dir):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        asyncio.run(_serve(state_dir, clusters, options, preset, on_ready))
    return 0


async def _serve(state_dir: Path, clusters: list[str], options: UpOptions, preset: str | None,
                 on_ready: Callable[[Running], None]) -> None:
    from kstellar_tui.sandbox import admin_routes, presets
    from kstellar_tui.sandbox.apiserver.errors import ApiError
    from kstellar_tui.sandbox.controllers.manager import TopologyManager
    from kstellar_tui.sandbox.runtime import Sandbox, SandboxConfigError

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        sandbox = Sandbox(state_dir, clusters, tls=options.tls)
        topology = TopologyManager(sandbox)
        sandbox.admin_routes.extend(admin_routes.routes(topology))
        sandbox.ready = preset is None
        await sandbox.start()
        topology.start()
    except (SandboxConfigError, OSError) as error:
        raise SandboxError(f"the sandbox cannot start: {error}") from None
    try:
        if preset is not None:
            try:
                await presets.apply(topology, preset, presets.PresetOptions(wecs=options.wecs))
            except ApiError as error:
                raise SandboxError(f"the {preset} preset failed: {error.message}") from None
            sandbox.ready = True
        log.info("sandbox pid %d serving %s", os.getpid(), ", ".join(f"{n}:{p}" for n, p in sandbox.ports.items()))
        if options.ready_fd is None:
            await asyncio.to_thread(_announce, state_dir, on_ready)
        else:  # a detached child: the `up --detach` waiting on the pipe checks and announces, once
            _signal_ready(options.ready_fd)
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(sandbox.shutdown_requested.wait()),
                 asyncio.ensure_future(_until_removed(state_dir))]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waits:
            waiter.cancel()
    finally:
        log.info("sandbox pid %d stopping", os.getpid())
        await topology.stop()
        await sandbox.stop()


async def _until_removed(state_dir: Path) -> None:
    """Returns once the state dir is gone: its databases are unlinked, so serving on would lose every write."""
    while state_dir.is_dir():
        await asyncio.sleep(STATE_DIR_CHECK_INTERVAL)
    log.warning("state dir %s was removed; stopping", state_dir)


def _signal_ready(fd: int) -> None:
    """Wake the `up --detach` waiting on the pipe (if it is gone, nobody needs the news)."""
    with suppress(OSError):
        os.write(fd, b"ready\n")
    with suppress(OSError):
        os.close(fd)


def _announce(state_dir: Path, on_ready: Callable[[Running], None]) -> None:
    """Off the event loop: both look at the sandbox through its own HTTP API."""
    running = find_running(state_dir)
    if running is None:
        log.warning("the sandbox does not answer its own admin API")
    else:
        on_ready(running)


@contextmanager
def _lifetime_lock(state_dir: Path) -> Iterator[None]:
    """Hold `<state>/sandbox.lock` while serving, so two sandboxes never share one state dir."""
    fd = os.open(StateDir(state_dir).lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SandboxError(f"{LOST_LOCK} in {state_dir}") from None
        yield
    finally:
        os.close(fd)


def start_detached(options: UpOptions, timeout: float = START_TIMEOUT) -> tuple[Running, bool]:
    """Reuse the sandbox running in the state dir, or start one in its own session.

    Returns the running sandbox and whether it was started now. Waits until every cluster answers
    `GET /version`; if the child dies or times out, raises with the tail of its log. The child
    writes to a pipe once ready (and the pipe closes if it dies), so the wait polls nothing until then.
    """
    running = find_running(options.state_dir)
    if running is not None:
        _check_reusable(running, options)
        return running, False
    files = StateDir(ensure_private_dir(options.state_dir))
    log_fd = os.open(files.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    log_start = os.fstat(log_fd).st_size
    signal_read, signal_write = os.pipe()
    try:
        child = subprocess.Popen(options.child_argv(signal_write), stdin=subprocess.DEVNULL, stdout=log_fd,
                                 stderr=subprocess.STDOUT, start_new_session=True, pass_fds=(signal_write,))
    except BaseException:
        os.close(signal_read)
        raise
    finally:
        os.close(log_fd)
        os.close(signal_write)
    _children[child.pid] = child
    deadline = time.monotonic() + timeout
    try:
        select.select([signal_read], [], [], timeout)
    finally:
        os.close(signal_read)
    ready: list[Running] = []

    def started() -> bool:
        if child.poll() is not None:
            return True
        running = _ready(options.state_dir, child.pid)
        if running is not None:
            ready.append(running)
        return bool(ready)

    poll_until(started, max(deadline - time.monotonic(), 0.0))
    if ready:
        return ready[0], True
    if child.poll() is not None and LOST_LOCK in _log_tail(files.log, log_start):
        winner = _await_winner(options.state_dir, timeout)
        if winner is not None:
            return winner, False
    if child.poll() is None:
        _terminate(child.pid)
        reason = f"not ready after {timeout:g}s"
    else:
        reason = f"exited with status {child.returncode}"
    raise SandboxError(f"the sandbox {reason}; end of {files.log}:\n{_log_tail(files.log, log_start)}")


def _check_reusable(running: Running, options: UpOptions) -> None:
    missing = set(options.clusters or ()) - set(running.clusters())
    if missing:
        raise SandboxError(
            f"a sandbox is already running in {options.state_dir} (pid {running.pid}) without "
            f"{', '.join(sorted(missing))}; stop it first with `kstellar-tui sandbox down`")


def _await_winner(state_dir: Path, timeout: float) -> Running | None:
    """Another `up` for this state dir won the lock a moment earlier: the sandbox it starts, once
    ready — or None as soon as it is clear that no sandbox process has claimed the state dir."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        running = find_running(state_dir)
        if running is not None and _ready(state_dir, running.pid) is not None:
            return running
        info = read_info(state_dir)
        claimed = info is not None and info.pid is not None and pid_alive(info.pid)
        if not claimed and time.monotonic() - started > WINNER_GRACE:
            return None
        time.sleep(POLL_INTERVAL)
    return None


def _ready(state_dir: Path, pid: int) -> Running | None:
    """The sandbox if it is the one with `pid` and every cluster answers."""
    running = find_running(state_dir)
    if running is None or running.pid != pid or not running.status.get("ready", True):
        return None
    if not all(running.client.answers(name) for name in running.clusters()):
        return None
    return replace(running, answering=frozenset(running.clusters()))


def _log_tail(path: Path, start: int) -> str:
    with path.open("rb") as file:
        file.seek(start)
        lines = file.read().decode(errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:]) or "(empty)"


def stop(state_dir: Path) -> int | None:
    """Stop the sandbox in `state_dir`: admin shutdown, then SIGTERM, then SIGKILL. Returns its pid, None if none ran."""
    running = find_running(state_dir)
    if running is None:
        return None
    try:
        running.client.shutdown()
    except (SandboxUnreachable, AdminError) as error:
        log.warning("admin shutdown failed (%s); signalling pid %d", error, running.pid)
    if not poll_until(lambda: not pid_alive(running.pid), SHUTDOWN_TIMEOUT):
        _terminate(running.pid)
    return running.pid


def _terminate(pid: int) -> None:
    """SIGTERM, then SIGKILL; raises if the process still lives."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return
        if poll_until(lambda: not pid_alive(pid), SIGNAL_TIMEOUT):
            return
    raise SandboxError(f"sandbox pid {pid} survived SIGKILL")
