"""cortexkit.resources."""
