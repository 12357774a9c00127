"""Fixtures of the runtime suite; the helpers live in ``rt_support`` beside this file."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rt_support  # noqa: E402
from rt_support import AppFactory  # noqa: E402

from specwright.runtime.config import Settings  # noqa: E402
from specwright.runtime.http.app import create_app  # noqa: E402


@pytest.fixture(scope="session")
def compiled_examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """specs/ compiled once per session; tests get a copy (``example_project``)."""
    return rt_support.compile_examples(tmp_path_factory.mktemp("examples"))


@pytest.fixture
def example_project(compiled_examples: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "examples"
    shutil.copytree(compiled_examples, dest, ignore=shutil.ignore_patterns(".specwright"))
    return dest


@pytest.fixture
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return rt_support.hand_project(tmp_path / "proj")


@pytest.fixture
def make_app(project: Path) -> AppFactory:
    """``make_app(**create_app kwargs)``: an app on the hand-built project (or ``root=``)."""

    def make(root: Path = project, **kw: Any) -> FastAPI:
        settings = kw.pop("settings", None) or Settings()
        return create_app(settings, root, **kw)

    return make
