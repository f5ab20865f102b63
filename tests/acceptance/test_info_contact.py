"""``--contact``, ``--license`` and ``-b`` with capture files: what a 2.6 document needs
for the official ruleset's zero warnings, given by the user, never made up."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from inferrer.asyncapi.build import parse_contact, parse_license
from inferrer.errors import UsageError
from tests.bank_helpers import BANK
from tests.kafka_util import run_cli


def test_contact_and_license_parse() -> None:
    assert parse_contact("Payments team") == {"name": "Payments team"}
    assert parse_contact(" Ops , ops@bank.example , https://wiki.bank.example/ops ") == {
        "name": "Ops",
        "email": "ops@bank.example",
        "url": "https://wiki.bank.example/ops",
    }
    assert parse_contact("Ops,https://x.example") == {"name": "Ops", "url": "https://x.example"}
    assert parse_license("Apache-2.0") == {"name": "Apache-2.0"}
    assert parse_license("MIT,https://opensource.org/license/mit") == {
        "name": "MIT",
        "url": "https://opensource.org/license/mit",
    }


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_contact, ",ops@x.example", "needs a name"),
        (parse_contact, "Ops,not an address", "not an email address or an http"),
        (parse_contact, "Ops,a@x.example,b@x.example", "not an email address"),
        (parse_license, "MIT,ftp://x", "not one http"),
        (parse_license, "MIT,https://a,https://b", "not one http"),
    ],
)
def test_malformed_values_are_usage_errors(parse: object, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(text)  # type: ignore[operator]


@pytest.mark.npm
def test_a_2_6_document_from_captures_validates_with_zero_warnings(tmp_path: Path) -> None:
    out = tmp_path / "bank-2.6.yaml"
    args = ["infer", "--from-file", str(BANK / "v1"), "--asyncapi-version", "2.6.0"]
    args += ["-b", "kafka-1.bank.example:9092", "--no-summary", "-o", str(out)]
    args += ["--contact", "Payments team,payments@bank.example,https://wiki.bank.example"]
    args += ["--license", "Apache-2.0,https://www.apache.org/licenses/LICENSE-2.0"]
    done = run_cli(args)
    assert done.returncode == 0, done.stderr
    doc = yaml.safe_load(out.read_text())
    assert doc["info"]["contact"]["email"] == "payments@bank.example"
    assert doc["info"]["license"]["name"] == "Apache-2.0"
    [server] = doc["servers"].values()
    assert server["url"] == "kafka-1.bank.example:9092"
    checked = run_cli(["validate", str(out)])
    assert checked.stdout.strip() == f"{out}: valid (0 errors, 0 warnings)", checked.stdout
    # Without them the ruleset says what is missing; the tool does not invent them.
    bare = tmp_path / "bare.yaml"
    run_cli(
        [
            "infer",
            "--from-file",
            str(BANK / "v1"),
            "--asyncapi-version",
            "2.6.0",
            "--no-summary",
            "-o",
            str(bare),
        ]
    )
    said = run_cli(["validate", str(bare)]).stdout
    assert "asyncapi-info-contact" in said and "asyncapi-servers" in said
