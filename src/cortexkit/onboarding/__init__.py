"""cortexkit.onboarding."""
