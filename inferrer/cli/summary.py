"""A table of what was inferred, for people, on stderr."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inferrer.model import TopicMetadata, TopicSummary


def print_summary(summaries: Sequence[TopicSummary], metadata: Mapping[str, TopicMetadata]) -> None:
    """One row per topic: messages, event kinds, content type, key, partitions, problems.

    Problems: undecodable messages (a count), and anomalies of decoded messages
    (``name: count`` pairs, or ``0``). A caption counts the topics whose window held no
    message.
    """
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Inferred topics", title_justify="left")
    for column, justify in (
        ("topic", "left"),
        ("messages", "right"),
        ("event kinds", "left"),
        ("content type", "left"),
        ("key", "left"),
        ("partitions", "right"),
        ("undecodable", "right"),
        ("anomalies", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for s in sorted(summaries, key=lambda s: s.topic):
        md = metadata.get(s.topic)
        key_type = (s.key_schema or {}).get("type", "-") if s.key_schema else s.key_encoding
        table.add_row(
            s.topic,
            str(s.messages),
            ", ".join(k.name for k in s.kinds) or "-",
            s.content_type or "-",
            str(key_type),
            str(md.partitions) if md else "-",
            str(sum(s.undecodable.values())),
            ", ".join(f"{name}: {n}" for name, n in sorted(s.anomalies.items())) or "0",
        )
    empty = sum(1 for s in summaries if s.messages == 0)
    if empty:
        table.caption = (
            f"empty windows: {empty} of {len(summaries)} topics had no message "
            "(the warnings say why)"
        )
        table.caption_justify = "left"
    console = Console(stderr=True)
    if not console.is_terminal:
        console = Console(stderr=True, width=200)
    console.print(table)
