"""A sampling progress bar on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from inferrer.kafka.plan import ProgressCallback, SampleProgress


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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("sampling {task.fields[topics]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("sample", total=None, topics="")

        def update(p: SampleProgress) -> None:
            bar.update(
                task,
                completed=p.received,
                total=max(p.expected, p.received),
                topics=f"{p.topics_done}/{p.topics} topics",
            )

        yield update
