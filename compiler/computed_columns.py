"""Condition columns that are not plain Input fields: a derived value (``total_cm``), a nested
path (``ship_to.country``), a list condition (``any line_items: in_stock = no``,
``all line_items: in_stock = yes``, ``count line_items``, ``count line_items: in_stock = no``,
``sum line_items.price``) or any derived expression (``count(line_items)``).

Each becomes a column whose value is a CEL expression over ``input`` (``derived.py``); its cells
are typed against that value's type like any other column's.
"""

from __future__ import annotations

import re
from typing import Any

from specwright.compiler.derived import Scope, compile_expression
from specwright.compiler.errors import DerivedError
from specwright.compiler.feel import SCALAR
from specwright.compiler.ir import FieldType, Loc, TableCell
from specwright.compiler.report import Reporter

_REPORTED: Any = object()  # the header was read as a computed column, and it is wrong (reported)
_LIST_FORM = re.compile(r"^(any|all|count|sum)\s+([A-Za-z_][\w.]*)\s*(?::\s*(.*))?$", re.I)
_COMPUTED = re.compile(r"[.(]|^(any|all|count|sum)\s")


def rewrite(header: str) -> tuple[str, list[tuple[int, int]]]:
    """``any line_items: in_stock = no`` -> ``any(line_items, in_stock = no)``, with the
    (offset in the rewrite, offset in the header) pairs that locate an error back."""
    match = _LIST_FORM.match(header)
    if match is None:
        return header, [(0, 0)]
    fn, lst, cond = match.group(1).lower(), match.group(2), match.group(3)
    if cond is None:
        return f"{fn}({lst})", [(0, 0), (len(fn) + 1, match.start(2))]
    text = f"{fn}({lst}, {cond})"
    return text, [(0, 0), (len(fn) + 1, match.start(2)),
                  (len(fn) + len(lst) + 3, match.start(3))]


def computed_column(
    cell: TableCell, header: str, scope: Scope, report: Reporter
) -> tuple[FieldType, str, bool] | None:
    """(the type its cells are written in, its CEL, whether it may be null), ``_REPORTED``, or
    None when the header is not a computed column at all (the caller says "not a field")."""
    if header not in scope.derived and not _COMPUTED.search(header):
        return None
    text, offsets = rewrite(header)
    try:
        typed = compile_expression(text, Scope(scope.inputs, scope.derived, allow_null=True))
    except DerivedError as exc:
        back = max((o for o in offsets if o[0] <= exc.offset), default=(0, 0))
        col = cell.loc.col + back[1] + (exc.offset - back[0])
        report.at_loc(Loc(line=cell.loc.line, col=col), f"column {header}: {exc}")
        return _REPORTED
    ftype = typed.ty.ftype if typed.ty.ftype is not None else FieldType(kind=typed.ty.kind)  # type: ignore[arg-type]
    if ftype.kind not in SCALAR:
        report.at_loc(cell.loc, f"column {header} is a list or an object: a condition column "
                                "is a single value: test its items with any, all or count")
        return _REPORTED
    return ftype, typed.cel, typed.nullable
