"""Schema inference: genson strategies, observations, discriminators."""
