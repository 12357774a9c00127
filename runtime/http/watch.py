"""Hot reload (``specwright serve --watch``): recompile edited specs and swap the catalog.

Every 0.5 s the watcher stats ``specs/*.md``; a file whose size or mtime changed is read and
hashed, and only a changed hash counts as an edit (touching a file does nothing). On an edit the
project is compiled in a worker thread through ``specwright.runtime.project`` (which writes any new revision
directory), each edited spec in a child process with limits (``specwright.runtime.project.isolated``), then, back on the event loop, a new ``Catalog`` is loaded and swapped in with one
assignment. Requests already running keep the revision they resolved; the next request sees the
new one. A new contract major gets its own route, added while the server runs, and the cached
OpenAPI schema is reset.

A spec whose edit does not compile keeps being served at its previous revision; the diagnostics
are logged and shown by ``GET /specs/{name}`` until the spec compiles again.

Without ``--watch``, ``edited_spec_diagnostics`` is called once at start (from the app's
lifespan): edited specs are compiled in memory only and their diagnostics shown the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from specwright.compiler.errors import Diagnostic, SpecError
from specwright.runtime.config import Settings
from specwright.runtime.engine.catalog import Catalog, load_catalog
from specwright.runtime.http.calls import sync_routes
from specwright.runtime.http.state import ServerState, log_route_warnings
from specwright.runtime.project.isolated import isolated_compile

log = logging.getLogger("specwright.watch")

POLL_S = 0.5


@dataclass(frozen=True, slots=True)
class _Seen:
    mtime_ns: int
    size: int
    sha256: str


class SpecFiles:
    """Remembers ``specs/*.md`` and tells whether any was added, edited or removed."""

    def __init__(self, specs_dir: Path) -> None:
        self.dir = specs_dir
        self.seen: dict[Path, _Seen] = {}

    def changed(self) -> bool:
        current: dict[Path, _Seen] = {}
        dirty = False
        paths = sorted(self.dir.glob("*.md")) if self.dir.is_dir() else []
        for path in paths:
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(st.st_mode):  # a FIFO or a device (/dev/zero) is never read
                continue
            old = self.seen.get(path)
            if old is not None and (old.mtime_ns, old.size) == (st.st_mtime_ns, st.st_size):
                current[path] = old
                continue
            try:
                with path.open("rb") as handle:  # in chunks: a huge file is never held whole
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
            except OSError:
                continue
            current[path] = _Seen(st.st_mtime_ns, st.st_size, digest)
            dirty = dirty or old is None or old.sha256 != digest
        dirty = dirty or bool(set(self.seen) - set(current))
        self.seen = current
        return dirty


def compile_specs(root: Path, settings: Settings, catalog: Catalog
                  ) -> dict[str, tuple[Diagnostic, ...]]:
    """Compile the project, writing new revisions; return each failing spec's errors by name.

    A spec that does not compile is reported under the name it is served by (found through
    the ``source`` of its revisions), else under its file name.
    """
    from specwright.runtime.project.compile_all import compile_project

    try:  # the compiler runs in a child process with limits: a bad spec cannot stop the server
        result = compile_project(root, settings, write=True, compile_fn=isolated_compile)
    except SpecError as exc:  # the whole project failed (e.g. its configuration)
        for d in exc.diagnostics:
            log.error("%s", d)
        # Nothing new was learnt about any spec: keep showing what was known, rather than
        # reporting every spec as compiling.
        return {name: e.diagnostics for name, e in catalog.specs.items() if e.diagnostics}
    for d in result.diagnostics:
        log.error("%s", d)
    by_source = {
        str(entry.latest.manifest.get("source")): name
        for name, entry in catalog.specs.items()
        if entry.latest is not None
    }
    out: dict[str, tuple[Diagnostic, ...]] = {}
    for outcome in result.outcomes:
        if outcome.errors:
            name = by_source.get(outcome.source, outcome.name)
            out[name] = out.get(name, ()) + outcome.errors
    return out


async def reload(app: FastAPI, state: ServerState, *, first_load: bool = True) -> Catalog:
    """Compile, load and swap; returns the catalog now served. Model-route warnings are logged
    for new routes (for every route on the first load)."""
    settings, root = state.settings, state.root
    diagnostics = await asyncio.to_thread(compile_specs, root, settings, state.catalog)
    return await _load_and_swap(app, state, diagnostics, first_load=first_load)


async def reload_generated(app: FastAPI, state: ServerState) -> Catalog:
    """On SIGHUP (``specwright serve``): load ``generated/`` as it is now, after a
    ``specwright compile``, swap it in as ``--watch`` does, then check the specs edited since
    their latest revision as at start. No connection is closed, no request fails."""
    catalog = await _load_and_swap(app, state, {}, first_load=False)
    diagnostics = await asyncio.to_thread(edited_spec_diagnostics, state.root, state.settings,
                                          catalog)
    if diagnostics:
        state.catalog = catalog = state.catalog.with_diagnostics(diagnostics)
    return catalog


async def _load_and_swap(app: FastAPI, state: ServerState,
                         diagnostics: Mapping[str, tuple[Diagnostic, ...]], *, first_load: bool
                         ) -> Catalog:
    generated = state.settings.path(state.root, state.settings.generated_dir)
    before = state.catalog
    catalog = await asyncio.to_thread(load_catalog, generated, previous=before)
    catalog = catalog.with_diagnostics(diagnostics)
    state.catalog = catalog  # the swap: one assignment, on the event loop
    sync_routes(app, catalog)
    _report(before, catalog, diagnostics)
    old_routes = before.routes()
    log_route_warnings(state, [rev for key, rev in catalog.routes().items()
                               if key not in old_routes or first_load])
    return catalog


def _report(before: Catalog, after: Catalog, diagnostics: Mapping[str, tuple[Diagnostic, ...]]
            ) -> None:
    for name, entry in after.specs.items():
        old = before.specs.get(name)
        old_latest = old.latest.revision if old and old.latest else 0
        for rev in entry.revisions:
            if rev.revision > old_latest:
                log.info("%s r%d is now served at %s", name, rev.revision, rev.route_path)
    for name, diags in diagnostics.items():
        served = after.specs.get(name)
        keep = (f"still serving r{served.latest.revision}" if served and served.latest
                else "not served")
        log.error("%s does not compile (%s):\n%s", name, keep, "\n".join(map(str, diags)))


async def start_watching(app: FastAPI, state: ServerState) -> asyncio.Task[None]:
    """Compile and load once (so the server starts on what the specs say now), then watch."""
    files = SpecFiles(state.settings.path(state.root, state.settings.specs_dir))
    await asyncio.to_thread(files.changed)  # remember the files as they are before compiling
    try:
        await reload(app, state)
    except Exception:
        log.exception("compiling the specs at start failed; serving generated/ as it is")
    return asyncio.create_task(watch_specs(app, state, files), name="specwright-watch")


async def watch_specs(
    app: FastAPI, state: ServerState, files: SpecFiles, *, poll_s: float = POLL_S
) -> None:
    """The watch loop: runs until cancelled. A failed reload is logged and retried on the next
    edit; it never stops the server."""
    while True:
        await asyncio.sleep(poll_s)
        try:
            if await asyncio.to_thread(files.changed):  # glob, stat and hash: not on the loop
                await reload(app, state, first_load=False)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("hot reload failed; still serving the previous revisions")


def edited_spec_diagnostics(root: Path, settings: Settings, catalog: Catalog
                            ) -> dict[str, tuple[Diagnostic, ...]]:
    """Without ``--watch``: the errors of specs whose source no longer compiles, by served name.

    Only specs whose text differs from their latest revision's ``spec_sha256`` (or that have no
    revision at all) are compiled, in memory: nothing is written. A spec that does not compile
    is reported under the name it is served by (the ``source`` of its latest revision), else
    under its file name, as ``compile_specs`` does.
    """
    from specwright.compiler.manifest import spec_sha256
    from specwright.runtime.project.outcomes import SpecOutcome
    from specwright.runtime.project.plan import compile_and_plan
    from specwright.runtime.project.read import discover_specs, display_path, read_spec

    by_source = {
        str(entry.latest.manifest.get("source")): entry.latest
        for entry in catalog.specs.values()
        if entry.latest is not None
    }
    out: dict[str, tuple[Diagnostic, ...]] = {}
    for path in discover_specs(root, settings):
        source = display_path(root, path)
        latest = by_source.get(source)
        try:
            text = read_spec(path, source)
        except SpecError as exc:
            out[latest.name if latest else path.stem] = exc.diagnostics
            continue
        if latest is not None and latest.manifest.get("spec_sha256") == spec_sha256(text):
            continue  # unchanged since its latest revision: nothing to compile
        result = compile_and_plan(root, settings, path, isolated_compile)
        if isinstance(result, SpecOutcome) and result.errors:
            name = latest.name if latest is not None else result.name
            out[name] = out.get(name, ()) + result.errors
    for name, diags in out.items():
        entry = catalog.specs.get(name)
        keep = (f"serving r{entry.latest.revision}" if entry and entry.latest else "not served")
        log.warning("%s does not compile (%s):\n%s", name, keep, "\n".join(map(str, diags)))
    return out


def stale_specs(settings: Settings, root: Path) -> list[str]:
    """Messages for specs edited since their latest compiled revision (serve without --watch)."""
    from specwright.compiler.manifest import spec_sha256
    from specwright.runtime.project.read import discover_specs, display_path, read_spec

    catalog = load_catalog(settings.path(root, settings.generated_dir))
    by_source = {
        str(entry.latest.manifest.get("source")): entry.latest
        for entry in catalog.specs.values()
        if entry.latest is not None
    }
    out = []
    for path in discover_specs(root, settings):
        source = display_path(root, path)
        latest = by_source.get(source)
        try:
            # The manifest hashes the decoded text (a byte-order mark is not part of it).
            digest = spec_sha256(read_spec(path, source))
        except SpecError as exc:
            out.append(f"{path.name}: {exc.diagnostics[0].message}")
            continue
        if latest is None:
            out.append(f"{path.name} is not compiled: run specwright compile (or serve --watch)")
        elif latest.manifest.get("spec_sha256") != digest:
            out.append(f"{path.name} changed since r{latest.revision}: serving r{latest.revision}"
                       "; run specwright compile (or serve --watch)")
    return out
