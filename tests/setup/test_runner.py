"""The engine's rules, against an in-memory backend: skip, run, wait, capture, refuse."""

from __future__ import annotations

from collections.abc import Callable

from kstellar_tui.core.setup import events as ev
from kstellar_tui.core.setup.runner import SetupRunner
from kstellar_tui.core.setup.steps import Capture, Check, HostOnly, Kind, Poll, Retry, Step, Var, Wait

TOKEN = Var("TOKEN", secret=True)


class World:
    """A probe over a dict of facts, and a backend whose commands are Python callables."""

    def __init__(self, commands: dict[str, Callable[[Callable[[str], None]], int]]):
        self.facts: dict[str, bool] = {}
        self.commands = commands
        self.ran: list[list[str]] = []
        self.probe = self

    def skip_reason(self, step: Step) -> str | None:
        return None

    def interrupt(self) -> None:
        pass

    def execute(self, step: Step, argv: list[str], on_line: Callable[[str], None]) -> int:
        self.ran.append(argv)
        return self.commands[argv[0]](on_line)


def fact(name: str) -> Check:
    return Check(f"{name} holds", lambda world: world.facts.get(name, False))


def runner(world: World, steps: list[Step], **kw) -> tuple[SetupRunner, list[ev.Event]]:
    events: list[ev.Event] = []
    return SetupRunner(steps, world, events.append, poll_interval=0.01, retry_delay=0.01, **kw), events


def test_read_only_walks_what_is_done_and_stops_before_the_first_change() -> None:
    world = World({"make": lambda out: 0})
    world.facts["a"] = True
    steps = [Step("a", "core", "made already", ("make", "a"), HostOnly(""), done=fact("a")),
             Step("b", "core", "to make", ("make", "b"), HostOnly(""), done=fact("b"))]
    run, events = runner(world, steps, read_only=True)
    assert not run.run()
    assert world.ran == []
    failure = next(e for e in events if isinstance(e, ev.StepFailed))
    assert failure.step_id == "b" and failure.reason.startswith("read-only mode")
    assert isinstance(events[0], ev.StepSkipped)


def test_a_capture_without_its_line_fails_and_still_hides_the_token() -> None:
    world = World({"clusteradm": lambda out: out("token=abc.secret") or 0})
    step = Step("token", "wecs", "token", ("clusteradm", "get", "token"), Poll(), kind=Kind.CAPTURE, mutates=False,
                captures=(Capture(TOKEN, "--hub-token"),), hint="is it a hub?")
    run, events = runner(world, [step])
    assert not run.run()
    assert "abc.secret" not in repr(events)
    failure = next(e for e in events if isinstance(e, ev.StepFailed))
    assert failure.output == ("token=***", "(no usable `clusteradm join` line in the output: cannot read TOKEN)")
    assert failure.hint == "is it a hub?"


def test_captured_values_feed_later_commands_and_stay_redacted() -> None:
    line = "clusteradm join --hub-token abc.secret --hub-apiserver https://hub --cluster-name <cluster_name>"
    world = World({"clusteradm": lambda out: out(line) or 0, "join": lambda out: out("used abc.secret") or 0})
    steps = [Step("token", "wecs", "token", ("clusteradm",), Poll(), kind=Kind.CAPTURE, mutates=False,
                  captures=(Capture(TOKEN, "--hub-token"),)),
             Step("join", "wecs", "join", ("join", "--hub-token", TOKEN), HostOnly(""))]
    run, events = runner(world, steps)
    assert run.run()
    assert world.ran[-1] == ["join", "--hub-token", "abc.secret"]
    assert "abc.secret" not in repr(events)
    assert ev.StepOutput("join", "used ***") in events


def test_a_value_nobody_captured_is_refused_before_running() -> None:
    world = World({"join": lambda out: 0})
    run, events = runner(world, [Step("join", "wecs", "join", ("join", TOKEN), HostOnly(""))])
    assert not run.run() and world.ran == []
    assert "$TOKEN is not known yet" in repr(events)


def test_a_wait_reports_progress_then_times_out_with_its_hint() -> None:
    world = World({})
    step = Step("w", "core", "wait", ("kubectl", "wait"), Poll(), kind=Kind.WAIT, mutates=False,
                wait=Wait(fact("ready"), 0.05), hint="look at the pods")
    run, events = runner(world, [step])
    assert not run.run()
    assert any(isinstance(e, ev.StepProgress) for e in events)
    failure = next(e for e in events if isinstance(e, ev.StepFailed))
    assert failure.reason == "timed out after 0.05s waiting until ready holds" and failure.hint == "look at the pods"


def test_known_races_are_retried_and_other_failures_are_not() -> None:
    attempts = []

    def flaky(out: Callable[[str], None]) -> int:
        attempts.append(1)
        out("Error: fail to get managedcluster c1" if len(attempts) < 3 else "ok")
        return 1 if len(attempts) < 3 else 0

    step = Step("accept", "wecs", "accept", ("accept",), HostOnly(""), retry=Retry(("fail to get managedcluster",)))
    run, events = runner(World({"accept": flaky}), [step])
    assert run.run() and len(attempts) == 3
    broken = Step("x", "wecs", "x", ("x",), HostOnly(""), retry=Retry(("fail to get managedcluster",)),
                  hints=(("denied", "ask for access"),), hint="generic")
    run, events = runner(World({"x": lambda out: out("Error: access denied") or 2}), [broken])
    assert not run.run()
    failure = next(e for e in events if isinstance(e, ev.StepFailed))
    assert (failure.exit_code, failure.hint) == (2, "ask for access")


def test_survey_tells_done_from_todo() -> None:
    world = World({})
    world.facts["a"] = True
    steps = [Step("a", "core", "a", ("a",), HostOnly(""), done=fact("a")),
             Step("b", "core", "b", ("b",), HostOnly(""), done=fact("b"))]
    run, _ = runner(world, steps)
    assert run.survey() == {"a": "done", "b": "todo"}
