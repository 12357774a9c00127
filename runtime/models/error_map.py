"""Vendor SDK exceptions mapped into Specwright's tree: one table of rules per SDK, one walk.

Both official SDKs raise the same shapes of exception (a timeout, a connection error, a response
that fails their own validation, an HTTP status error with a code and a body); what differs
between them is a few status rules. A vendor's ``StatusRule`` table is tried in order and the
first rule that matches names the ``ProviderError`` class and the fixed summary a caller sees.
The vendor's own text (keys scrubbed) goes to the logs only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from specwright.runtime.errors import (
    FatalProviderError,
    MalformedResponse,
    ProviderError,
    RateLimited,
    RetryableProviderError,
)
from specwright.runtime.models._support import (
    is_context_error,
    is_deterministic,
    retry_after,
    safe_summary,
    scrub,
    with_vendor_detail,
)

__all__ = ["StatusRule", "VendorErrors", "map_vendor_error"]

Detail = Callable[[object, str], bool]  # (the vendor's error code, its message) -> matches


def any_detail(code: object, detail: str) -> bool:
    return True


def deterministic(code: object, detail: str) -> bool:
    """A 5xx whose text says the request itself is invalid: retrying cannot help."""
    return is_deterministic(detail)


@dataclass(frozen=True, slots=True)
class StatusRule:
    """``error`` (with the summary ``summary``) for a status ``statuses`` accepts and a
    code/message ``detail`` accepts."""

    statuses: Callable[[int], bool]
    error: type[ProviderError]
    summary: str  # a key of the fixed summaries in ``_support.safe_summary``
    detail: Detail = any_detail


@dataclass(frozen=True, slots=True)
class VendorErrors:
    """One SDK's exception classes, how to read a status error, and its status rules."""

    timeout: type[BaseException]  # checked first: a timeout is also a connection error
    connection: type[BaseException]
    response_validation: type[BaseException]
    status: type[BaseException]
    code_of: Callable[[Any], object]
    message_of: Callable[[Any], str]
    rules: tuple[StatusRule, ...]


def map_vendor_error(exc: BaseException, vendor: VendorErrors, provider: str, model: str,
                     secrets: tuple[str, ...] = ()) -> ProviderError:
    """Map one SDK exception into Specwright's tree (keys scrubbed from every message)."""
    where = f"{provider}:{model}"
    kw: dict[str, Any] = {"provider": provider, "model": model}
    if isinstance(exc, vendor.timeout):
        return RetryableProviderError(f"{where}: the request timed out", **kw)
    if isinstance(exc, vendor.connection):
        cause = type(exc.__cause__).__name__ if exc.__cause__ else "connection error"
        return RetryableProviderError(f"{where}: could not connect ({cause})", **kw)
    if isinstance(exc, vendor.response_validation):  # only with the SDK's strict validation on
        return MalformedResponse(
            f"{where}: malformed response: the body does not match the API's schema", **kw)
    if isinstance(exc, vendor.status):
        status: int = getattr(exc, "status_code", 0)
        detail = scrub(vendor.message_of(exc), secrets)
        code = vendor.code_of(exc)
        kw["http_status"] = status
        for rule in vendor.rules:
            if rule.statuses(status) and rule.detail(code, detail):
                summary = safe_summary(where, status, rule.summary)
                if rule.error is RateLimited:
                    response = getattr(exc, "response", None)
                    headers = getattr(response, "headers", None)
                    error: ProviderError = RateLimited(summary, retry_after=retry_after(headers),
                                                       **kw)
                else:
                    error = rule.error(summary, **kw)
                return with_vendor_detail(error, detail)
    return with_vendor_detail(
        FatalProviderError(f"{where}: {type(exc).__name__}", **kw), scrub(str(exc), secrets))


def context_error(code: object, detail: str) -> bool:
    """A 400/413/422 that says the prompt does not fit the model's context window."""
    return is_context_error(code, detail)


def _status_in(*statuses: int) -> Callable[[int], bool]:
    return lambda status: status in statuses


def server_error(status: int) -> bool:
    return status >= 500


def retryable_status(status: int) -> bool:
    return status in (408, 409) or status >= 500


def any_status(status: int) -> bool:
    return True


RATE_LIMITED = StatusRule(_status_in(429), RateLimited, "rate")
RETRYABLE = StatusRule(retryable_status, RetryableProviderError, "server")
REFUSED = StatusRule(any_status, FatalProviderError, "refused")
