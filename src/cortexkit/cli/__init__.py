"""cortexkit.cli."""
