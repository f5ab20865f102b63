"""The engine room has one door, and dependencies point one way.

Read from the source (imports anywhere in a module, lazy ones included): the engine
never imports the observation layer, the reference decoder never imports the engine,
only the Kafka layer imports confluent_kafka (the local-broker launcher lives in
tools/, outside the package), and only
the engine imports the compiled core's module directly, but for the observation views
that wrap its values.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "inferrer"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = _imports(path)
    return out


MODULES = _modules()


def _importers(prefix: str) -> set[str]:
    return {
        m
        for m, imports in MODULES.items()
        if any(i == prefix or i.startswith(prefix + ".") for i in imports)
    }


def test_the_modules_were_read() -> None:
    assert {"inferrer.engine", "inferrer.decoding", "inferrer.kafka.sampler"} <= set(MODULES)


def test_the_engine_does_not_import_observations_or_inference() -> None:
    engine = {m: i for m, i in MODULES.items() if m.startswith("inferrer.engine")}
    assert engine
    for imports in engine.values():
        assert not {i for i in imports if i.startswith(("inferrer.inference", "inferrer.decoding"))}


def test_the_reference_decoder_does_not_import_the_engine() -> None:
    assert not {i for i in MODULES["inferrer.decoding"] if i.startswith("inferrer.engine")}


def test_only_the_kafka_layer_imports_confluent_kafka() -> None:
    outside = {m for m in _importers("confluent_kafka") if not m.startswith("inferrer.kafka")}
    assert outside == set()


def test_the_compiled_core_is_reached_through_the_engine() -> None:
    direct = {m for m, i in MODULES.items() if "inferrer._core" in i}
    assert "inferrer.engine" in direct
    assert direct <= {"inferrer.engine", "inferrer.inference.observation"}


def test_dev_tools_are_not_part_of_the_package() -> None:
    # The broker launcher and the demo live in tools/, outside the installed package.
    assert not {m for m in MODULES if m in ("inferrer.devkafka", "inferrer.demo")}
    assert not (PACKAGE / "devkafka.py").exists()
    assert not (PACKAGE / "demo.py").exists()
    # ... and the product never reaches back into them.
    assert not any(i.startswith("tools") for imports in MODULES.values() for i in imports)
