"""cortexkit.emulator."""
