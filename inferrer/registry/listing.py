"""Which subjects and versions the registry holds for each topic (``topics``)."""

from __future__ import annotations

from collections.abc import Iterable

from inferrer.registry.client import RegistryClient


def topic_subjects(
    client: RegistryClient, topics: Iterable[str]
) -> dict[str, dict[str, list[int]]]:
    """Per topic, its subjects (``topic-key``, ``topic-value``, and ``topic-Record`` of
    TopicRecordNameStrategy) with their versions. Subjects of RecordNameStrategy name no
    topic, so only traffic can tie them to one (``infer`` does)."""
    subjects = client.subjects()
    found: dict[str, dict[str, list[int]]] = {}
    for topic in topics:
        mine = [s for s in subjects if s.startswith(topic + "-")]
        # A longer topic name with this one as prefix (bank.payments-eu) owns its own
        # subjects: keep only those no longer topic claims.
        longer = [t for t in topics if t != topic and t.startswith(topic + "-")]
        mine = [s for s in mine if not any(s.startswith(t + "-") for t in longer)]
        found[topic] = {s: client.versions(s) for s in sorted(mine)}
    return found
