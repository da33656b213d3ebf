"""The Azure side of onboarding (Entra token endpoint, Microsoft Graph, ARM): the one place that builds
Azure requests (`token`, `graph`, `arm`), and the one driver that sends them (`client.AzureClient`)
through `cortexkit._http` and the shared `retry.RetryPolicy`."""
