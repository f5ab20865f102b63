"""inferrer: infer AsyncAPI documents from live Kafka traffic, and report drift.

The analyst API (DataFrames for notebooks) is exported from here as it lands.
"""

from __future__ import annotations

__version__ = "0.1.0"
