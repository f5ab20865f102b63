"""The same stable traffic, sampled twice, gives the same document, byte for byte.

Each sample is drawn with its own seed from one fixed distribution: the corpora of
``tests/corpora`` (many domains, each with formats, enums, nullable and optional fields,
keys). With default options the document holds only the contract, so nothing that depends
on which messages happened to be sampled (sizes, first and last seen, which example came
first) may reach it. "Stable" traffic means no category so rare that a sample may see it
fewer times than the enum rule asks for (``ENUM_MIN_COUNT``): such a value decides the
enum one way in one sample and the other way in the next, whatever the rule.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from inferrer.capture import write_capture
from tests.corpora.generate import CORPORA, records

ROOT = Path(__file__).resolve().parents[2]


def infer(captures: list[Path], out: Path) -> bytes:
    args = [sys.executable, "-m", "inferrer", "infer", "-q", "-o", str(out)]
    for capture in captures:
        args += ["--from-file", str(capture)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


def corpus_sample(tmp_path: Path, seed: int) -> list[Path]:
    paths = []
    for corpus in CORPORA:
        path = tmp_path / f"seed{seed}" / f"{corpus.topic}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_capture(records(corpus, seed=seed, messages=1500), path)
        paths.append(path)
    return paths


def test_two_samples_of_the_corpora_give_the_same_document(tmp_path: Path) -> None:
    first = infer(corpus_sample(tmp_path, 1), tmp_path / "one.yaml")
    second = infer(corpus_sample(tmp_path, 2), tmp_path / "two.yaml")
    assert first == second
    # The evidence is where the samples differ, so the test is not blind.
    assert (tmp_path / "one.evidence.json").read_bytes() != (
        tmp_path / "two.evidence.json"
    ).read_bytes()
