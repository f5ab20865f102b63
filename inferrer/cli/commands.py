"""Imports every command module so that each registers itself on the app."""

from __future__ import annotations

from inferrer.cli import replay_cmd  # noqa: F401
from inferrer.cli import diff_cmd  # noqa: F401
from inferrer.cli import validate_cmd  # noqa: F401
