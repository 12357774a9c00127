"""Runtime half of the exception tree (the whole tree is drawn in ``compiler/errors.py``).

Every ``RuntimeFailure`` knows its HTTP status and a stable ``type`` string, and renders to the
JSON error body the API returns. Messages are written for the person reading them and never
contain keys or tracebacks.
"""

from __future__ import annotations

from typing import Any

from specwright.compiler.errors import SpecwrightError


class RuntimeFailure(SpecwrightError):
    status: int = 500
    type: str = "internal_error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class NotFound(RuntimeFailure):
    status, type = 404, "not_found"


class InputInvalid(RuntimeFailure):
    status, type = 422, "invalid_input"


class PayloadTooLarge(RuntimeFailure):
    status, type = 413, "payload_too_large"


class Unauthorized(RuntimeFailure):
    status, type = 401, "unauthorized"


class Forbidden(RuntimeFailure):
    status, type = 403, "forbidden"


class GuardrailViolation(RuntimeFailure):
    status, type = 422, "guardrail_failed"


class ProviderError(RuntimeFailure):
    """A model call failed. Raised by adapters only, mapped from the vendor's exception."""

    status, type = 502, "provider_error"

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        model: str = "",
        http_status: int | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message, details)
        self.provider = provider
        self.model = model
        self.http_status = http_status


class RetryableProviderError(ProviderError):
    """429, 5xx, timeouts, connection resets: the router may try again."""

    type = "provider_unavailable"


class RateLimited(RetryableProviderError):
    type = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class MalformedResponse(RetryableProviderError):
    """A 2xx whose body is cut off, not JSON, or not the shape the API documents (a proxy or
    upstream failure): the same request may well succeed, so the router retries or falls back."""

    type = "provider_malformed_response"


class FatalProviderError(ProviderError):
    """400, 401, 403: trying the same model again cannot help."""

    type = "provider_rejected"


class ContextTooLong(FatalProviderError):
    type = "context_too_long"


class OutputInvalid(RuntimeFailure):
    """The model's answer could not be parsed or failed the Output model / guardrails."""

    status, type = 502, "output_invalid"


class ModelNotConfigured(RuntimeFailure):
    status, type = 503, "model_not_configured"


class RoutingExhausted(RuntimeFailure):
    status, type = 502, "model_error"


class ReplayMiss(RuntimeFailure):
    status, type = 503, "replay_miss"
