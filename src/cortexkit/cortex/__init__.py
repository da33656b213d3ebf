"""The Cortex Cloud dialect: signed API keys, its error shapes and paging styles, tolerant models, the
resources (the only Cortex request builders) and `CortexClient` / `AsyncCortexClient`.

It reuses the shared core (`_http`, `retry.RetryPolicy`, `ratelimit.Bucket`, the `errors` tree) and shares
nothing with the emulator's Cortex dialect. Facts and their sources: `reference/cortex-api.md`.
"""
