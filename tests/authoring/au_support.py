"""Helpers for the authoring tests: the policies and drafts in tests/data, projects, fakes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from specwright.runtime.authoring.session import ModelAccess
from specwright.runtime.config import Settings
from specwright.runtime.logstore import RunQuery, open_store
from specwright.runtime.models.base import Model
from specwright.runtime.models.fake import ScriptedModel, no_sleep
from specwright.runtime.records import RunRecord

DATA = Path(__file__).resolve().parents[1] / "data"
POLICY = DATA / "returns-policy.md"
GOLDEN = DATA / "returns-draft.golden.md"
FAKE = "fake:scripted"


def good_draft() -> dict[str, Any]:
    """The structured draft of tests/data/returns-policy.md (compiles as it is)."""
    data: dict[str, Any] = json.loads((DATA / "returns-draft.json").read_text(encoding="utf-8"))
    return data


def broken_draft() -> dict[str, Any]:
    """The good draft with a guardrail naming a field that does not exist."""
    data = copy.deepcopy(good_draft())
    data["guardrails"][0]["expression"] = "output.refund <= input.item_price"
    return data


def access(root: Path, model: Model | None = None, **kw: Any) -> ModelAccess:
    """Model access for a project in ``root`` whose one model is ``model`` (a fake)."""
    overrides = {FAKE: model} if model is not None else None
    return ModelAccess(settings=Settings.model_validate(kw.pop("settings", {})), root=root,
                       model=kw.pop("ref", FAKE if model is not None else None),
                       overrides=overrides, sleep=no_sleep, **kw)


def scripted(*answers: Any) -> ScriptedModel:
    return ScriptedModel(list(answers), name=FAKE)


async def logged_runs(root: Path, spec: str | None = None) -> list[RunRecord]:
    """The runs of the project's execution log, oldest first."""
    store = open_store(Settings(), root)
    await store.start()
    try:
        page = await store.query(RunQuery(spec=spec, limit=100))
    finally:
        await store.close()
    return list(reversed(page.runs))
