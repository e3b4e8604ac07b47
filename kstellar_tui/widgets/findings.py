"""Lint findings under an editor, one per line; choosing one puts the editor's cursor on its line."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kstellar_tui.core.fleet.lint import ERROR, Finding, LintReport


def finding_line(finding: Finding) -> str:
    where = f"line {finding.source.line}: " if finding.source is not None else ""
    return f"{where}{finding.severity}[{finding.rule}] {finding.subject}: {finding.message} — {finding.fix}"


class FindingList(OptionList):
    """Shows a `LintReport` (or a problem that stopped lint); posts `Jump(line)` when one is chosen."""

    DEFAULT_CSS = """
    FindingList {
        height: auto; max-height: 10; border: none; border-top: hkey $panel; padding: 0 1;
        & > .option-list--option { padding: 0; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)

    class Jump(Message):
        def __init__(self, line: int) -> None:
            super().__init__()
            self.line = line

    def show_report(self, report: LintReport, what: str) -> None:
        """`what` names what was linted, e.g. "3 documents"."""
        self.clear_options()
        head = "✗" if report.errors else "✓"
        self.add_option(Option(f"{head} {what}: {report.summary()}", disabled=True))
        for finding in sorted(report.findings, key=lambda f: (f.severity != ERROR, f.source.line if f.source else 0)):
            line = finding.source.line if finding.source is not None else 0
            self.add_option(Option(finding_line(finding), id=f"line-{line}-{self.option_count}"))
        for note in report.notes:
            self.add_option(Option(f"note: {note}", disabled=True))

    def show_problem(self, text: str) -> None:
        self.clear_options()
        self.add_option(Option(f"✗ {text}", disabled=True))

    @property
    def lines(self) -> list[str]:
        """What the list shows, one string per entry (for tests and screenshots)."""
        return [str(self.get_option_at_index(i).prompt) for i in range(self.option_count)]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Jump(int(event.option.id.split("-")[1])))
