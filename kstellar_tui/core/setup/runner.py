"""The engine that walks a plan: skip what is done, run what is not, wait for what must settle,
stop at the first failure with its command, output and a fix hint. Running again resumes there.

The backend decides how a command happens (real CLIs on the host, admin API calls in the
sandbox); checks and waits are the same API reads in both. Everything the user sees passes the
redactor first; a captured secret lives only in this object's memory."""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from kstellar_tui.core.setup.events import (
    Event,
    RunFinished,
    StepDone,
    StepFailed,
    StepOutput,
    StepProgress,
    StepSkipped,
    StepStarted,
)
from kstellar_tui.core.setup.redact import Redactor
from kstellar_tui.core.setup.steps import Check, Kind, Probe, Step, Var, parse_captures, resolve

FAILURE_TAIL = 20


class Backend(Protocol):
    probe: Probe

    def skip_reason(self, step: Step) -> str | None:
        """Why this step has no meaning here (None: it has)."""

    def execute(self, step: Step, argv: list[str], on_line: Callable[[str], None]) -> int:
        """Do the step's command, feeding output lines to `on_line`; the exit code."""

    def interrupt(self) -> None:
        """Stop the command `execute` is running now, if any (called from another thread)."""


class _Cancelled(Exception):
    pass


class SetupRunner:
    """One guided setup. `run()` blocks (run it in a worker thread); `cancel()` may be called from
    any thread; `run()` again resumes at the first step that is not done. With `read_only`, steps
    that are done or only read are walked, and the first change needed stops the run."""

    def __init__(self, steps: Iterable[Step], backend: Backend, emit: Callable[[Event], None], *,
                 poll_interval: float = 1.0, retry_delay: float = 2.0, read_only: bool = False):
        self.steps = list(steps)
        self.read_only = read_only
        self.backend = backend
        self.emit = emit
        self.poll_interval = poll_interval
        self.retry_delay = retry_delay
        self.redact = Redactor()
        self._values: dict[str, str | tuple[str, ...]] = {}
        self._cancel = threading.Event()

    # -- control ---------------------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()
        self.backend.interrupt()

    def run(self, phase: str | None = None) -> bool:
        self._cancel.clear()
        for step in self.steps:
            if phase is not None and step.phase != phase:
                continue
            try:
                if self._cancel.is_set():  # cancelled between two steps
                    raise _Cancelled()
                ok = self._step(step)
            except _Cancelled:
                self.emit(StepFailed(step.id, step.command, None, (), "run again to resume here", "cancelled"))
                self.emit(RunFinished(False, step.id, True))
                return False
            if not ok:
                self.emit(RunFinished(False, step.id, False))
                return False
        self.emit(RunFinished(True, None, False))
        return True

    def survey(self) -> dict[str, str]:
        """Each step's state before running: "done", "todo" or "n/a" (for a first render)."""
        states = {}
        for step in self.steps:
            if self.backend.skip_reason(step):
                states[step.id] = "n/a"
            else:
                check = self._done_check(step)
                states[step.id] = "done" if check is not None and self._holds(check) else "todo"
        return states

    # -- one step --------------------------------------------------------------------------------
    def _step(self, step: Step) -> bool:
        reason = self.backend.skip_reason(step)
        if reason:
            self.emit(StepSkipped(step.id, f"not needed in the sandbox: {reason}"))
            return True
        if step.kind is Kind.CAPTURE and all(c.var.name in self._values for c in step.captures):
            self.emit(StepSkipped(step.id, "already captured in this session"))
            return True
        check = self._done_check(step)
        if check is not None and self._holds(check):
            self.emit(StepSkipped(step.id, f"already done: {check.description}"))
            return True
        if self.read_only and step.mutates:
            self.emit(StepFailed(step.id, step.command, None, (), "start kstellar-tui without --read-only to make "
                                 "changes", "read-only mode: this step would change clusters or the kubeconfig"))
            return False
        self.emit(StepStarted(step.id, step.title, step.command))
        started = time.monotonic()
        if step.kind is not Kind.WAIT and not self._run_command(step):
            return False
        if step.wait is not None and not self._wait(step):
            return False
        self.emit(StepDone(step.id, time.monotonic() - started))
        return True

    @staticmethod
    def _done_check(step: Step) -> Check | None:
        if step.done is not None:
            return step.done
        return step.wait.condition if step.kind is Kind.WAIT and step.wait else None

    def _holds(self, check: Check) -> bool:
        try:
            return check.test(self.backend.probe)
        except Exception:  # an unreachable cluster or a half-written kubeconfig: not done yet
            return False

    def _run_command(self, step: Step) -> bool:
        attempts = 0
        while True:
            code, output = self._execute(step)
            if code == 0:
                return True
            text = "\n".join(output)
            if step.retry is not None and attempts < step.retry.attempts and step.retry.matches(text):
                attempts += 1
                self.emit(StepOutput(step.id, f"(a known race; trying again in {self.retry_delay:g}s, "
                                              f"{attempts}/{step.retry.attempts})"))
                self._pause(self.retry_delay)
                continue
            self.emit(StepFailed(step.id, step.command, code, tuple(output[-FAILURE_TAIL:]), step.hint_for(text),
                                 f"exited with code {code}"))
            return False

    def _execute(self, step: Step) -> tuple[int, list[str]]:
        try:
            if step.derive is not None:
                self._values.update(step.derive(self.backend.probe))
            argv = resolve(step.argv, self._values)
        except KeyError as missing:
            return self._refuse(step, f"${missing.args[0]} is not known yet: its step must run first")
        except Exception as error:  # the reads behind `derive` failed
            return self._refuse(step, self.redact(f"cannot read what the command needs: {error}"))
        if step.derive is not None:
            if any(isinstance(a, Var) and a.many and not self._values[a.name] for a in step.argv):
                self.emit(StepOutput(step.id, "(nothing left to do)"))
                return 0, []
            self.emit(StepOutput(step.id, self.redact(f"$ {shlex.join(argv)}")))
        captured: list[str] = []
        shown: list[str] = []

        def on_line(line: str) -> None:
            if step.kind is Kind.CAPTURE:
                captured.append(line)  # held back until the secrets in it are known
            else:
                shown.append(self.redact(line))
                self.emit(StepOutput(step.id, shown[-1]))

        try:
            code = self.backend.execute(step, argv, on_line)
        except Exception as error:  # a backend that could not even start: report, never raise
            on_line(f"{type(error).__name__}: {error}")
            code = 1
        if self._cancel.is_set():
            raise _Cancelled()
        if step.kind is Kind.CAPTURE:
            code = self._capture(step, code, captured)
            for line in captured:
                shown.append(self.redact(line))
                self.emit(StepOutput(step.id, shown[-1]))
        return code, shown

    def _capture(self, step: Step, code: int, lines: list[str]) -> int:
        values = parse_captures(step.captures, "\n".join(lines)) if code == 0 else {}
        for capture in step.captures:
            if capture.var.secret and capture.var.name in values:
                self.redact.add(values[capture.var.name])
        missing = [c.var.name for c in step.captures if c.var.name not in values]
        if code == 0 and missing:
            lines.append(f"(no usable `clusteradm join` line in the output: cannot read {', '.join(missing)})")
            return 1
        self._values.update(values)
        return code

    def _refuse(self, step: Step, why: str) -> tuple[int, list[str]]:
        self.emit(StepOutput(step.id, why))
        return 1, [why]

    def _wait(self, step: Step) -> bool:
        wait = step.wait
        assert wait is not None
        started = time.monotonic()
        problem = ""
        while True:
            try:
                if wait.condition.test(self.backend.probe):
                    return True
                problem = ""
            except Exception as error:  # keep waiting; say what the reads run into
                problem = self.redact(f"{type(error).__name__}: {error}")[:200]
            elapsed = time.monotonic() - started
            if elapsed >= wait.timeout:
                reason = f"timed out after {wait.timeout:g}s waiting until {wait.condition.description}"
                self.emit(StepFailed(step.id, step.command, None, (problem,) if problem else (), step.hint,
                                     reason))
                return False
            self.emit(StepProgress(step.id, elapsed, wait.timeout,
                                   problem or f"waiting until {wait.condition.description}"))
            self._pause(self.poll_interval)

    def _pause(self, seconds: float) -> None:
        if self._cancel.wait(seconds):
            raise _Cancelled()
