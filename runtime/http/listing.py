"""``GET /specs``, ``GET /specs/{name}``, ``GET /healthz``: what is served, and is it healthy."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from specwright.runtime.engine.catalog import Catalog, LoadedRevision, SpecEntry, route_path
from specwright.runtime.errors import NotFound
from specwright.runtime.http.auth import require
from specwright.runtime.http.error_bodies import ErrorBody
from specwright.runtime.http.state import get_state

router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or unknown API key"},
    429: {"model": ErrorBody, "description": "The API key's request limit (see Retry-After)"},
    404: {"model": ErrorBody, "description": "Unknown spec"},
    422: {"model": ErrorBody, "description": "Invalid request"},
}


class MajorInfo(BaseModel):
    major: int
    route: str = Field(description="POST here to run the revision this major serves")
    latest_revision: int
    serving_revision: int = Field(description="What a request without pin or label gets: the "
                                  "production label's revision when it is of this major, else "
                                  "the latest")
    revisions: list[int]


class SpecSummary(BaseModel):
    name: str
    title: str
    owner: str | None = None
    latest_revision: int | None
    majors: list[MajorInfo]
    table_decided: list[str] = Field(description="Output fields decided by decision tables")
    model_decided: list[str] = Field(description="Output fields asked of the model")
    rules_only: bool = Field(description="True when no model is ever called")
    compiles: bool = Field(description="False when the latest edit of the spec does not compile")


class DiagnosticOut(BaseModel):
    file: str
    line: int
    col: int
    severity: str
    message: str


class RevisionInfo(BaseModel):
    revision: int
    major: int
    route: str
    content_sha256: str
    spec_sha256: str | None = None
    table_decided: list[str]
    model_decided: list[str]
    changes: Any = Field(None, description="Contract changes (kind breaking or compatible) and "
                         "rule changes (kind behaviour) from the previous revision")


class SpecDetail(SpecSummary):
    description: str
    revisions: list[RevisionInfo]
    diagnostics: list[DiagnosticOut] = Field(
        description="Why the latest edit does not compile (the previous revision is served)"
    )


class SpecList(BaseModel):
    specs: list[SpecSummary]


class Health(BaseModel):
    status: Literal["ok"]
    specs: int
    routes: int
    log: str = Field(description="Execution log backend")
    watching: bool
    mock: bool


def _summary(entry: SpecEntry, catalog: Catalog) -> dict[str, Any]:
    latest = entry.latest
    majors = []
    for major in entry.majors:
        revs = [r.revision for r in entry.revisions if r.major == major]
        serving = catalog.default_of(entry, major)
        majors.append(
            MajorInfo(major=major, route=route_path(entry.name, major),
                      latest_revision=revs[-1],
                      serving_revision=serving.revision if serving else revs[-1], revisions=revs)
        )
    spec = latest.compiled.spec if latest else None
    return {
        "name": entry.name,
        "title": spec.title if spec else entry.name,
        "owner": spec.owner if spec else None,
        "latest_revision": latest.revision if latest else None,
        "majors": majors,
        "table_decided": list(latest.table_decided) if latest else [],
        "model_decided": list(latest.model_decided) if latest else [],
        "rules_only": bool(latest and not latest.model_decided),
        "compiles": not any(d.severity == "error" for d in entry.diagnostics),
    }


def _revision_info(rev: LoadedRevision) -> RevisionInfo:
    manifest = rev.manifest
    changes = manifest.get("changes", manifest.get("contract_changes"))
    spec_sha = manifest.get("spec_sha256")
    return RevisionInfo(
        revision=rev.revision,
        major=rev.major,
        route=rev.route_path,
        content_sha256=rev.content_sha256,
        spec_sha256=str(spec_sha) if spec_sha is not None else None,
        table_decided=list(rev.table_decided),
        model_decided=list(rev.model_decided),
        changes=changes,
    )


@router.get("/specs", response_model=SpecList, responses=_ERRORS, tags=["service"],
            summary="Every served spec with its contract majors and revisions")
async def list_specs(request: Request) -> SpecList:
    state = get_state(request.app)
    require(state.gate, request, "caller")
    return SpecList(specs=[SpecSummary(**_summary(e, state.catalog))
                           for e in state.catalog.specs.values()])


@router.get("/specs/{name}", response_model=SpecDetail, responses=_ERRORS, tags=["service"],
            summary="One spec: its revisions, their contract changes, current diagnostics")
async def get_spec(request: Request, name: str = Path(max_length=200)) -> SpecDetail:
    state = get_state(request.app)
    require(state.gate, request, "caller")
    entry = state.catalog.specs.get(name)
    if entry is None:
        known = ", ".join(state.catalog.specs) or "none"
        raise NotFound(f'unknown spec "{name}" (served specs: {known})')
    latest = entry.latest
    return SpecDetail(
        **_summary(entry, state.catalog),
        description=latest.compiled.spec.description if latest else "",
        revisions=[_revision_info(r) for r in entry.revisions],
        diagnostics=[DiagnosticOut(**d.as_dict()) for d in entry.diagnostics],  # type: ignore[arg-type]
    )


@router.get("/healthz", response_model=Health, tags=["service"], summary="Liveness")
async def healthz(request: Request) -> Health:
    state = get_state(request.app)
    catalog = state.catalog
    return Health(
        status="ok",
        specs=sum(1 for e in catalog.specs.values() if e.revisions),
        routes=len(catalog.routes()),
        log=state.store.backend if state.store is not None else "closed",
        watching=state.watching,
        mock=state.mock,
    )
