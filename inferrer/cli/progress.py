"""A progress bar on stderr (sampling, reading capture files, inferring), shown only when
stderr is a terminal: never in a pipe or a log."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from inferrer.kafka.plan import ProgressCallback, SampleProgress

_WORDS = {
    "messages": ("sampling", "topics"),
    "bytes": ("reading", "files"),
    "topics": ("inferring", "topics"),
}


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f}"


@contextmanager
def sampling_progress(enabled: bool | None = None) -> Iterator[ProgressCallback | None]:
    """Yield a callback for :func:`~inferrer.kafka.sampler.sample_topics` that drives a
    rich progress bar on stderr, or None when stderr is not a terminal (quiet)."""
    from inferrer.cli.logs import info_enabled

    show = sys.stderr.isatty() and info_enabled() if enabled is None else enabled
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.fields[what]} {task.fields[topics]}"),
        BarColumn(),
        TextColumn("{task.fields[amount]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("sample", total=None, topics="", what="sampling", amount="")
        shown = ["sampling"]

        def update(p: SampleProgress) -> None:
            what, of = _WORDS[p.unit]
            # The bar redraws itself ten times a second; a phase that starts (or ends)
            # between two redraws is drawn at once, so even a short phase is seen.
            first = what != shown[0]
            shown[0] = what
            total = max(p.expected, p.received)
            if p.unit == "bytes":
                amount = f"{_megabytes(p.received)}/{_megabytes(total)} MB"
            else:
                amount = f"{p.received}/{total}"
            bar.update(
                task,
                completed=p.received,
                total=total or None,
                what=what,
                topics=f"{p.topics_done}/{p.topics} {of}",
                amount=amount,
                refresh=first or (total > 0 and p.received >= total),
            )

        yield update
