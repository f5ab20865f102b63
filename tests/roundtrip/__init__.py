"""Round trips: hand-written AsyncAPI documents → generated traffic → inferred documents."""
