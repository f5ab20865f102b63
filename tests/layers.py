"""The test layers and the markers that say what a test needs, enforced (a pytest plugin).

* ``tests/unit/<stage>/``: pure and in memory; no broker, no JVM, no node.
* ``tests/integration/``: the real servers (the Kafka broker, the official AsyncAPI
  parser, a Jupyter kernel).
* ``tests/acceptance/``: the command line end to end, with case directories.

A test that uses the real broker (the ``kafka`` fixture) or starts a JVM through
``tools.devkafka`` or ``tools.demo`` carries the ``kafka`` marker; one that uses the real
Schema Registry (the ``schema_registry`` fixtures, ``tools.devregistry``, the demo) carries
``registry``; one that runs the
official AsyncAPI parser (the ``asyncapi_parser`` and ``asyncapi_check`` fixtures, the
parser process, the official JSON Schemas in ``node_modules``) carries ``npm``; and no
test under ``tests/unit/`` does either. Collection fails, naming each offending test,
when one does not hold.

What a test uses is read from its code, its fixtures' code and the code of the helpers
they call (transitively, within the test suite): which fixtures it asks for, which
objects it names, and which module it runs with ``-m``. The same promise is kept at run
time too, for what code cannot show (a child process): a test without the ``kafka``
marker cannot start a broker, and one without ``npm`` sees no parser installed.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

LAYERS = ("unit", "integration", "acceptance")

# Fixtures that stand for a need.
KAFKA_FIXTURES = frozenset({"kafka"})
REGISTRY_FIXTURES = frozenset({"schema_registry", "schema_registry_with_auth"})
NPM_FIXTURES = frozenset({"asyncapi_parser", "asyncapi_check"})

# Objects whose use stands for a need, by module and name.
JVM_STARTERS = frozenset({("tools.devkafka", "start"), ("tools.demo", "main")})
REGISTRY_STARTERS = frozenset({("tools.devregistry", "start"), ("tools.demo", "main")})
NODE_USERS = frozenset(
    {
        ("inferrer.asyncapi.validate", "ParserProcess"),
        ("inferrer.asyncapi.validate", "validate_file"),
        ("inferrer.asyncapi.validate", "validate_document"),
        ("inferrer.asyncapi.validate", "find_node_modules"),
        ("tests.asyncapi_fixtures", "schema_errors"),
    }
)
# Text in a test's code that starts a JVM in a child process (``python -m tools.demo``,
# a script that calls ``devkafka.start()``).
JVM_TEXTS = ("tools.devkafka", "tools.demo", "devkafka.start(")
REGISTRY_TEXTS = ("tools.devregistry", "tools.demo", "devregistry.start(")

# Code followed when reading what a test uses: the checkout's own modules (the suite, the
# dev tools), but not the product's nor installed packages.
_NOT_FOLLOWED = ("inferrer", ".venv", "node_modules")


def layer_of(path: Path, rootpath: Path) -> str | None:
    """``unit``, ``integration`` or ``acceptance`` for a test file under ``tests/<layer>/``."""
    try:
        parts = path.relative_to(rootpath).parts
    except ValueError:
        parts = path.parts
    for i, part in enumerate(parts[:-1]):
        if part == "tests" and parts[i + 1] in LAYERS:
            return parts[i + 1]
    return None


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _function_of(obj: Any) -> types.FunctionType | None:
    """The plain function behind a test, a fixture or a hypothesis ``@given`` wrapper."""
    inner = getattr(getattr(obj, "hypothesis", None), "inner_test", None)
    obj = inner or getattr(obj, "__wrapped__", obj)
    return obj if isinstance(obj, types.FunctionType) else None


def _followed(value: Any, root: Path) -> bool:
    """Whether ``value`` is code of the checkout at ``root`` outside the product."""
    module = sys.modules.get(getattr(value, "__module__", None) or "")
    file = getattr(module, "__file__", None)
    return isinstance(file, str) and _in_checkout(file, root)


@functools.cache
def _in_checkout(file: str, root: Path) -> bool:
    # Once per file: resolving paths is most of what reading a test's uses costs.
    path = Path(file).resolve()
    return path.is_relative_to(root) and not any(
        path.is_relative_to(root / part) for part in _NOT_FOLLOWED
    )


@functools.cache
def _resolved(root: Path) -> Path:
    return root.resolve()


class Uses:
    """What a piece of test code reaches: objects by (module, name), and text."""

    def __init__(self, root: Path) -> None:
        self.root = _resolved(root)
        self.objects: set[tuple[str, str]] = set()
        self.texts: list[str] = []
        self._seen: set[int] = set()

    def read(self, fn: Callable[..., Any] | None) -> None:
        func = _function_of(fn)
        if func is None or id(func.__code__) in self._seen:
            return
        self._seen.add(id(func.__code__))
        scope = func.__globals__
        for code in _codes(func.__code__):
            self.texts += [c for c in code.co_consts if isinstance(c, str)]
            for name in code.co_names:
                self._name(scope.get(name), name, code.co_names)

    def _name(self, value: Any, name: str, names: tuple[str, ...]) -> None:
        if isinstance(value, types.ModuleType):
            # ``devkafka.start()``: the module's attributes this code names.
            for attr in names:
                self._object(value.__name__, attr, getattr(value, attr, None))
            return
        module = getattr(value, "__module__", None)
        if isinstance(module, str):
            self._object(module, getattr(value, "__name__", name), value)

    def _object(self, module: str, name: str, value: Any) -> None:
        self.objects.add((module, name))
        if callable(value) and _followed(value, self.root):
            self.read(value)
            # a class: its methods
            for member in vars(value).values() if isinstance(value, type) else ():
                self.read(member)

    def starts_a_jvm(self) -> bool:
        return bool(self.objects & JVM_STARTERS) or any(
            marker in text for text in self.texts for marker in JVM_TEXTS
        )

    def starts_a_registry(self) -> bool:
        return bool(self.objects & REGISTRY_STARTERS) or any(
            marker in text for text in self.texts for marker in REGISTRY_TEXTS
        )

    def runs_node(self) -> bool:
        return bool(self.objects & NODE_USERS)


def _fixture_functions(item: pytest.Item) -> Iterator[Callable[..., Any]]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return
    for defs in info.name2fixturedefs.values():
        for fixturedef in defs:
            if _followed(fixturedef.func, _resolved(item.config.rootpath)):
                yield fixturedef.func


def needs(item: pytest.Item) -> set[str]:
    """What ``item`` needs, read from its fixtures and code: ``kafka``, ``npm``."""
    fixtures = set(getattr(item, "fixturenames", ()))
    found: set[str] = set()
    if fixtures & KAFKA_FIXTURES:
        found.add("kafka")
    if fixtures & NPM_FIXTURES:
        found.add("npm")
    if fixtures & REGISTRY_FIXTURES:
        found.add("registry")
    uses = Uses(item.config.rootpath)
    uses.read(getattr(item, "function", None))
    for fn in _fixture_functions(item):
        uses.read(fn)
    if uses.starts_a_jvm():
        found.add("kafka")
    if uses.runs_node():
        found.add("npm")
    if uses.starts_a_registry():
        found.add("registry")
    return found


WHAT = {
    "kafka": "the real Kafka broker (a JVM)",
    "npm": "npm's packages (node_modules: the AsyncAPI parser, the official schemas)",
    "registry": "the real Schema Registry (a JVM)",
}


def problems(item: pytest.Item) -> list[str]:
    """Each way ``item`` breaks the layer rules, in words."""
    out: list[str] = []
    layer = layer_of(Path(str(item.path)), item.config.rootpath)
    needed = needs(item)
    for marker in sorted(needed | {m.name for m in item.iter_markers() if m.name in WHAT}):
        if layer == "unit":
            out.append(
                f"uses {WHAT[marker]}, but tests/unit/ is pure: move it to tests/integration/ "
                "or tests/acceptance/"
            )
        elif marker in needed and item.get_closest_marker(marker) is None:
            out.append(f"uses {WHAT[marker]} without @pytest.mark.{marker}")
    return out


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kafka: needs the real Apache Kafka broker (a JVM)")
    config.addinivalue_line("markers", "npm: needs npm's packages (the AsyncAPI parser)")
    config.addinivalue_line("markers", "registry: needs the real Schema Registry (a JVM)")


def _wait_rank(items: list[pytest.Item]) -> int:
    """0 for a file whose tests wait on a JVM, 1 for one that waits on node or on child
    processes (the command line), 2 for a pure one."""
    if any(item.get_closest_marker(m) for item in items for m in ("kafka", "registry")):
        return 0
    if any(item.get_closest_marker("npm") for item in items):
        return 1
    first = items[0]
    return 1 if layer_of(Path(str(first.path)), first.config.rootpath) == "acceptance" else 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files that spend their time waiting (on a broker, a registry, node, the CLI) run
    first and the many short pure files last: under pytest-xdist (a file per worker at a
    time, handed out in this order) a long file handed out late is the run's tail, while
    pure files fill the cores as the long ones wait. Each file's tests keep their order;
    the order is the same on every worker, as xdist requires."""
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(str(item.path), []).append(item)
    ordered = sorted(by_file.values(), key=_wait_rank)  # stable: collection order within
    items[:] = [item for group in ordered for item in group]


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """A module (or class) whose tests break the rules is a collection error, naming each;
    under pytest-xdist too, where each worker collects."""
    report: pytest.CollectReport = yield
    if report.passed:
        found = [
            f"{item.nodeid}: {why}"
            for item in report.result
            if isinstance(item, pytest.Item)
            for why in problems(item)
        ]
        if found:
            report.outcome = "failed"
            report.longrepr = "tests break the layer rules (tests/layers.py):\n  " + "\n  ".join(
                found
            )
            report.result = []
    return report  # type: ignore[return-value]


class _NoBroker:
    """Stands in for a launcher's ``start`` (``tools.devkafka``, ``tools.devregistry``) in a
    test without its marker."""

    def __init__(self, nodeid: str, what: str = "a Kafka broker", marker: str = "kafka") -> None:
        self.nodeid, self.what, self.marker = nodeid, what, marker

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        pytest.fail(f"{self.nodeid} starts {self.what} without @pytest.mark.{self.marker}")


@pytest.fixture(autouse=True)
def _kept_to_its_markers(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """At run time: no broker without ``kafka``, no parser (in process or in a child
    process) without ``npm``."""
    node = request.node
    if node.get_closest_marker("kafka") is None:
        from tools import devkafka

        monkeypatch.setattr(devkafka, "start", _NoBroker(node.nodeid))
    if node.get_closest_marker("registry") is None:
        from tools import devregistry

        monkeypatch.setattr(
            devregistry, "start", _NoBroker(node.nodeid, "a Schema Registry", "registry")
        )
    if node.get_closest_marker("npm") is None:
        empty = tmp_path_factory.getbasetemp() / "no-node-modules"
        empty.mkdir(exist_ok=True)
        monkeypatch.setenv("INFERRER_NODE_MODULES", str(empty))
