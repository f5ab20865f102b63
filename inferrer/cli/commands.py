"""Imports every command module so that each registers itself on the app."""

from __future__ import annotations

import inferrer.cli.diff_cmd
import inferrer.cli.infer_cmd
import inferrer.cli.record_cmd
import inferrer.cli.replay_cmd
import inferrer.cli.topics_cmd
import inferrer.cli.validate_cmd  # noqa: F401
