"""The runtime half of Specwright's exception tree: every class of it lives in this module.

Every ``RuntimeFailure`` knows its HTTP status and a stable ``type`` string, and renders to the
JSON error body the API returns. Messages are written for the person reading them and never
contain keys, tracebacks or a vendor's text. Vendor SDK exceptions are mapped into this tree
exactly once, in the provider adapter that called the SDK. The spec half (``SpecError``,
``TableError``) is drawn in ``specwright.compiler.errors``.

::

    SpecwrightError (compiler half)
    ├── SpecError (compiler half)
    │   └── RevisionReadError          a revision directory on disk is unreadable
    ├── AuthoringError                 draft / infer / suggest-tests cannot start
    └── RuntimeFailure                 status + type for the JSON error body
        ├── BadRequest                 400  a malformed request line or query
        │   └── InputFileError             a ``specwright run`` input file that cannot be read
        ├── InvalidJson                400  the body is not plain JSON
        ├── Unauthorized               401  no key, or an unknown one
        ├── Forbidden                  403  the key's role may not do this
        ├── NotFound                   404  unknown spec, major, revision or run
        ├── MethodNotAllowed           405
        ├── PinConflict                409  the query and the header pin different revisions
        ├── ConcurrentMove             409  a label moved meanwhile, or a revision number clash
        ├── AlreadyResolved            409  a review case already has its resolution
        ├── PayloadTooLarge            413
        ├── UnsupportedMediaType       415  the body is not sent as JSON
        ├── InputInvalid               422  the body fails the Input model
        │   ├── InvalidQuery               a run query is malformed
        │   ├── DuplicateKey               a JSON body names a key twice in one object
        │   └── ResolutionInvalid          a review's final output does not fit the spec
        ├── LabelRefused               422  a label cannot point there (names why)
        ├── KeyRateLimited             429  an API key is over its request limit (Retry-After)
        ├── BudgetExceeded             429  a spec's or key's daily token or cost budget is
        │                                   used up (Retry-After: the day's end, UTC)
        ├── GuardrailViolation         422  still violated after repair
        ├── NoDecision                 422  a decision table cannot decide a valid input
        │   ├── DecisionConflict           several rows of a unique/any table disagree
        │   └── DecisionError              a table could not be evaluated
        ├── InternalError              500  a bug: logged with its traceback, answered typed
        ├── ProviderError              502  a model call failed (mapped from a vendor SDK)
        │   ├── RetryableProviderError     429, 5xx, timeout, connection reset
        │   │   ├── RateLimited            429, with retry_after
        │   │   └── MalformedResponse      2xx with a cut-off/garbled body or missing fields
        │   └── FatalProviderError         400, 401, 403, 404: trying again cannot help
        │       └── ContextTooLong         the prompt does not fit the model's window
        ├── OutputInvalid              502  a model's answer failed parsing or validation
        │   └── UnparseableOutput          the answer is not one JSON object
        ├── RoutingExhausted           502  every model of the route failed
        │   └── ModelsExhausted            ... with every attempt and failure
        ├── ModelNotConfigured         503  no model can be called: missing key, unknown
        │                                   provider, empty route; names the fix
        ├── LogUnavailable             503  the execution log cannot be opened, written, read
        ├── NotReady                   503  /readyz: the server cannot answer runs now
        └── ReplayMiss                 503  a cassette has no recording for a request

    Signals raised and caught inside the runtime (they never reach a user):

    Exception
    ├── RevisionLoadError              a revision directory cannot be served (reported)
    ├── RemoteError                    an error in the log writer process, carried back
    ├── NativeUnsupported              these values need the CEL program, not the fast path
    ├── NotNativeExpression            this expression stays in CEL (no fast path for it)
    └── RequestCaptured                an adapter's request body is recorded for a batch, not sent
    ValueError
    ├── ParseError                     a model's text is not exactly one JSON object
    └── UnsupportedSchema              a schema a provider's structured output cannot express

    Failures of the testing library (pytest shows them as failed tests):

    AssertionError
    ├── SpecCheckFailed                a generated check failed; the message is the report
    └── ScriptExhausted                a scripted model was called more often than scripted
    RuntimeError
    ├── NetworkBlocked                 a test tried to reach a non-loopback address
    └── RealModelUnavailable           the real-model lane cannot run here (package, server)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from specwright.compiler.errors import SpecError, SpecwrightError
from specwright.runtime.records import Attempt, ModelFailure, Usage, guardrail_of


class RevisionReadError(SpecError):
    """A revision directory on disk is unreadable (located at its manifest)."""


class AuthoringError(SpecwrightError):
    """An authoring command cannot start (a file exists, a name is wrong...)."""


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


class BadRequest(RuntimeFailure):
    status, type = 400, "bad_request"


class InputFileError(BadRequest):
    """A ``specwright run`` input file or its column mapping is wrong: ``file:line: what``,
    raised before any line runs."""

    type = "invalid_input_file"


class InvalidJson(RuntimeFailure):
    status, type = 400, "invalid_json"


class Unauthorized(RuntimeFailure):
    status, type = 401, "unauthorized"


class Forbidden(RuntimeFailure):
    status, type = 403, "forbidden"


class NotFound(RuntimeFailure):
    status, type = 404, "not_found"


class MethodNotAllowed(RuntimeFailure):
    status, type = 405, "method_not_allowed"


class AlreadyResolved(RuntimeFailure):
    """A review case can be resolved once (the log's unique index decides between two)."""

    status, type = 409, "already_resolved"


class PayloadTooLarge(RuntimeFailure):
    status, type = 413, "payload_too_large"


class UnsupportedMediaType(RuntimeFailure):
    status, type = 415, "unsupported_media_type"


class InputInvalid(RuntimeFailure):
    status, type = 422, "invalid_input"


class InvalidQuery(InputInvalid):
    """A run query is malformed (bad cursor, limit out of range, since after until)."""

    type = "invalid_query"


class KeyRateLimited(RuntimeFailure):
    """An API key sent more requests than its limit allows; answered 429 with Retry-After."""

    status, type = 429, "key_rate_limited"

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message, {"retry_after_s": round(retry_after_s, 3)})
        self.retry_after_s = retry_after_s


class BudgetExceeded(RuntimeFailure):
    """A run would exceed a daily budget of its spec or API key (``engine/budgets.py``);
    answered 429 with Retry-After at the end of the UTC day, before any model is called."""

    status, type = 429, "budget_exceeded"

    def __init__(self, message: str, details: dict[str, Any], retry_after_s: float) -> None:
        super().__init__(message, details)
        self.retry_after_s = retry_after_s


class PinConflict(RuntimeFailure):
    """The query parameter and the header pin different revisions: each is valid, together
    they conflict (409, not a malformed request)."""

    status, type = 409, "conflicting_revision_pins"


class NotReady(RuntimeFailure):
    """``/readyz``: the server cannot answer runs now (its execution log is unavailable)."""

    status, type = 503, "not_ready"


class ResolutionInvalid(InputInvalid):
    """A reviewer's final output does not fit the Output model of the case's revision (which
    revision, and so which model, depends on the case: no request schema can state it)."""

    type = "resolution_invalid"


class DuplicateKey(InputInvalid):
    """A JSON body names the same key twice in one object (JSON parsers disagree on which wins)."""

    type = "duplicate_key"
class ConcurrentMove(RuntimeFailure):
    """A label moved between reading it and moving it, or one revision number holds two
    different contents in the shared database."""

    status, type = 409, "conflict"


class LabelRefused(RuntimeFailure):
    """A label cannot be moved there: the revision does not exist, does not load, or there is
    nothing to roll back to. The message names why and what to do."""

    status, type = 422, "label_refused"


class GuardrailViolation(RuntimeFailure):
    status, type = 422, "guardrail_failed"


class NoDecision(RuntimeFailure):
    """A decision table cannot decide this (valid) input: a gap or conflict in the spec."""

    status, type = 422, "no_decision"


class DecisionConflict(NoDecision):
    type = "decision_conflict"


class DecisionError(NoDecision):
    type = "decision_error"


class InternalError(RuntimeFailure):
    status, type = 500, "internal_error"


class ProviderError(RuntimeFailure):
    """A model call failed. Raised by adapters only, mapped from the vendor's exception."""

    status, type = 502, "provider_error"
    # The vendor's own error text (keys scrubbed): for the execution log and the server log only,
    # never an HTTP body (``message`` is the safe summary).
    vendor_detail: str | None = None

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


class UnparseableOutput(OutputInvalid):
    """A model answered, but the answer is not one JSON object (raised by leaf models).

    Carries the raw ``text`` and the ``usage`` of the call so that the router can count the
    tokens and re-ask the same model with the parse error.
    """

    def __init__(self, message: str, *, text: str = "", usage: Usage | None = None) -> None:
        super().__init__(message)
        self.text = text
        self.usage = usage or Usage()


class RoutingExhausted(RuntimeFailure):
    status, type = 502, "model_error"


class ModelsExhausted(RoutingExhausted):
    """Every model of a route failed.

    Carries ``attempts``, ``failures`` (one ``ModelFailure`` per model tried or skipped) and
    ``last_problems`` (the problems of the last answer that failed the check). When
    ``guardrail_only`` is true the pipeline answers 422 ``guardrail_failed`` instead.
    """

    def __init__(
        self,
        message: str,
        *,
        attempts: Sequence[Attempt] = (),
        failures: Sequence[ModelFailure] = (),
        last_problems: Sequence[str] = (),
    ) -> None:
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        self.failures: tuple[ModelFailure, ...] = tuple(failures)
        self.last_problems: tuple[str, ...] = tuple(last_problems)
        details: dict[str, Any] = {"models": [f.as_dict() for f in self.failures]}
        if self.last_problems:
            details["problems"] = [
                {"message": str(p), "guardrail": guardrail_of(p)} for p in self.last_problems
            ]
        super().__init__(message, details)

    @property
    def guardrail_only(self) -> bool:
        """True when the route failed only because answers kept violating guardrails."""
        answered = [f for f in self.failures if f.kind not in ("cooling", "not_configured")]
        return (
            bool(self.last_problems)
            and all(guardrail_of(p) for p in self.last_problems)
            and bool(answered)
            and all(f.kind == "output" for f in answered)
        )

    @property
    def guardrail_labels(self) -> tuple[str, ...]:
        """Labels of the guardrails the last answer violated, in order, without repeats."""
        labels = (guardrail_of(p) for p in self.last_problems)
        return tuple(dict.fromkeys(label for label in labels if label))


class ModelNotConfigured(RuntimeFailure):
    """No model can be called: a missing key, an unknown provider, no route at all.

    The message names the fix (the variable to set, the setting to add). Raised by the registry
    for one model, by the router when no model of a route could be called (then with the
    ``attempts`` and ``failures`` it recorded) and by the authoring commands with no model.
    """

    status, type = 503, "model_not_configured"

    def __init__(
        self,
        message: str,
        details: Any = None,
        *,
        attempts: Sequence[Attempt] = (),
        failures: Sequence[ModelFailure] = (),
    ) -> None:
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        self.failures: tuple[ModelFailure, ...] = tuple(failures)
        if details is None and self.failures:
            details = {"models": [f.as_dict() for f in self.failures]}
        super().__init__(message, details)


class LogUnavailable(RuntimeFailure):
    """The execution log cannot be opened, written or read.

    A ``write`` that raises this did not acknowledge the run: the caller must not report success
    (the app answers 503). The message names the backend and the cause, never a password.
    """

    status, type = 503, "log_unavailable"


class ReplayMiss(RuntimeFailure):
    status, type = 503, "replay_miss"


# ----------------------------------------------------------------------------- internal signals


class RevisionLoadError(Exception):
    """A revision directory is incomplete or unreadable (reported, never served)."""


class RemoteError(Exception):
    """An error raised in the writer process, carried to the server: its class name and
    message (the exception itself stays in the child)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


class NativeUnsupported(Exception):  # noqa: N818 - a signal, not an error: "ask CEL instead"
    """These operand values are outside what the native fast path reproduces: run CEL."""


class NotNativeExpression(Exception):  # noqa: N818 - a signal: the expression stays in CEL
    """An expression the native fast path does not compile (found once, when a revision loads)."""


class RequestCaptured(Exception):  # noqa: N818 - a signal, not an error
    """Stops an adapter's call once the request body it would post is recorded (the items of
    a provider batch, ``runtime/models/batch_api/capture.py``)."""


class ParseError(ValueError):
    """The text is not exactly one JSON object; the message says why, for a repair prompt."""


class UnsupportedSchema(ValueError):
    """A JSON Schema construct a provider's structured-output mode cannot express."""


# ----------------------------------------------------------------------------- testing library


class SpecCheckFailed(AssertionError):
    """A generated check failed; the message is the whole report, located in the spec."""


class ScriptExhausted(AssertionError):
    """The model was called more often than responses were scripted."""


class NetworkBlocked(RuntimeError):
    """A test tried to reach a non-loopback address."""


class RealModelUnavailable(RuntimeError):
    """The real model cannot be run here: a package is missing, or the server did not start."""
