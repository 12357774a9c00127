"""The exception tree: every class in one of its two modules, every class in the drawing.

The drawing in each half's docstring is what a reader (and a caller mapping errors) relies on,
so a class defined elsewhere, or left out of the drawing, fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import specwright
from specwright.compiler import errors as spec_errors
from specwright.runtime import errors as runtime_errors

HALVES = (spec_errors, runtime_errors)
SKIP = {"specwright.runtime.fakeserver.__main__"}  # runs the server when imported


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(specwright.__path__, "specwright."):
        if info.name not in SKIP:
            names.append(info.name)
    return names


def _drawn(module: object) -> set[str]:
    doc = inspect.getdoc(module) or ""
    return set(re.findall(r"[├└]── (\w+)", doc)) | set(re.findall(r"^\s*(\w+)(?:\s{2,}.*)?$", doc, re.M))


def test_every_exception_class_lives_in_an_errors_module() -> None:
    elsewhere = []
    for name in _modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, BaseException)
                    and value.__module__ == name and module not in HALVES):
                elsewhere.append(f"{name}.{attr}")
    assert elsewhere == [], f"exception classes outside the two errors modules: {elsewhere}"


@pytest.mark.parametrize("half", HALVES, ids=lambda m: m.__name__)
def test_every_class_of_a_half_is_in_its_drawing(half: object) -> None:
    classes = {
        n for n, v in vars(half).items()
        if inspect.isclass(v) and issubclass(v, BaseException) and v.__module__ == half.__name__
    }
    missing = classes - _drawn(half)
    assert missing == set(), f"{half.__name__}: not in the docstring's tree: {sorted(missing)}"


def test_one_name_per_meaning() -> None:
    """No two classes of the runtime half answer with the same status and type."""
    seen: dict[tuple[int, str], str] = {}
    for name, value in vars(runtime_errors).items():
        if inspect.isclass(value) and issubclass(value, runtime_errors.RuntimeFailure):
            key = (value.status, value.type)
            parent = value.__mro__[1]
            if getattr(parent, "type", None) == value.type and getattr(parent, "status", 0) == value.status:
                continue  # a subclass that carries more detail, answered like its parent
            assert key not in seen, f"{name} and {seen[key]} both mean {key}"
            seen[key] = name
