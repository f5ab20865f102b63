"""AsyncAPI document building, bindings, update-in-place and deterministic I/O."""
