"""The batch endpoints of both providers on the fake server, following their wire formats.

OpenAI Batch API:

* ``POST /v1/files`` (multipart, ``purpose=batch``): an input file of JSON lines, each
  ``{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}``;
* ``POST /v1/batches`` ``{"input_file_id", "endpoint", "completion_window"}``, ``GET
  /v1/batches/{id}``: the batch object (``status`` validating → in_progress → completed,
  ``output_file_id``, ``error_file_id``, ``request_counts``);
* ``GET /v1/files/{id}/content``: the output file, one line per request:
  ``{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}``.

Anthropic Message Batches:

* ``POST /v1/messages/batches`` ``{"requests": [{"custom_id", "params"}]}``, ``GET
  /v1/messages/batches/{id}``: ``processing_status`` in_progress → ended, ``request_counts``,
  ``results_url``;
* ``GET /v1/messages/batches/{id}/results``: one line per request, ``{"custom_id", "result":
  {"type": "succeeded", "message"}}`` or ``{"type": "errored", "error": {"type": "error",
  "error": {"type", "message"}}}``.

A batch ends ``batch_s`` seconds (the fake's configuration, read when polled) after it was
created; each request is then answered as the chat or messages endpoint would, faults included
(a hang or a reset becomes an errored request), rate limits not counted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from specwright.runtime.fakeserver.http import Reply, http_response

Answer = Callable[[str, bytes], tuple[int, Any]]  # (api, request body) -> (status, JSON body)


@dataclass(slots=True)
class _Batch:
    id: str
    api: str  # "openai" | "anthropic"
    created: float
    requests: list[tuple[str, dict[str, Any]]]  # (custom_id, body)
    output: str | None = None  # JSON lines, once ended
    counts: dict[str, int] = field(default_factory=dict)


class FakeBatches:
    """Files and batches of one fake server (in memory)."""

    def __init__(self, answer: Answer, batch_s: Callable[[], float],
                 base_url: Callable[[], str] = str) -> None:
        self._answer = answer
        self._batch_s = batch_s
        self._base_url = base_url  # results_url is absolute, as Anthropic sends it
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, _Batch] = {}
        self.created = 0  # batches created (both APIs)

    def handle(self, method: str, path: str, body: bytes) -> Reply | None:
        """The reply for a batch or file endpoint; None for any other path."""
        parts = path.strip("/").split("/")
        if parts and parts[0] == "v1":
            parts = parts[1:]
        try:
            if parts == ["files"] and method == "POST":
                return self._upload(body)
            if len(parts) == 3 and parts[0] == "files" and parts[2] == "content":
                return self._file(parts[1])
            if parts == ["batches"] and method == "POST":
                return self._create_openai(json.loads(body))
            if len(parts) == 2 and parts[0] == "batches":
                return self._ok(self._openai_object(self._get(parts[1])))
            if parts == ["messages", "batches"] and method == "POST":
                return self._create_anthropic(json.loads(body))
            if len(parts) == 3 and parts[:2] == ["messages", "batches"]:
                return self._ok(self._anthropic_object(self._get(parts[2])))
            if len(parts) == 4 and parts[:2] == ["messages", "batches"] and parts[3] == "results":
                batch = self._get(parts[2])
                if batch.output is None:
                    return _error(400, "the batch has not ended")
                return Reply(http_response(200, batch.output.encode()))
        except KeyError as exc:
            return _error(404, f"no such object: {exc.args[0]}")
        except (ValueError, TypeError) as exc:
            return _error(400, f"bad request: {exc}")
        return None

    # ---------------------------------------------------------------------------- OpenAI

    def _upload(self, body: bytes) -> Reply:
        content = _multipart_file(body)
        file_id = f"file-fake{len(self.files) + 1}"
        self.files[file_id] = content
        return self._ok({"id": file_id, "object": "file", "bytes": len(content),
                         "created_at": int(time.time()), "filename": "batch.jsonl",
                         "purpose": "batch", "status": "processed"})

    def _file(self, file_id: str) -> Reply:
        return Reply(http_response(200, self.files[file_id]))

    def _create_openai(self, request: dict[str, Any]) -> Reply:
        if request.get("endpoint") != "/v1/chat/completions":
            raise ValueError(f"endpoint {request.get('endpoint')!r} is not supported")
        lines = self.files[str(request["input_file_id"])].decode().splitlines()
        items = [json.loads(line) for line in lines if line.strip()]
        batch = self._new("openai", [(str(i["custom_id"]), i["body"]) for i in items])
        return self._ok(self._openai_object(batch))

    def _openai_object(self, batch: _Batch) -> dict[str, Any]:
        ended = self._end(batch)
        output_id = f"file-out-{batch.id}" if ended else None
        if output_id is not None:
            self.files.setdefault(output_id, (batch.output or "").encode())
        return {
            "id": batch.id, "object": "batch", "endpoint": "/v1/chat/completions",
            "input_file_id": "", "completion_window": "24h",
            "status": "completed" if ended else "in_progress",
            "output_file_id": output_id, "error_file_id": None,
            "created_at": int(batch.created),
            "request_counts": {"total": len(batch.requests),
                               "completed": batch.counts.get("succeeded", 0),
                               "failed": batch.counts.get("errored", 0)},
        }

    # ---------------------------------------------------------------------------- Anthropic

    def _create_anthropic(self, request: dict[str, Any]) -> Reply:
        items = [(str(r["custom_id"]), dict(r["params"])) for r in request["requests"]]
        return self._ok(self._anthropic_object(self._new("anthropic", items)))

    def _anthropic_object(self, batch: _Batch) -> dict[str, Any]:
        ended = self._end(batch)
        total = len(batch.requests)
        return {
            "id": batch.id, "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {
                "processing": 0 if ended else total,
                "succeeded": batch.counts.get("succeeded", 0),
                "errored": batch.counts.get("errored", 0), "canceled": 0, "expired": 0},
            "created_at": _rfc3339(batch.created), "expires_at": _rfc3339(batch.created + 86400),
            "ended_at": _rfc3339(time.time()) if ended else None,
            "cancel_initiated_at": None, "archived_at": None,
            "results_url": (f"{self._base_url()}/v1/messages/batches/{batch.id}/results"
                            if ended else None),
        }

    # ---------------------------------------------------------------------------- both

    def _new(self, api: str, items: list[tuple[str, dict[str, Any]]]) -> _Batch:
        self.created += 1
        prefix = "batch_fake" if api == "openai" else "msgbatch_fake"
        batch = _Batch(f"{prefix}{self.created}", api, time.time(), items)
        self.batches[batch.id] = batch
        return batch

    def _get(self, batch_id: str) -> _Batch:
        return self.batches[batch_id]

    def _end(self, batch: _Batch) -> bool:
        """Answer every request once the batch's time is up; True when it has ended."""
        if batch.output is not None:
            return True
        if time.time() < batch.created + self._batch_s():
            return False
        lines = []
        for n, (custom_id, body) in enumerate(batch.requests):
            status, payload = self._answer(batch.api, json.dumps(body).encode())
            ok = status == 200
            batch.counts["succeeded" if ok else "errored"] = batch.counts.get(
                "succeeded" if ok else "errored", 0) + 1
            lines.append(json.dumps(_openai_line(n, custom_id, status, payload)
                                    if batch.api == "openai"
                                    else _anthropic_line(custom_id, status, payload)))
        batch.output = "".join(line + "\n" for line in lines)
        return True

    @staticmethod
    def _ok(payload: dict[str, Any]) -> Reply:
        return Reply(http_response(200, payload))


def _openai_line(n: int, custom_id: str, status: int, payload: Any) -> dict[str, Any]:
    return {"id": f"batch_req_{n}", "custom_id": custom_id,
            "response": {"status_code": status, "request_id": f"req_{n}", "body": payload},
            "error": None}


def _anthropic_line(custom_id: str, status: int, payload: Any) -> dict[str, Any]:
    if status == 200:
        return {"custom_id": custom_id, "result": {"type": "succeeded", "message": payload}}
    error = payload.get("error") if isinstance(payload, dict) else None
    return {"custom_id": custom_id, "result": {"type": "errored", "error": {
        "type": "error", "error": error or {"type": "api_error", "message": str(payload)}}}}


def _multipart_file(body: bytes) -> bytes:
    """The content of the part named ``file`` of a multipart/form-data body (its boundary is
    its first line: the fake's HTTP layer hands over no headers)."""
    boundary = body.split(b"\r\n", 1)[0]
    for part in body.split(boundary):
        head, sep, content = part.partition(b"\r\n\r\n")
        if sep and b'name="file"' in head:
            return content.removesuffix(b"\r\n")
    raise ValueError("no file part in the upload")


def _rfc3339(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _error(status: int, message: str) -> Reply:
    return Reply(http_response(status, {"error": {"type": "invalid_request_error",
                                                  "message": message}}))
