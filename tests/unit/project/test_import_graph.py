"""The engine room has one door, and dependencies point one way.

Read from the source (imports anywhere in a module, lazy ones included): the engine
never imports the observation layer, the reference decoder never imports the engine,
only the Kafka layer imports confluent_kafka (the local-broker launcher lives in
tools/, outside the package), and only
the engine imports the compiled core's module directly, but for the observation views
that wrap its values. The whole package has no import circle, and no arrow points
against the data flow (sampler → engine → inference → document → drift → library →
analyst API → command line); library modules import neither typer nor rich.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "inferrer"


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The syntax tree of a module of the package, parsed once for every test here."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(path: Path) -> set[str]:
    tree = _tree(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@functools.cache
def _modules() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = _imports(path)
    return out


def _importers(prefix: str) -> set[str]:
    return {
        m
        for m, imports in _modules().items()
        if any(i == prefix or i.startswith(prefix + ".") for i in imports)
    }


def test_the_modules_were_read() -> None:
    assert {"inferrer.engine", "inferrer.decoding", "inferrer.kafka.sampler"} <= set(_modules())


def test_the_engine_does_not_import_observations_or_inference() -> None:
    engine = {m: i for m, i in _modules().items() if m.startswith("inferrer.engine")}
    assert engine
    for imports in engine.values():
        assert not {i for i in imports if i.startswith(("inferrer.inference", "inferrer.decoding"))}


def test_the_reference_decoder_does_not_import_the_engine() -> None:
    assert not {i for i in _modules()["inferrer.decoding"] if i.startswith("inferrer.engine")}


def test_only_the_kafka_layer_imports_confluent_kafka() -> None:
    outside = {m for m in _importers("confluent_kafka") if not m.startswith("inferrer.kafka")}
    assert outside == set()


def test_the_compiled_core_is_reached_through_the_engine() -> None:
    direct = {m for m, i in _modules().items() if "inferrer._core" in i}
    assert "inferrer.engine" in direct
    assert direct <= {"inferrer.engine", "inferrer.inference.observation"}


def test_dev_tools_are_not_part_of_the_package() -> None:
    # The broker launcher and the demo live in tools/, outside the installed package.
    assert not {m for m in _modules() if m in ("inferrer.devkafka", "inferrer.demo")}
    assert not (PACKAGE / "devkafka.py").exists()
    assert not (PACKAGE / "demo.py").exists()
    # ... and the product never reaches back into them.
    assert not any(i.startswith("tools") for imports in _modules().values() for i in imports)


# --- the whole graph: no circle, and no arrow against the data flow -------------------

# The stages of the data flow (DESIGN.md), first to last: a module may import its own
# stage and the ones before it, never a later one. ``base`` is the plain data and
# helpers every stage shares.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base",
        (
            "inferrer.model",
            "inferrer.errors",
            "inferrer.jsonpointer",
            "inferrer.jsontext",
            "inferrer.documents",
            "inferrer.atomic",
            "inferrer.config",
            "inferrer.records",
            "inferrer.version",
            "inferrer.validation",
            "inferrer._core",
        ),
    ),
    ("sampler", ("inferrer.kafka", "inferrer.registry", "inferrer.capture")),
    ("engine", ("inferrer.engine", "inferrer.decoding")),
    ("inference", ("inferrer.inference", "inferrer.redact", "inferrer.snapshots")),
    ("document", ("inferrer.asyncapi",)),
    ("drift", ("inferrer.drift",)),
    ("library", ("inferrer.pipeline", "inferrer.watch")),
    ("analyst", ("inferrer.frames", "inferrer")),
    ("cli", ("inferrer.cli", "inferrer.__main__")),
)


@functools.cache
def _graph() -> dict[str, set[str]]:
    """Module → the package modules it imports (lazy imports too; ``from pkg import mod``
    is an arrow to ``pkg.mod``, not to ``pkg``); read when a test first asks."""
    modules = set(_modules()) | {"inferrer._core"}

    def resolve(name: str) -> str | None:
        parts = name.split(".")
        while parts and ".".join(parts) not in modules:
            parts.pop()
        return ".".join(parts) or None

    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        name = name.removesuffix(".__init__")
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: list[str] = []
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Import):
                targets += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([base] if base else [])])
                targets += [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
        found = {resolve(t) for t in targets if t == "inferrer" or t.startswith("inferrer.")}
        graph[name] = {m for m in found if m is not None and m != name}
    return graph


def _stage(module: str) -> int:
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(STAGES):
        for prefix in prefixes:
            inside = module == prefix or (prefix != "inferrer" and module.startswith(prefix + "."))
            if inside and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    assert best is not None, f"{module} belongs to no stage: add it to STAGES"
    return best[0]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_package_has_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_every_module_has_a_stage() -> None:
    for module in _graph():
        _stage(module)


def _back_arrows(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """The imports of a later stage's module by an earlier stage's."""
    return {(m, d) for m, deps in graph.items() for d in deps if _stage(d) > _stage(m)}


def test_the_back_arrow_finder_finds_one() -> None:
    graph = {"inferrer.drift.compare": {"inferrer.pipeline", "inferrer.asyncapi.read"}}
    assert _back_arrows(graph) == {("inferrer.drift.compare", "inferrer.pipeline")}


def test_no_arrow_points_against_the_data_flow() -> None:
    assert _back_arrows(_graph()) == set()


def test_drift_compares_in_siblings() -> None:
    # Spec against spec and spec against traffic share findings, options and schema
    # facts from modules of their own, and import neither each other.
    assert "inferrer.drift.traffic" not in _graph()["inferrer.drift.compare"]
    assert "inferrer.drift.compare" not in _graph()["inferrer.drift.traffic"]
    shared = {"inferrer.drift.findings", "inferrer.drift.options", "inferrer.drift.schemas"}
    assert shared <= _graph()["inferrer.drift.compare"] & _graph()["inferrer.drift.traffic"]


def test_the_analyst_api_does_not_import_the_package_front() -> None:
    import inferrer

    assert "inferrer" not in _graph()["inferrer.frames"]
    frames = ast.parse((PACKAGE / "frames.py").read_text(encoding="utf-8"))
    defined = {
        t.id
        for node in frames.body
        for t in (node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)])
        if isinstance(t, ast.Name)
    } | {n.name for n in frames.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    assert set(inferrer.__all__) - {"__version__"} <= defined


def test_library_modules_import_neither_typer_nor_rich() -> None:
    for module, imports in _modules().items():
        if module.startswith("inferrer.cli"):
            continue
        ui = {i for i in imports if i.split(".")[0] in ("typer", "rich", "click")}
        assert ui == set(), module
