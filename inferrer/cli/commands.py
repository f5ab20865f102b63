"""Imports every command module so that each registers itself on the app."""

from __future__ import annotations

from inferrer.cli import topics_cmd  # noqa: F401
