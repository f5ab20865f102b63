"""The layer rules (tests/layers.py) hold: a test that uses the broker or a JVM without
the ``kafka`` marker, or npm's packages without ``npm``, or either under ``tests/unit/``,
fails collection with a line naming it. Checked on small suites written on the fly and
collected in this process (pytester); nothing here starts a broker or node."""

from __future__ import annotations

import textwrap

import pytest

# The inner suites get the plugin, and stand-ins for the fixtures (collection never runs
# them; a test that did would fail).
CONFTEST = """
import pytest

pytest_plugins = ["tests.layers"]


@pytest.fixture(scope="session")
def kafka():
    pytest.fail("a stand-in: collection must not run it")


@pytest.fixture(scope="session")
def asyncapi_check():
    pytest.fail("a stand-in: collection must not run it")


@pytest.fixture(scope="session")
def schema_registry():
    pytest.fail("a stand-in: collection must not run it")
"""

KAFKA = "uses the real Kafka broker (a JVM) without @pytest.mark.kafka"
NPM = (
    "uses npm's packages (node_modules: the AsyncAPI parser, the official schemas) "
    "without @pytest.mark.npm"
)
REGISTRY = "uses the real Schema Registry (a JVM) without @pytest.mark.registry"
PURE = "but tests/unit/ is pure: move it to tests/integration/ or tests/acceptance/"


# The inner tests' sources are module constants, not test code: a test's own code names no
# launcher, so this file breaks no rule.
JVMS = """
import subprocess
import sys

import pytest

from tools import devkafka


def own_broker():
    return devkafka.start()


@pytest.fixture
def doomed():
    broker = own_broker()
    yield broker
    broker.stop()


def test_direct():
    devkafka.start().stop()


def test_through_a_helper():
    own_broker().stop()


def test_through_a_fixture(doomed):
    pass


def test_the_demo_in_a_child():
    subprocess.run([sys.executable, "-m", "tools.demo"], check=True)


def test_a_free_port_is_no_jvm():
    assert devkafka.free_port() > 0
"""

HIDDEN = """
import importlib
import os
from pathlib import Path

from inferrer.asyncapi.validate import NODE_MODULES_ENV


def test_a_hidden_start():
    launcher = importlib.import_module(".".join(["tools", "devkafka"]))
    getattr(launcher, "".join(["st", "art"]))()


def test_no_parser_to_find():
    folder = Path(os.environ[NODE_MODULES_ENV])
    assert folder.is_dir() and not any(folder.iterdir())
"""


def suite(pytester: pytest.Pytester, files: dict[str, str]) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:cacheprovider")


def broken(result: pytest.RunResult, *lines: str) -> None:
    """Collection failed, with one line for each of ``lines``."""
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*ERROR collecting*", "tests break the layer rules (tests/layers.py):"]
    )
    for line in lines:
        result.stdout.fnmatch_lines([f"  {line}"])


def test_the_kafka_fixture_without_the_marker_fails_collection(pytester: pytest.Pytester) -> None:
    result = suite(
        pytester,
        {
            "tests/integration/test_live.py": """
                import pytest

                def test_unmarked(kafka):
                    pass

                @pytest.mark.kafka
                def test_marked(kafka):
                    pass
                """
        },
    )
    broken(result, f"tests/integration/test_live.py::test_unmarked: {KAFKA}")
    assert "test_marked:" not in result.stdout.str()


def test_marked_tests_collect(pytester: pytest.Pytester) -> None:
    result = suite(
        pytester,
        {
            "tests/integration/test_fine.py": """
                import pytest

                pytestmark = pytest.mark.kafka

                def test_broker(kafka):
                    pass

                @pytest.mark.npm
                def test_parser(asyncapi_check):
                    pass
                """
        },
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["2 tests collected*"])


def test_a_jvm_started_by_the_test_a_helper_a_fixture_or_a_child_needs_the_marker(
    pytester: pytest.Pytester,
) -> None:
    result = suite(
        pytester,
        {"tests/acceptance/test_jvms.py": JVMS},
    )
    broken(
        result,
        f"tests/acceptance/test_jvms.py::test_direct: {KAFKA}",
        f"tests/acceptance/test_jvms.py::test_through_a_helper: {KAFKA}",
        f"tests/acceptance/test_jvms.py::test_through_a_fixture: {KAFKA}",
        f"tests/acceptance/test_jvms.py::test_the_demo_in_a_child: {KAFKA}",
    )
    assert "test_a_free_port_is_no_jvm" not in result.stdout.str()


def test_npm_needs_its_marker(pytester: pytest.Pytester) -> None:
    result = suite(
        pytester,
        {
            "tests/integration/test_documents.py": """
                from inferrer.asyncapi.validate import ParserProcess, find_node_modules


                def test_the_fixture(asyncapi_check):
                    pass


                def test_the_parser_process():
                    with ParserProcess() as parser:
                        assert parser


                def test_a_schema_from_node_modules():
                    assert find_node_modules().is_dir()
                """
        },
    )
    broken(
        result,
        f"tests/integration/test_documents.py::test_the_fixture: {NPM}",
        f"tests/integration/test_documents.py::test_the_parser_process: {NPM}",
        f"tests/integration/test_documents.py::test_a_schema_from_node_modules: {NPM}",
    )


def test_the_unit_layer_uses_neither_even_with_the_markers(pytester: pytest.Pytester) -> None:
    result = suite(
        pytester,
        {
            "tests/unit/drift/test_pure.py": """
                import pytest

                def test_pure():
                    assert 1 + 1 == 2

                @pytest.mark.kafka
                def test_broker(kafka):
                    pass

                @pytest.mark.npm
                def test_marked_only():
                    pass
                """
        },
    )
    broken(
        result,
        "tests/unit/drift/test_pure.py::test_broker: uses the real Kafka broker (a JVM), " + PURE,
        "tests/unit/drift/test_pure.py::test_marked_only: uses npm's packages (node_modules: "
        "the AsyncAPI parser, the official schemas), " + PURE,
    )
    assert "test_pure:" not in result.stdout.str()


def test_at_run_time_no_broker_without_the_marker_and_no_parser_without_npm(
    pytester: pytest.Pytester,
) -> None:
    # What the code cannot show (a name built at run time, a child process) is kept at
    # run time: the launcher refuses, and the parser is not found.
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_hidden=HIDDEN)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_hidden.py::test_a_hidden_start starts a Kafka broker without @pytest.mark.kafka*"]
    )


REGISTRY_SUITE = """
import pytest
from tools import devregistry

def test_fixture(schema_registry):
    pass

def test_started():
    devregistry.start()

@pytest.mark.registry
def test_marked(schema_registry):
    pass
"""


def test_the_registry_needs_its_marker(pytester: pytest.Pytester) -> None:
    result = suite(pytester, {"tests/integration/test_registry.py": REGISTRY_SUITE})
    broken(result, f"tests/integration/test_registry.py::test_fixture: {REGISTRY}")
    broken(result, f"tests/integration/test_registry.py::test_started: {REGISTRY}")
    assert "test_marked:" not in result.stdout.str()
