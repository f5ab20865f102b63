"""Drift: compare a committed spec with observed traffic or another spec."""
