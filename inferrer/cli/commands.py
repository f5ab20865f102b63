"""The commands: which module registers each, and each one's summary (data only, so
that the root ``--help`` lists them without importing any)."""

from __future__ import annotations

COMMAND_MODULES: dict[str, str] = {
    "infer": "inferrer.cli.infer_cmd",
    "diff": "inferrer.cli.diff_cmd",
    "record": "inferrer.cli.record_cmd",
    "replay": "inferrer.cli.replay_cmd",
    "topics": "inferrer.cli.topics_cmd",
    "validate": "inferrer.cli.validate_cmd",
    "watch": "inferrer.cli.watch_cmd",
}
"""Command name → the module that registers it on :data:`app` when imported."""

COMMAND_SUMMARIES: dict[str, str] = {
    "infer": "Sample topics (read-only) and write the AsyncAPI document that describes them.",
    "diff": "Report where traffic (live, or a capture file) or a second spec has drifted "
    "from the committed spec.",
    "record": "Sample topics (read-only, as infer does) into a capture file for offline use.",
    "replay": "Produce capture files into a cluster, creating missing topics as captured.",
    "topics": "List the topics a run would sample (partitions, replication, approximate "
    "messages, cleanup.policy, consumer groups) without reading any message.",
    "validate": "Check AsyncAPI documents with the official @asyncapi/parser (run through node).",
    "watch": "Watch topics continuously as a member of a consumer group: fold every message, "
    "write snapshots, and report drift from a spec as it happens.",
}
"""Each command's one-line summary, for the root ``--help`` without importing the
commands (a test holds them to the commands' own docstrings)."""
