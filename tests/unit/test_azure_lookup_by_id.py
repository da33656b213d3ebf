"""What the by-id read's answers mean to the add step: which errors say "not readable by id" (never
"absent"), and that an answer for another id is not taken as the account asked for."""

from __future__ import annotations

from cortexkit import errors
from cortexkit.resources import azure
from cortexkit.resources.models import CloudAccount


def _error(cls: type[errors.APIError], status: int, *keys: str) -> errors.APIError:
    return cls(status, i18n_keys=keys, method="GET", path="/cloud/azure/x")


def test_a_404_or_the_unknown_id_key_means_not_readable_by_id() -> None:
    assert azure.not_readable_by_id(_error(errors.NotFoundError, 404))
    assert azure.not_readable_by_id(_error(errors.NotFoundError, 404, "invalid_account_id_format"))
    assert azure.not_readable_by_id(_error(errors.BadRequestError, 400, "invalid_account_id_format"))


def test_other_errors_are_not_taken_for_a_miss() -> None:
    assert not azure.not_readable_by_id(_error(errors.BadRequestError, 400, "bad_request"))
    assert not azure.not_readable_by_id(_error(errors.PermissionDeniedError, 403))
    assert not azure.not_readable_by_id(_error(errors.ServerError, 503))


def test_the_by_id_answer_must_be_the_account_asked_for() -> None:
    mine = CloudAccount.model_validate({"accountId": "ABC-1", "cloudType": "azure"})
    assert azure.same_account(mine, "abc-1") is mine
    assert azure.same_account(mine, "abc-2") is None
    assert azure.same_account(CloudAccount.model_validate({"name": "no id"}), "abc-1") is not None


def test_the_by_id_call_reads_one_azure_account() -> None:
    spec = azure.by_id_call("a/b").spec
    assert (spec.method, spec.path) == ("GET", "/cloud/azure/a%2Fb")
