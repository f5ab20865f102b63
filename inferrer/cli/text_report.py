"""The drift report for people: a rich table of findings and a summary line (``diff
--format text``, the default). The other formats are the library's
(:mod:`inferrer.drift.reporters`); this one lives with the command line, which alone
imports rich."""

from __future__ import annotations

import io
from typing import Final

from inferrer.drift.model import DriftReport, Severity
from inferrer.drift.reporters import summary_line

TEXT: Final = "text"
"""The format name of :func:`render_text`."""

_STYLE: dict[Severity, str] = {"breaking": "bold red", "non-breaking": "yellow", "info": "cyan"}


def render_text(report: DriftReport, width: int = 120, color: bool = False) -> str:
    """For people: a rich table of findings and a summary line."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False
    )
    console.print(Text(f"Drift report: {report.spec} against {report.compared_with}"))
    if not report.findings:
        console.print(Text(f"No drift found. {summary_line(report)}"))
        return buffer.getvalue()
    table = Table(show_lines=False, expand=False)
    for name in ("severity", "rule", "channel", "finding", "pointer"):
        table.add_column(name, overflow="fold")
    for f in report.findings:
        table.add_row(
            Text(f.severity, style=_STYLE[f.severity]),
            Text(f.rule),
            Text(f.channel or ""),
            Text(f.message),
            Text(f.pointer),
        )
    console.print(table)
    console.print(Text(summary_line(report)))
    return buffer.getvalue()
