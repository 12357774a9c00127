"""Loaded spec revisions: ``generated/<spec>/r<N>/`` turned into immutable, ready-to-run objects.

A ``LoadedRevision`` holds everything one revision needs at request time: the ``CompiledSpec``
(``spec.json``), the Pydantic ``Input``/``Output`` classes (``models.py`` imported from its path
under a unique module name), the prompt template compiled once in a jinja2 sandbox, and the
schemas. A ``Catalog`` maps spec name -> ``SpecEntry`` (its revisions, grouped by contract major).

Catalogs are never mutated. A reload builds a new ``Catalog`` (re-using the revisions whose
directory did not change) and the server swaps one reference, so a request keeps the revision it
resolved at its start for its whole life.

Labels (``production``, ``staging``...) name revisions; the catalog holds them as the server last
read them from the log database (``specwright.runtime.http.label_follow``). What a request gets
(``resolve``): a pinned revision; else the revision of the label it names; else the
``production`` label's revision when that revision belongs to the requested major; else the
latest revision of the major. So a label never takes a contract major away (docs/versioning.md).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

from jinja2 import StrictUndefined
from jinja2.environment import TemplateModule
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel

from specwright.compiler.errors import Diagnostic
from specwright.compiler.ir import CompiledSpec
from specwright.runtime.engine.run_plan import RunPlan, build_plan
from specwright.runtime.errors import NotFound, RevisionLoadError

log = logging.getLogger("specwright.catalog")

_REVISION_DIR = re.compile(r"r([1-9][0-9]*)")
_MODULE_PREFIX = "specwright_generated"


@dataclass(frozen=True, slots=True, eq=False)
class LoadedRevision:
    name: str
    revision: int
    major: int
    path: Path
    manifest: Mapping[str, Any]
    compiled: CompiledSpec
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any]
    model_output_schema: Mapping[str, Any]  # Output schema restricted to model-decided fields
    # The same schema as a plain dict, shared by every model request of this revision (so the
    # lowering cache hits by identity). Read-only by convention: nothing may mutate it.
    request_schema: dict[str, Any]
    prompt: TemplateModule  # the template module: macros ``system()`` and ``user(input, decided)``
    content_sha256: str
    plan: RunPlan  # what every run of this revision needs, worked out once (``run_plan.py``)

    @property
    def table_decided(self) -> tuple[str, ...]:
        return self.compiled.table_decided

    @property
    def model_decided(self) -> tuple[str, ...]:
        return self.compiled.model_decided

    @property
    def route_path(self) -> str:
        return route_path(self.name, self.major)


def route_path(name: str, major: int) -> str:
    return f"/specs/{name}/v{major}"


@dataclass(frozen=True, slots=True)
class SpecEntry:
    name: str
    revisions: tuple[LoadedRevision, ...] = ()  # ascending revision number
    diagnostics: tuple[Diagnostic, ...] = ()  # the current source does not compile (hot reload)

    @property
    def majors(self) -> tuple[int, ...]:
        return tuple(sorted({r.major for r in self.revisions}))

    @property
    def latest(self) -> LoadedRevision | None:
        return self.revisions[-1] if self.revisions else None

    def latest_of(self, major: int) -> LoadedRevision | None:
        for rev in reversed(self.revisions):
            if rev.major == major:
                return rev
        return None

    def get(self, revision: int) -> LoadedRevision | None:
        for rev in self.revisions:
            if rev.revision == revision:
                return rev
        return None


DEFAULT_LABEL = "production"
Labels = Mapping[str, Mapping[str, int | None]]  # spec -> label -> revision (None: the latest)


@dataclass(frozen=True, slots=True)
class Catalog:
    specs: Mapping[str, SpecEntry] = field(default_factory=lambda: MappingProxyType({}))
    load_errors: tuple[str, ...] = ()  # revision directories that could not be loaded
    labels: Labels = field(default_factory=lambda: MappingProxyType({}))

    def resolve(self, name: str, major: int, revision: int | None = None,
                label: str | None = None) -> LoadedRevision:
        """The revision to serve for ``POST /specs/{name}/v{major}``; NotFound names the choices."""
        entry = self.specs.get(name)
        if entry is not None and revision is None:
            if label is not None:
                return self._labelled(entry, major, label)
            served = self.default_of(entry, major)
            if served is not None:
                return served
        # What is left is a pinned revision, or a request to refuse with the choices named.
        if entry is not None and not entry.revisions:
            raise NotFound(f'spec "{name}" does not compile yet: see GET /specs/{name}')
        if entry is None or not entry.revisions:
            known = ", ".join(sorted(n for n, e in self.specs.items() if e.revisions)) or "none"
            raise NotFound(f'unknown spec "{name}" (served specs: {known})')
        if major not in entry.majors:
            majors = ", ".join(f"v{m}" for m in entry.majors)
            raise NotFound(f'spec "{name}" has no contract v{major} (it has {majors})')
        assert revision is not None  # the latest of a served major was returned above
        rev = entry.get(revision)
        if rev is None or rev.major != major:
            mine = ", ".join(str(r.revision) for r in entry.revisions if r.major == major)
            raise NotFound(
                f'spec "{name}" v{major} has no revision {revision} (its revisions: {mine})'
            )
        return rev

    def default_of(self, entry: SpecEntry, major: int) -> LoadedRevision | None:
        """What a request to ``major`` without pin or label gets: the production label's
        revision when it belongs to this major, else the latest revision of the major."""
        target = self.labels.get(entry.name, {}).get(DEFAULT_LABEL)
        if target is not None:
            rev = entry.get(target)
            if rev is not None and rev.major == major:
                return rev
        return entry.latest_of(major)

    def label_target(self, name: str, label: str) -> LoadedRevision | None:
        """The revision ``label`` of ``name`` resolves to (following the latest: the latest)."""
        entry = self.specs.get(name)
        if entry is None:
            return None
        labels = self.labels.get(name, {})
        if label not in labels and label != DEFAULT_LABEL:
            return None
        target = labels.get(label)
        return entry.latest if target is None else entry.get(target)

    def _labelled(self, entry: SpecEntry, major: int, label: str) -> LoadedRevision:
        labels = self.labels.get(entry.name, {})
        rev = self.label_target(entry.name, label)
        if rev is None:
            known = ", ".join(sorted({DEFAULT_LABEL, *labels}))
            raise NotFound(f'spec "{entry.name}" has no label "{label}" (its labels: {known})')
        if label == DEFAULT_LABEL and labels.get(label) is None:
            latest = entry.latest_of(major)  # following the latest: the latest of this major
            if latest is not None:
                return latest
        if rev.major != major:
            raise NotFound(
                f'label "{label}" of {entry.name} points at r{rev.revision}, contract '
                f"v{rev.major}: call {route_path(entry.name, rev.major)}"
            )
        return rev

    def with_labels(self, labels: Labels,
                    extra: Mapping[str, Iterable[LoadedRevision]] | None = None) -> Catalog:
        """A new catalog with these labels and, added to their specs, revisions loaded from
        the log database (those whose directory is not on this machine)."""
        specs = dict(self.specs)
        for name, revs in (extra or {}).items():
            entry = specs.get(name) or SpecEntry(name=name)
            have = {r.revision for r in entry.revisions}
            merged = [*entry.revisions, *(r for r in revs if r.revision not in have)]
            specs[name] = replace(entry, revisions=tuple(sorted(merged, key=_number)))
        frozen = MappingProxyType({k: MappingProxyType(dict(v)) for k, v in labels.items()})
        return Catalog(specs=MappingProxyType(dict(sorted(specs.items()))),
                       load_errors=self.load_errors, labels=frozen)

    def routes(self) -> dict[tuple[str, int], LoadedRevision]:
        """(spec, major) -> the latest revision of that major: one HTTP route each."""
        out: dict[tuple[str, int], LoadedRevision] = {}
        for name in sorted(self.specs):
            entry = self.specs[name]
            for major in entry.majors:
                latest = entry.latest_of(major)
                assert latest is not None
                out[(name, major)] = latest
        return out

    def with_diagnostics(self, diagnostics: Mapping[str, Iterable[Diagnostic]]) -> Catalog:
        """A new catalog whose entries carry the given current compile problems (others: none)."""
        specs = dict(self.specs)
        for name in set(specs) | set(diagnostics):
            diags = tuple(diagnostics.get(name, ()))
            entry = specs.get(name) or SpecEntry(name=name)
            if not diags and not entry.revisions:
                specs.pop(name, None)
                continue
            specs[name] = replace(entry, diagnostics=diags)
        return Catalog(specs=MappingProxyType(dict(sorted(specs.items()))),
                       load_errors=self.load_errors, labels=self.labels)


def _number(rev: LoadedRevision) -> int:
    return rev.revision


def load_catalog(generated_dir: Path, *, previous: Catalog | None = None) -> Catalog:
    """Load every revision under ``generated_dir``; unchanged revisions are taken from ``previous``.

    A revision directory that cannot be loaded is skipped and reported in ``load_errors``;
    the other revisions are still served. Diagnostics, labels and the revisions loaded from
    the log database (not under ``generated_dir``) of ``previous`` are carried over.
    """
    cache: dict[tuple[Path, str], LoadedRevision] = {}
    if previous is not None:
        for entry in previous.specs.values():
            for rev in entry.revisions:
                cache[(rev.path, rev.content_sha256)] = rev
    specs: dict[str, SpecEntry] = {}
    errors: list[str] = []
    if generated_dir.is_dir():
        for spec_dir in sorted(p for p in generated_dir.iterdir() if p.is_dir()):
            revisions: list[LoadedRevision] = []
            for rev_dir in _revision_dirs(spec_dir):
                try:
                    revisions.append(_load_cached(rev_dir, cache))
                except RevisionLoadError as exc:
                    errors.append(f"{rev_dir}: {exc}")
                    log.warning("not serving %s: %s", rev_dir, exc)
            if revisions:
                diags: tuple[Diagnostic, ...] = ()
                if previous is not None and spec_dir.name in previous.specs:
                    diags = previous.specs[spec_dir.name].diagnostics
                specs[spec_dir.name] = SpecEntry(spec_dir.name, tuple(revisions), diags)
    if previous is not None:  # specs known only by their diagnostics
        for name, entry in previous.specs.items():
            if name not in specs and entry.diagnostics:
                specs[name] = SpecEntry(name, (), entry.diagnostics)
    catalog = Catalog(specs=MappingProxyType(dict(sorted(specs.items()))),
                      load_errors=tuple(errors))
    if previous is None:
        return catalog
    root = generated_dir.resolve()
    extra = {
        name: [r for r in entry.revisions if not r.path.resolve().is_relative_to(root)]
        for name, entry in previous.specs.items()
    }
    return catalog.with_labels(previous.labels, {k: v for k, v in extra.items() if v})


def _revision_dirs(spec_dir: Path) -> list[Path]:
    found = []
    for p in spec_dir.iterdir():
        m = _REVISION_DIR.fullmatch(p.name)
        if m and p.is_dir():
            found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


def _load_cached(rev_dir: Path, cache: dict[tuple[Path, str], LoadedRevision]) -> LoadedRevision:
    manifest = _read_json(rev_dir / "manifest.json")
    content = str(manifest.get("content_sha256", ""))
    hit = cache.get((rev_dir, content))
    if hit is not None and content:
        return hit
    return load_revision(rev_dir, manifest)


def load_revision(rev_dir: Path, manifest: Mapping[str, Any] | None = None) -> LoadedRevision:
    """Load one ``generated/<spec>/r<N>/`` directory."""
    manifest = dict(manifest if manifest is not None else _read_json(rev_dir / "manifest.json"))
    try:
        compiled = CompiledSpec.model_validate_json((rev_dir / "spec.json").read_bytes())
    except (OSError, ValueError) as exc:
        raise RevisionLoadError(f"spec.json: {exc}") from None
    name = str(manifest.get("name") or compiled.spec.name)
    m = _REVISION_DIR.fullmatch(rev_dir.name)
    revision = int(manifest.get("revision") or (m.group(1) if m else 0))
    major = int(manifest.get("contract_major") or 1)
    content = str(manifest.get("content_sha256", ""))
    module = _import_models(rev_dir / "models.py", name, revision, content)
    input_model = _model_class(module, "Input")
    output_model = _model_class(module, "Output")
    output_schema = _read_json(rev_dir / "output.schema.json")
    request_schema = subset_schema(output_schema, compiled.model_decided)
    return LoadedRevision(
        name=name,
        revision=revision,
        major=major,
        path=rev_dir,
        manifest=MappingProxyType(manifest),
        compiled=compiled,
        input_model=input_model,
        output_model=output_model,
        input_schema=MappingProxyType(_read_json(rev_dir / "input.schema.json")),
        output_schema=MappingProxyType(output_schema),
        model_output_schema=MappingProxyType(request_schema),
        request_schema=request_schema,
        prompt=_compile_prompt(rev_dir / "prompt.j2"),
        content_sha256=content,
        plan=build_plan(compiled),
    )


def subset_schema(schema: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """An object schema restricted to ``fields`` (the model-decided part of the Output)."""
    keep = list(fields)
    out = dict(schema)
    props = schema.get("properties", {})
    out["properties"] = {k: props[k] for k in keep if k in props}
    out["required"] = [k for k in schema.get("required", []) if k in keep]
    out.setdefault("additionalProperties", False)
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise RevisionLoadError(f"{path.name}: {exc}") from None
    if not isinstance(data, dict):
        raise RevisionLoadError(f"{path.name}: not a JSON object")
    return data


def _import_models(path: Path, name: str, revision: int, content: str) -> ModuleType:
    ident = re.sub(r"\W", "_", name)
    module_name = f"{_MODULE_PREFIX}_{ident}_r{revision}_{(content or str(id(path)))[:12]}"
    existing = sys.modules.get(module_name)
    if existing is not None and getattr(existing, "__file__", None) == str(path):
        return existing
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise RevisionLoadError(f"models.py: cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # Pydantic resolves forward references through it
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - generated code that fails to import: broken revision
        sys.modules.pop(module_name, None)
        raise RevisionLoadError(f"models.py: {type(exc).__name__}: {exc}") from None
    return module


def _model_class(module: ModuleType, attr: str) -> type[BaseModel]:
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        raise RevisionLoadError(f"models.py: no Pydantic class {attr}")
    return cls


_PROMPT_ENV = SandboxedEnvironment(
    autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True
)


def _compile_prompt(path: Path) -> TemplateModule:
    try:
        template = _PROMPT_ENV.from_string(path.read_text(encoding="utf-8"))
        module = template.module
    except Exception as exc:  # noqa: BLE001 - a template that does not compile: broken revision
        raise RevisionLoadError(f"prompt.j2: {type(exc).__name__}: {exc}") from None
    for macro in ("system", "user"):
        if not callable(getattr(module, macro, None)):
            raise RevisionLoadError(f"prompt.j2: no macro {macro}()")
    return module
