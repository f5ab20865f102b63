"""The analyst API: frames checked against numbers counted independently from the fixtures."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import inferrer
from inferrer import (
    FIELD_COLUMNS,
    FINDING_COLUMNS,
    TOPIC_COLUMNS,
    TYPE_COLUMNS,
    Observed,
    drift_between,
    fields_frame,
    findings_frame,
    load_captures,
    load_live,
    load_observations_from,
    load_saved,
    topics_frame,
    types_frame,
)
from inferrer.errors import ObservationError, UsageError
from inferrer.kafka.sampler import SampleConfig
from tests.cli_inprocess import run_cli
from tests.kafka_util import plain

ROOT = Path(__file__).resolve().parents[3]
V1 = ROOT / "fixtures" / "bank" / "v1"
V2 = ROOT / "fixtures" / "bank" / "v2"
PAYMENT_KINDS = ("PaymentAuthorized", "PaymentFailed", "PaymentInitiated", "PaymentSettled")


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The capture file's records, parsed here without inferrer."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def payloads(path: Path) -> list[Any]:
    """Each record's payload, JSON-decoded (None for a tombstone)."""
    records = read_lines(path)
    return [None if r.get("payload") is None else json.loads(r["payload"]) for r in records]


@pytest.fixture(scope="module")
def v1() -> Observed:
    return load_captures(V1)


@pytest.fixture(scope="module")
def v1_topics(v1: Observed) -> pd.DataFrame:
    return topics_frame(v1)


@pytest.fixture(scope="module")
def v1_fields(v1: Observed) -> pd.DataFrame:
    return fields_frame(v1)


@pytest.fixture(scope="module")
def drift() -> pd.DataFrame:
    return findings_frame(drift_between(V1, V2))


def row(frame: pd.DataFrame, **where: Any) -> pd.Series[Any]:
    """The one row matching every column=value given."""
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    found = frame[mask]
    assert len(found) == 1, f"{len(found)} rows match {where}"
    return found.iloc[0]


# -- topics ------------------------------------------------------------------------------


def test_topics_frame_columns_and_one_sorted_row_per_capture_file(
    v1_topics: pd.DataFrame,
) -> None:
    assert list(v1_topics.columns) == list(TOPIC_COLUMNS)
    files = sorted(p.name.removesuffix(".jsonl") for p in V1.glob("*.jsonl"))
    assert list(v1_topics.topic) == files
    assert len(files) == 12


def test_topics_frame_payments_counted_from_the_file(v1_topics: pd.DataFrame) -> None:
    lines = read_lines(V1 / "bank.payments.jsonl")
    sidecar = json.loads((V1 / "bank.payments.topics.json").read_text())["topics"]
    payments = row(v1_topics, topic="bank.payments")
    assert payments.messages == len(lines) == 409
    assert payments.event_kinds == PAYMENT_KINDS
    assert payments.kinds == 4
    assert {json.loads(r["payload"])["eventType"] for r in lines} == set(PAYMENT_KINDS)
    assert payments.partitions == sidecar["bank.payments"]["partitions"] == 6
    assert payments.replication_factor == sidecar["bank.payments"]["replication_factor"]
    assert payments.partitions_seen == len({r["partition"] for r in lines})
    assert payments.content_type == "application/json"
    assert payments.key_type == "string"
    assert payments.undecodable == 0
    assert payments.undecodable_reasons == ""
    stamps = [r["ts"] for r in lines]
    assert payments.first_timestamp == pd.Timestamp(min(stamps), unit="ms", tz="UTC")
    assert payments.last_timestamp == pd.Timestamp(max(stamps), unit="ms", tz="UTC")
    span = (max(stamps) - min(stamps)) / 1000
    assert payments.rate_per_second == pytest.approx(len(lines) / span, abs=1e-3)


def test_topics_frame_other_topics(v1_topics: pd.DataFrame) -> None:
    profile = read_lines(V1 / "bank.customers.profile.jsonl")
    assert row(v1_topics, topic="bank.customers.profile").tombstones == sum(
        1 for r in profile if r.get("payload") is None
    )
    assert row(v1_topics, topic="bank.customers.profile").tombstones == 11
    assert row(v1_topics, topic="bank.customers.profile").key_format == "uuid"
    audit = row(v1_topics, topic="bank.audit.log")
    assert (audit.content_type, audit.encoding) == ("text/plain", "text")
    assert pd.isna(audit.key_type)
    assert row(v1_topics, topic="bank.connect.branches").envelope == "kafka-connect"
    push = row(v1_topics, topic="bank.notifications.push")
    assert push.envelope == "cloudevents-binary"
    ce_types = {
        dict(zip(r["headers"][::2], r["headers"][1::2], strict=True))["ce_type"]
        for r in read_lines(V1 / "bank.notifications.push.jsonl")
    }
    assert push.kinds == len(ce_types) == 3


def test_empty_frames_keep_their_columns_and_dtypes(v1_topics: pd.DataFrame) -> None:
    empty = topics_frame([])
    assert list(empty.columns) == list(TOPIC_COLUMNS)
    assert empty.empty
    assert dict(empty.dtypes) == dict(v1_topics.dtypes)
    assert list(fields_frame([]).columns) == list(FIELD_COLUMNS)
    assert list(types_frame([]).columns) == list(TYPE_COLUMNS)


# -- fields ------------------------------------------------------------------------------


def test_fields_frame_columns_and_sorted_rows(v1_fields: pd.DataFrame) -> None:
    assert list(v1_fields.columns) == list(FIELD_COLUMNS)
    keys = list(zip(v1_fields.topic, v1_fields.kind, v1_fields.path, strict=True))
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_fields_frame_presence_of_optional_fields_counted_from_the_file(
    v1_fields: pd.DataFrame,
) -> None:
    events = [p for p in payloads(V1 / "bank.payments.jsonl") if p is not None]
    initiated = [p for p in events if p["eventType"] == "PaymentInitiated"]
    settled = [p for p in events if p["eventType"] == "PaymentSettled"]
    with_reference = sum(1 for p in initiated if "reference" in p)
    with_fee = sum(1 for p in settled if "fee" in p)
    assert 0 < with_reference < len(initiated)

    reference = row(v1_fields, topic="bank.payments", kind="PaymentInitiated", path="/reference")
    assert (reference.present, reference.messages) == (with_reference, len(initiated))
    assert reference.presence_ratio == pytest.approx(with_reference / len(initiated), abs=1e-6)
    assert reference.depth == 1
    assert reference.types == "string"
    fee = row(v1_fields, topic="bank.payments", kind="PaymentSettled", path="/fee")
    assert fee.presence_ratio == pytest.approx(with_fee / len(settled), abs=1e-6)
    assert fee.types == "number"
    amount = row(v1_fields, topic="bank.payments", kind="PaymentSettled", path="/amount")
    assert amount.presence_ratio == 1.0
    assert amount.minimum == min(p["amount"] for p in settled)
    assert amount.maximum == max(p["amount"] for p in settled)


def test_fields_frame_nulls_enums_formats_counted_from_the_file(
    v1_fields: pd.DataFrame,
) -> None:
    events = [p for p in payloads(V1 / "bank.payments.jsonl") if p is not None]
    authorized = [p for p in events if p["eventType"] == "PaymentAuthorized"]
    exemptions = [p["authorization"]["scaExemption"] for p in authorized]
    sca = row(
        v1_fields,
        topic="bank.payments",
        kind="PaymentAuthorized",
        path="/authorization/scaExemption",
    )
    assert sca.null_ratio == pytest.approx(exemptions.count(None) / len(exemptions), abs=1e-6)
    assert sca.types == "null|string"
    assert sca.depth == 2
    method = row(
        v1_fields, topic="bank.payments", kind="PaymentAuthorized", path="/authorization/method"
    )
    methods = sorted({p["authorization"]["method"] for p in authorized})
    assert method.enum == tuple(methods)
    assert method.distinct == len(methods)
    event_id = row(v1_fields, topic="bank.payments", kind="PaymentAuthorized", path="/eventId")
    assert event_id.format == "uuid"
    assert event_id.distinct == len({p["eventId"] for p in authorized})
    assert event_id.enum is None
    assert (event_id.min_length, event_id.max_length) == (36, 36)


def test_fields_frame_one_topic(v1: Observed, v1_fields: pd.DataFrame) -> None:
    payments = fields_frame(v1, topic="bank.payments")
    assert set(payments.topic) == {"bank.payments"}
    assert set(payments.kind) == set(PAYMENT_KINDS)
    expected = v1_fields[v1_fields.topic == "bank.payments"].reset_index(drop=True)
    pd.testing.assert_frame_equal(payments, expected)


# -- types -------------------------------------------------------------------------------


def test_types_frame_counts_each_json_type(v1: Observed) -> None:
    types = types_frame(v1)
    assert list(types.columns) == list(TYPE_COLUMNS)
    events = [p for p in payloads(V1 / "bank.accounts.balance-updated.jsonl") if p is not None]
    ids = [p["cause"]["transactionId"] for p in events]
    nulls = ids.count(None)
    strings = sum(1 for i in ids if isinstance(i, str))
    assert nulls > 0 and strings > 0
    mix = types[
        (types.topic == "bank.accounts.balance-updated") & (types.path == "/cause/transactionId")
    ]
    assert list(mix.type) == ["null", "string"]
    assert list(mix["count"]) == [nulls, strings]
    assert list(mix.share) == pytest.approx([nulls / len(ids), strings / len(ids)])
    per_path = types.groupby(["topic", "kind", "path"]).share.sum()
    assert per_path.to_numpy() == pytest.approx(1.0)


# -- findings ----------------------------------------------------------------------------


def test_findings_frame_v1_to_v2_amount_type_change_is_breaking(drift: pd.DataFrame) -> None:
    assert list(drift.columns) == list(FINDING_COLUMNS)
    initiated_v2 = [
        p
        for p in payloads(V2 / "bank.payments.jsonl")
        if p is not None and p["eventType"] == "PaymentInitiated"
    ]
    as_text = sum(1 for p in initiated_v2 if isinstance(p["amount"], str))
    assert as_text == len(initiated_v2) > 0
    amount = row(
        drift,
        channel="bank.payments",
        kind="PaymentInitiated",
        pointer="/components/schemas/PaymentInitiated/properties/amount",
    )
    assert amount.severity == "breaking"
    assert amount.rule == "traffic-type-changed"
    assert amount["where"] == "payload"
    assert (amount.before, amount.after) == (["number"], ["string"])
    assert amount.evidence_count == as_text
    assert amount.evidence_ratio == 1.0
    assert amount.id.startswith("D")


def test_findings_frame_new_kind_and_order(drift: pd.DataFrame) -> None:
    v1_kinds = {p["eventType"] for p in payloads(V1 / "bank.payments.jsonl") if p}
    v2_kinds = Counter(p["eventType"] for p in payloads(V2 / "bank.payments.jsonl") if p)
    [new] = set(v2_kinds) - v1_kinds
    refunded = row(drift, channel="bank.payments", rule="kind-undocumented")
    assert (refunded.kind, refunded.after, refunded.severity) == (new, new, "non-breaking")
    assert refunded.evidence_count == v2_kinds[new]
    assert drift.severity.cat.ordered
    assert list(drift.severity.cat.categories) == ["breaking", "non-breaking", "info"]
    ranks = list(drift.severity.cat.codes)
    assert ranks == sorted(ranks)
    assert set(drift[drift.severity <= "non-breaking"].severity) == {"breaking", "non-breaking"}


def test_drift_between_a_committed_spec_file_and_documents(tmp_path: Path, v1: Observed) -> None:
    spec = tmp_path / "asyncapi.yaml"
    spec.write_text(yaml.safe_dump(v1.to_document()), encoding="utf-8")
    from_file = findings_frame(drift_between(spec, V2))
    inferred = findings_frame(drift_between(V1, V2))
    pd.testing.assert_frame_equal(from_file, inferred)
    # The same traffic the spec was inferred from does not drift from it.
    same = findings_frame(drift_between(spec, V1))
    assert same[same.severity <= "non-breaking"].empty
    # Spec against spec: identical documents, no finding; the frame keeps its columns.
    none = findings_frame(drift_between(v1, v1.to_document()))
    assert none.empty
    assert list(none.columns) == list(FINDING_COLUMNS)
    assert str(none.severity.dtype) == "category"


def test_drift_between_filters_topics() -> None:
    report = drift_between(V1, V2, topics=["bank.payments"])
    assert {f.channel for f in report.findings} == {"bank.payments"}


# -- loaders -----------------------------------------------------------------------------


def test_saved_observations_give_the_same_frames(tmp_path: Path, v1: Observed) -> None:
    path = tmp_path / "observed.json"
    v1.save(path)
    saved = load_saved(path)
    assert saved.metadata == {}
    assert load_observations_from(path).summaries == saved.summaries
    pd.testing.assert_frame_equal(fields_frame(saved), fields_frame(v1))
    topics = topics_frame(saved)
    assert topics.partitions.isna().all()
    same = topics_frame(saved, v1.metadata)
    live = topics_frame(v1)
    # Saved observations hold no writer schemas: the Avro topic (bank.fx.rates) is
    # described by its decoded values there, by its registry schema from the captures
    # and their schema sidecar.
    registry = live.content_type == "application/vnd.confluent.avro"
    assert list(live.topic[registry]) == ["bank.fx.rates"]
    assert list(same.content_type[registry]) == ["application/json"]
    pd.testing.assert_frame_equal(
        same[~registry].reset_index(drop=True), live[~registry].reset_index(drop=True)
    )


def test_load_observations_from_files_folders_and_lists(v1: Observed) -> None:
    one = load_observations_from(V1 / "bank.payments.jsonl")
    assert one.topics == ("bank.payments",)
    assert one.summaries == (v1.summary("bank.payments"),)
    two = load_observations_from([V1 / "bank.payments.jsonl", V1 / "bank.audit.log.jsonl"])
    assert two.topics == ("bank.audit.log", "bank.payments")
    assert load_observations_from(v1) is v1
    assert load_observations_from(str(V1)).summaries == v1.summaries
    only = load_observations_from(V1, topics=["bank.cust*"], exclude=["*.profile"])
    assert only.topics == ("bank.customers.address-changed",)


def test_loader_errors_are_domain_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as e:
        load_captures(tmp_path)
    assert str(e.value) == f"no *.jsonl capture file in folder {tmp_path}"
    with pytest.raises(UsageError) as e:
        load_captures([])
    assert str(e.value) == "no capture file given"
    with pytest.raises(UsageError) as e:
        load_captures(V1, topics=["crm.*"])
    assert str(e.value) == "no topic in the capture file(s) matches crm.*"
    with pytest.raises(ObservationError) as e2:
        load_saved(tmp_path / "missing.json")
    assert (
        str(e2.value) == f"cannot read observations file {tmp_path / 'missing.json'}: no such file"
    )
    config = SampleConfig(client=plain("localhost:1"))
    with pytest.raises(UsageError) as e:
        load_live("localhost:1", config=config)
    assert str(e.value) == "give either config or bootstrap/topics/exclude/settings, not both"


def test_summary_of_an_unobserved_topic(v1: Observed) -> None:
    with pytest.raises(KeyError, match=r"crm\.x"):
        v1.summary("crm.x")


# -- import cost -------------------------------------------------------------------------


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return set(out.split())


@pytest.mark.parametrize("argv", [["--help"], ["diff", "--help"], ["infer", "--help"]])
def test_the_command_line_does_not_import_pandas(argv: list[str]) -> None:
    loaded = _modules_after(
        "import contextlib, io\n"
        "from inferrer.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit as e:\n"
        "        assert e.code == 0, e.code\n"
    )
    # The command that runs is loaded; the top-level --help loads none (see
    # tests/acceptance/test_cli_startup.py).
    if argv[0] == "--help":
        assert not any(m.endswith("_cmd") for m in loaded)
    else:
        assert f"inferrer.cli.{argv[0]}_cmd" in loaded
    assert "pandas" not in loaded
    assert "inferrer.frames" not in loaded


def test_the_analyst_api_loads_pandas_on_first_use() -> None:
    assert "pandas" not in _modules_after("import inferrer")
    assert "pandas" in _modules_after("from inferrer import topics_frame")
    with pytest.raises(AttributeError, match="module 'inferrer' has no attribute 'nothing'"):
        inferrer.nothing  # type: ignore[attr-defined]  # noqa: B018


def test_the_evidence_file_reads_as_a_frame_that_agrees_with_the_observations(
    v1: Observed, v1_fields: pd.DataFrame, tmp_path: Path
) -> None:
    from inferrer import EVIDENCE_COLUMNS, evidence_frame

    out = tmp_path / "asyncapi.yaml"
    proc = run_cli("--from-file", str(V1), "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    frame = evidence_frame(out)  # the document: its evidence file is found beside it
    assert list(frame.columns) == list(EVIDENCE_COLUMNS)
    assert frame.equals(evidence_frame(tmp_path / "asyncapi.evidence.json"))
    settled = frame[frame["message"] == "PaymentSettled"].set_index("path")
    observed = v1_fields[v1_fields["kind"] == "PaymentSettled"].set_index("path")
    assert set(settled.index) == set(observed.index)
    for path, row in settled.iterrows():
        assert row["presence_ratio"] == round(observed.loc[path, "presence_ratio"], 4), path
        assert row["distinct"] == observed.loc[path, "distinct"], path
        assert row["messages"] == observed.loc[path, "messages"], path
    assert list(evidence_frame({"inferrerEvidence": 1, "nodes": {}}).columns) == list(
        EVIDENCE_COLUMNS
    )
