"""Every document-like file is read one way, and each failure is one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferrer.documents import check_header, load_json_file, parse_json, parse_yaml, read_text
from inferrer.errors import ConfigError, ObservationError


def test_a_missing_or_unreadable_file_names_what_it_should_have_been(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        read_text(tmp_path / "b.json", "baseline", ConfigError)
    assert str(e.value) == f"cannot read baseline {tmp_path / 'b.json'}: no such file"
    (tmp_path / "latin1.json").write_bytes(b"\xff")
    with pytest.raises(ConfigError) as e:
        read_text(tmp_path / "latin1.json", "baseline", ConfigError)
    assert str(e.value) == f"cannot read baseline {tmp_path / 'latin1.json'}: not UTF-8 text"


def test_syntax_errors_say_where() -> None:
    with pytest.raises(ObservationError) as e:
        parse_json('{\n  "a": }', "x.json", "observations file", ObservationError)
    assert str(e.value) == "x.json is not an observations file: invalid JSON at line 2, column 8"
    with pytest.raises(ConfigError) as e2:
        parse_yaml("rules:\n  a: [\n", "r.yaml", "rules file", ConfigError)
    assert str(e2.value).startswith("r.yaml is not a rules file: invalid YAML at line 3")


def test_the_header_is_checked_format_then_version(tmp_path: Path) -> None:
    kw = {"version": 1, "format": "f"}
    assert check_header({"format": "f", "version": 1}, "x", "thing", ConfigError, **kw)
    with pytest.raises(ConfigError, match=r"^x is not a thing$"):
        check_header([], "x", "thing", ConfigError, **kw)
    with pytest.raises(ConfigError, match=r"^x is not a thing$"):
        check_header({"format": "g", "version": 1}, "x", "thing", ConfigError, **kw)
    with pytest.raises(ConfigError, match=r"^x is a thing of version 2; expected 1$"):
        check_header({"format": "f", "version": 2}, "x", "thing", ConfigError, **kw)
    path = tmp_path / "t.json"
    path.write_text('{"format": "f", "version": 1, "n": 3}')
    assert load_json_file(path, "thing", ConfigError, **kw)["n"] == 3
