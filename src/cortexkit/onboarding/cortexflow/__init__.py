"""Azure onboarding through Cortex Cloud: the steps of a Cortex job on the same runner, store, leases and
fencing as the Prisma flow (a `JobSpec` with `cortex` options set is a Cortex job)."""
