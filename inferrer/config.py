"""The configuration file: ``inferrer.toml``, or ``[tool.inferrer]`` in ``pyproject.toml``.

A file holds option values by their long flag name, for every command or for one::

    bootstrap-server = "localhost:9092"      # every command that has --bootstrap-server
    topics = ["bank.*"]
    [diff]                                   # only `infer-asyncapi diff`
    format = "markdown"
    [profile.prod]                           # --profile prod, or INFERRER_PROFILE=prod
    bootstrap-server = "kafka.prod:9092"
    command-config = "prod.properties"
    [profile.prod.diff]
    fail-on = "non-breaking"

Precedence, highest first: a flag on the command line, its environment variable, the
selected profile (its command table over its top level), the file's top level (its
command table over its top level), the built-in default. This module reads and checks
the file; the command line turns the result into click's ``default_map``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferrer.documents import read_text
from inferrer.errors import ConfigError

CONFIG_FILE = "inferrer.toml"
PYPROJECT = "pyproject.toml"
PROFILE_ENV = "INFERRER_PROFILE"


@dataclass(frozen=True, slots=True)
class Settings:
    """Option values from a config file: ``common`` for every command (by long flag name
    without dashes), ``commands`` per command name; the profile already applied."""

    source: str = ""
    common: Mapping[str, Any] = field(default_factory=dict)
    commands: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def find_config(cwd: Path | None = None) -> Path | None:
    """``inferrer.toml`` in ``cwd``, else ``pyproject.toml`` there if it has
    ``[tool.inferrer]``, else None."""
    here = cwd or Path.cwd()
    if (here / CONFIG_FILE).is_file():
        return here / CONFIG_FILE
    pyproject = here / PYPROJECT
    if pyproject.is_file() and "inferrer" in _read(pyproject).get("tool", {}):
        return pyproject
    return None


def _read(path: Path) -> dict[str, Any]:
    import tomllib

    text = read_text(path, "config file", ConfigError)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path}: invalid TOML: {e}") from e


def load_settings(
    path: Path | None,
    profile: str | None,
    flags: Mapping[str, frozenset[str]],
) -> Settings:
    """Read the config file at ``path`` (None: :func:`find_config`) with ``profile``
    (None: ``$INFERRER_PROFILE``, else none) applied.

    ``flags`` maps each command to its long flag names (without dashes); a key that is
    no flag of any command (or, in a command's table, of that command), an unknown
    command table or an unknown profile is a :class:`ConfigError` (exit 2) naming it.
    """
    profile = profile if profile is not None else (os.environ.get(PROFILE_ENV) or None)
    found = path if path is not None else find_config()
    if found is None:
        if profile is not None:
            raise ConfigError(
                f"profile {profile!r} selected but no {CONFIG_FILE} (or [tool.inferrer] in "
                f"{PYPROJECT}) in {Path.cwd()}"
            )
        return Settings()
    data = _read(found)
    where = str(found)
    if found.name == PYPROJECT and path is None:
        data = data.get("tool", {}).get("inferrer", {})
        where = f"{found} [tool.inferrer]"
    elif found.name == PYPROJECT and "tool" in data:
        data = data["tool"].get("inferrer", {})
        where = f"{found} [tool.inferrer]"
    if not isinstance(data, dict):
        raise ConfigError(f"config {where}: expected a table")
    profiles = data.pop("profile", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"config {where}: 'profile' must be a table of profiles")
    common: dict[str, Any] = {}
    commands: dict[str, dict[str, Any]] = {}
    _layer(data, where, flags, common, commands)
    if profile is not None:
        chosen = profiles.get(profile)
        if not isinstance(chosen, dict):
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(f"config {where}: no profile {profile!r} (profiles: {known})")
        _layer(chosen, f"{where} [profile.{profile}]", flags, common, commands)
    for name in list(profiles):
        if not isinstance(profiles[name], dict):
            raise ConfigError(f"config {where}: profile {name!r} must be a table")
        _layer(profiles[name], f"{where} [profile.{name}]", flags, {}, {})  # checked only
    label = where if profile is None else f"{where}, profile {profile}"
    return Settings(source=label, common=common, commands=commands)


def _layer(
    table: Mapping[str, Any],
    where: str,
    flags: Mapping[str, frozenset[str]],
    common: dict[str, Any],
    commands: dict[str, dict[str, Any]],
) -> None:
    """Apply one level (the file's top level or a profile) over what is in ``common``
    and ``commands``: its command tables over its own top-level keys."""
    every = frozenset().union(*flags.values()) if flags else frozenset()
    top: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict) and key in flags:
            continue
        if key not in every:
            raise ConfigError(f"config {where}: unknown key {key!r}")
        top[key] = value
    common.update(top)
    for own in commands.values():
        for key in top:
            own.pop(key, None)  # a higher level's common value beats a lower command table
    for key, value in table.items():
        if isinstance(value, dict) and key in flags:
            for flag in value:
                if flag not in flags[key]:
                    raise ConfigError(f"config {where}: unknown key '{key}.{flag}'")
            commands.setdefault(key, {}).update(value)
