"""What a setup run reports, as plain data: the CLI prints it, the TUI turns it into messages.

Every text field has been through the run's redactor before an event is made."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepStarted:
    step_id: str
    title: str
    command: str


@dataclass(frozen=True)
class StepOutput:
    step_id: str
    line: str


@dataclass(frozen=True)
class StepProgress:
    step_id: str
    elapsed: float
    timeout: float
    detail: str


@dataclass(frozen=True)
class StepSkipped:
    step_id: str
    reason: str


@dataclass(frozen=True)
class StepDone:
    step_id: str
    seconds: float


@dataclass(frozen=True)
class StepFailed:
    step_id: str
    command: str
    exit_code: int | None
    output: tuple[str, ...]
    """The last lines of output, for the failure panel."""
    hint: str
    reason: str


@dataclass(frozen=True)
class RunFinished:
    ok: bool
    failed_step: str | None
    cancelled: bool


Event = StepStarted | StepOutput | StepProgress | StepSkipped | StepDone | StepFailed | RunFinished


def text(event: Event) -> str | None:
    """The event as the lines a log shows (the CLI prints them; the TUI's log appends them)."""
    match event:
        case StepStarted(step_id, title, command):
            return f"▶ [{step_id}] {title}\n  $ {command}"
        case StepOutput(_, line):
            return f"  │ {line}"
        case StepProgress(_, elapsed, timeout, detail):
            return f"  … {elapsed:.0f}s of {timeout:g}s: {detail}"
        case StepSkipped(step_id, reason):
            return f"↷ [{step_id}] skipped: {reason}"
        case StepDone(_, seconds):
            return f"  ✓ done in {seconds:.1f}s"
        case StepFailed(step_id, command, _, output, hint, reason):
            tail = "".join(f"\n  │ {line}" for line in output)
            return f"  ✗ [{step_id}] failed: {reason}\n  command: {command}{tail}\n  fix: {hint}"
        case RunFinished(ok, failed, cancelled):
            if ok:
                return "setup complete"
            return f"setup {'cancelled' if cancelled else 'stopped'} at {failed}; run again to resume there"
    return None
