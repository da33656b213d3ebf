"""Turn exceptions into a sentence and what to do, never a stack trace.

Matching on class names along the MRO keeps this module free of imports from the client, so it works
with whatever subset of `cortexkit.errors` exists and for plain Python errors too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Explained:
    status: int
    title: str
    message: str
    action: str


_BY_CLASS: dict[str, Explained] = {
    "CredentialsError": Explained(
        400,
        "No usable credentials",
        "cortexkit could not find an access key for this profile.",
        "Add one with `cortexkit profile add`, or set PRISMA_API_URL, PRISMA_ACCESS_KEY_ID and "
        "PRISMA_SECRET_KEY before starting the UI.",
    ),
    "StoreKeyError": Explained(
        500,
        "The job store has no usable key",
        "Client secrets are stored encrypted with the job store's key, and no usable key was found.",
        "Give every UI and worker the team's key (CORTEXKIT_STORE_KEY, CORTEXKIT_STORE_KEY_FILE or the OS "
        "keyring; see 'Team deployment' in docs/onboarding.md), then restart the UI.",
    ),
    "ConfigurationError": Explained(
        400,
        "The configuration is incomplete",
        "A setting needed for this page is missing or invalid.",
        "Check the profile on the Connection page.",
    ),
    "AuthenticationError": Explained(
        401,
        "The API refused the access key",
        "Login failed: the access key is wrong, expired or disabled.",
        "Create a new access key in the console (Settings > Access Keys) and update the profile.",
    ),
    "PermissionDeniedError": Explained(
        403,
        "Not allowed",
        "The access key's role does not allow this action.",
        "Use a key whose permission group can manage cloud accounts.",
    ),
    "NotFoundError": Explained(
        404, "Not found", "The API does not know the item you asked for.", "Check the id and try again."
    ),
    "ConflictError": Explained(
        409,
        "Already exists",
        "The API reports that this item already exists.",
        "Open the Cloud accounts page to see the existing account.",
    ),
    "RateLimitError": Explained(
        429,
        "The API is busy",
        "The API kept answering 'too many requests' after several retries.",
        "Wait a minute and try again.",
    ),
    "ServerError": Explained(
        502,
        "The API had a problem",
        "The API answered with a server error.",
        "Try again in a moment; if it persists, check the service status page.",
    ),
    "APITimeoutError": Explained(
        504,
        "The API did not answer in time",
        "The request timed out.",
        "Check the network path to the API and try again.",
    ),
    "APIConnectionError": Explained(
        502,
        "Cannot reach the API",
        "The connection to the API URL failed.",
        "Check the profile's API URL and your network or proxy settings.",
    ),
    "OutcomeUnknownError": Explained(
        502,
        "The result is unknown",
        "The API stopped answering in the middle of a change, so it may or may not have applied.",
        "Open the job or the Cloud accounts page to see the current state before trying again.",
    ),
    "UnexpectedResponseError": Explained(
        502,
        "The API sent an unexpected answer",
        "The response was not the JSON the API documents (often a proxy or login page).",
        "Check that the profile's URL is the API host (api*.prismacloud.io), not the console host.",
    ),
    "APIError": Explained(
        502, "The API refused the request", "The API returned an error.", "See the message and try again."
    ),
}

_CORTEX_ACTIONS: dict[str, str] = {
    "CredentialsError": (
        "Add a Cortex profile with `cortexkit profile add --cortex`, or set CORTEXCLOUD_API_URL, "
        "CORTEXCLOUD_API_KEY_ID, CORTEXCLOUD_API_KEY and CORTEXCLOUD_API_KEY_TYPE before starting the UI."
    ),
    "AuthenticationError": (
        "Check the key id, the key and its type (standard or advanced, as created); create a new API key "
        "in Cortex (Settings > Configurations > API Keys) if it expired, and update the profile."
    ),
    "PermissionDeniedError": (
        "Use an API key whose role may manage cloud onboarding (Instance Administrator)."
    ),
    "UnexpectedResponseError": (
        "Check that the profile's URL is the API host (api-<tenant>.xdr.<region>.paloaltonetworks.com), "
        "not the console."
    ),
}
"""What to do on a Cortex connection, where the Prisma wording (access keys, api*.prismacloud.io) is wrong."""

GENERIC = Explained(
    500,
    "Something went wrong",
    "The server hit an unexpected problem and did not finish the request.",
    "Try again; if it keeps happening, run `cortexkit ui -v` and look at the terminal output.",
)


def explain(exc: BaseException, *, cortex: bool = False) -> Explained:
    for cls in type(exc).__mro__:
        found = _BY_CLASS.get(cls.__name__)
        if found is not None and cortex and cls.__name__ in _CORTEX_ACTIONS:
            found = Explained(found.status, found.title, found.message, _CORTEX_ACTIONS[cls.__name__])
        if found is not None:
            detail = _safe_detail(exc)
            if detail and cls.__name__ not in {"CredentialsError", "ConfigurationError"}:
                return Explained(found.status, found.title, f"{found.message} ({detail})", found.action)
            if detail:
                return Explained(found.status, found.title, detail, found.action)
            return found
    return GENERIC


def _safe_detail(exc: BaseException) -> str:
    """The exception's own message, first line only and bounded; the client never puts secrets there."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:300]
