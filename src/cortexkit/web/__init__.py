"""cortexkit.web."""
