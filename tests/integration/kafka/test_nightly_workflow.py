"""The nightly drift job in docs/nightly-drift.yml, run as GitHub would run its steps.

The test runs the "Install inferrer" step's script as written, against a wheel built
from this checkout (``pip wheel . --no-deps``) into a fresh virtual environment, then
takes the "Drift report" step's script and runs it with bash, with the installed
command first on PATH (as GitHub applies ``$GITHUB_PATH`` between steps), against the
real broker carrying drifted traffic (v1, then v2 of the bank fixtures), in a folder
holding the committed spec, with the GitHub variables the steps read pointing at files.
The one edit: the shared test broker holds the bank topics under a fresh prefix, so the
topic pattern gets that prefix.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.bank_helpers import GOLDEN, ROOT, V1, V2, fresh_prefix, prefixed, replay_bank
from tests.conftest import KafkaCluster

WORKFLOW = ROOT / "docs" / "nightly-drift.yml"
DRIFT_DOC = ROOT / "docs" / "drift.md"
PATTERN = "--topics 'bank.*'"


def _steps() -> dict[str, dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return {step["name"]: step for step in workflow["jobs"]["drift"]["steps"] if "name" in step}


def _diff_command(script: str) -> str:
    """The `infer-asyncapi diff ...` command of a script, continuation lines joined."""
    joined = script.replace("\\\n", " ")
    match = re.search(r"infer-asyncapi diff [^\n|]*?(?=\s*(\|\||\n|$))", joined)
    assert match, script
    return " ".join(match.group(0).split())


def _bash(
    script: Path, cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    # GitHub runs a `run:` script with `bash --noprofile --norc -eo pipefail {0}`.
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The "Install inferrer" step, run as written, with INFERRER_PACKAGE a wheel built
    from this checkout: the bin directory it added to $GITHUB_PATH."""
    root = tmp_path_factory.mktemp("install")
    wheels = root / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "-w", str(wheels), "--no-deps", "-q"],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("inferrer-*.whl")
    script = root / "install.sh"
    script.write_text(_steps()["Install inferrer"]["run"])
    (root / "runner").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {
        "INFERRER_PACKAGE": str(wheel),
        "RUNNER_TEMP": str(root / "runner"),
        "GITHUB_PATH": str(root / "github_path"),
        "PATH": os.pathsep.join(
            p for p in env["PATH"].split(os.pathsep) if Path(p) != Path(sys.executable).parent
        ),
    }
    proc = _bash(script, root, env, timeout=900)
    assert proc.returncode == 0, proc.stderr
    (added,) = (root / "github_path").read_text().splitlines()
    command = Path(added) / "infer-asyncapi"
    assert command.is_file() and Path(added).is_relative_to(root / "runner")
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("infer-asyncapi ")
    return Path(added)


def test_the_install_step_fails_clearly_without_its_variable(tmp_path: Path) -> None:
    script = tmp_path / "install.sh"
    script.write_text(_steps()["Install inferrer"]["run"])
    env = {k: v for k, v in os.environ.items() if k != "INFERRER_PACKAGE"}
    env |= {"RUNNER_TEMP": str(tmp_path), "GITHUB_PATH": str(tmp_path / "p")}
    proc = _bash(script, tmp_path, env, timeout=60)
    assert proc.returncode != 0
    assert "set the repository variable INFERRER_PACKAGE" in proc.stderr
    assert "pip install inferrer\n" not in WORKFLOW.read_text()


@pytest.fixture(scope="module")
def drifted(kafka: KafkaCluster) -> str:
    """The v1 and then the v2 bank traffic under a fresh prefix."""
    prefix = fresh_prefix()
    replay_bank(kafka.bootstrap, V1, prefix)
    replay_bank(kafka.bootstrap, V2, prefix)
    return prefix


def _run_step(
    tmp_path: Path, prefix: str, env: dict[str, str], installed: Path
) -> subprocess.CompletedProcess[str]:
    script = _steps()["Drift report"]["run"]
    assert script.count(PATTERN) == 1
    (tmp_path / "step.sh").write_text(script.replace(PATTERN, f"--topics '{prefix}bank.*'"))
    (tmp_path / "asyncapi.yaml").write_text(prefixed(GOLDEN.read_text(), prefix))
    (tmp_path / "runner").mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
    full_env = {
        **base,
        "PATH": f"{installed}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md"),
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "KAFKA_SASL_USERNAME": "",
        "KAFKA_SASL_PASSWORD": "",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        **env,
    }
    return _bash(tmp_path / "step.sh", tmp_path, full_env, timeout=120)


def _check_report(tmp_path: Path, prefix: str) -> None:
    assert (tmp_path / "github_output").read_text() == "exit_code=1\n"
    report = (tmp_path / "drift.md").read_text()
    assert (tmp_path / "step_summary.md").read_text() == report
    assert report.startswith("## Drift report: `asyncapi.yaml` against `live sample of ")
    assert "5 breaking, 2 non-breaking, 0 info (compatibility BACKWARD)" in report
    assert "\n| breaking | 5 | " in report and "\n### breaking (5)\n" in report
    p = prefix
    for finding in (
        f"| `traffic-type-widened` | {p}bank.payments | payload | "
        "`/components/schemas/PaymentInitiated/properties/amount` | "
        f"{p}bank.payments PaymentInitiated payload /amount: type ['number'] documented, "
        "['number', 'string'] seen (70 of 211 values) |",
        f"| `kind-undocumented` | {p}bank.payments | messages | "
        f"`/channels/{p}bank.payments/messages` | topic {p}bank.payments: event kind "
        "PaymentRefunded is not documented (9 messages) |",
        f"| `property-new` | {p}bank.cards.transactions | payload | "
        "`/components/schemas/CardTransaction/properties/merchant/properties/logoUrl` |",
        f"| `required-missing` | {p}bank.accounts.balance-updated | payload | "
        "`/components/schemas/BalanceUpdated/properties/iban` |",
        f"| `enum-value-new` | {p}bank.offers.personalized | payload | "
        "`/components/schemas/OfferPersonalized/properties/channel` |",
    ):
        assert finding in report
    assert "validation-failure" not in report  # each cause above is reported once


def test_the_job_fails_only_on_breaking_drift() -> None:
    steps = _steps()
    fail = steps["Fail on breaking drift"]
    assert (fail["if"], fail["run"].strip()) == ("steps.drift.outputs.exit_code == '1'", "exit 1")
    assert "--fail-on breaking" in _diff_command(steps["Drift report"]["run"])


@pytest.mark.kafka
def test_nightly_step_reports_breaking_drift(
    kafka: KafkaCluster, drifted: str, tmp_path: Path, installed: Path
) -> None:
    proc = _run_step(tmp_path, drifted, {"BROKERS": kafka.bootstrap}, installed)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("drift: 5 breaking, 2 non-breaking, 0 info; report written to")
    _check_report(tmp_path, drifted)
    assert not (tmp_path / "runner" / "kafka.properties").exists()


@pytest.mark.kafka
def test_nightly_step_logs_in_with_the_sasl_secrets(
    kafka: KafkaCluster, drifted: str, tmp_path: Path, installed: Path
) -> None:
    sasl = kafka.sasl_config("alice")
    proc = _run_step(
        tmp_path,
        drifted,
        {
            "BROKERS": sasl["bootstrap.servers"],
            "KAFKA_SASL_USERNAME": "alice",
            "KAFKA_SASL_PASSWORD": sasl["sasl.password"],
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        },
        installed,
    )
    assert proc.returncode == 0, proc.stderr
    _check_report(tmp_path, drifted)
    properties = tmp_path / "runner" / "kafka.properties"
    assert properties.stat().st_mode & 0o077 == 0  # private to the runner's user
    for written in (proc.stdout, proc.stderr, (tmp_path / "drift.md").read_text()):
        assert sasl["sasl.password"] not in written


@pytest.mark.kafka
def test_step_with_a_wrong_password_fails_the_job(
    kafka: KafkaCluster, drifted: str, tmp_path: Path, installed: Path
) -> None:
    sasl = kafka.sasl_config("alice")
    env = {"BROKERS": sasl["bootstrap.servers"], "KAFKA_SASL_USERNAME": "alice"}
    env |= {"KAFKA_SASL_PASSWORD": "wrong", "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}
    proc = _run_step(tmp_path, drifted, env, installed)
    assert proc.returncode == 3
    assert (tmp_path / "github_output").read_text() == "exit_code=3\n"
    assert proc.stderr.startswith("Error: ")


def _cron_line() -> str:
    block = re.search(r"```cron\n(.+?)\n```", DRIFT_DOC.read_text(), flags=re.DOTALL)
    assert block, "docs/drift.md has no cron block"
    return block.group(1)


def test_cron_one_liner_runs_the_workflow_command() -> None:
    workflow = _diff_command(_steps()["Drift report"]["run"]).replace(' "${auth[@]}"', "")
    assert _diff_command(_cron_line()) == workflow


@pytest.mark.kafka
def test_cron_one_liner_mails_the_report_on_drift(
    kafka: KafkaCluster, drifted: str, tmp_path: Path
) -> None:
    fields = _cron_line().split(None, 5)
    assert fields[:5] == ["17", "3", "*", "*", "*"]
    command = fields[5].replace("cd /srv/specs", f"cd {tmp_path}")
    assert command.count(PATTERN) == 1
    command = command.replace(PATTERN, f"--topics '{drifted}bank.*'")
    (tmp_path / "asyncapi.yaml").write_text(prefixed(GOLDEN.read_text(), drifted))
    # `mail` is the one stand-in: it records its arguments and the message body.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mail = bin_dir / "mail"
    mail.write_text(
        f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {tmp_path}/mail.args\ncat > {tmp_path}/mail.body\n"
    )
    mail.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env["PATH"]])
    env["BROKERS"] = kafka.bootstrap
    proc = subprocess.run(
        ["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mail.args").read_text().splitlines() == [
        "-s",
        "Kafka drift: breaking changes",
        "platform@example.com",
    ]
    assert (tmp_path / "mail.body").read_text() == (tmp_path / "drift.md").read_text()
    assert "5 breaking, 2 non-breaking" in (tmp_path / "mail.body").read_text()
