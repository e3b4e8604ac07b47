"""GridModel: the UI side of the GridDiff contract (no Textual)."""

from __future__ import annotations

import orjson
import pytest

from kstellar_tui.core.fleet.gridmodel import FilterError, GridModel, parse_filter
from kstellar_tui.core.fleet.states import CellState

S = CellState


def column(name: str, **extra) -> dict:
    return {"name": name, "labels": {"name": name}, "available": "True", "connection": "synced",
            "detail": "", "since": None, "hub_only": False, **extra}


def row(key: str, kind: str = "Deployment", labels: dict | None = None) -> dict:
    group, resource, namespace, name = key.split("/")
    return {"key": key, "apiVersion": "apps/v1", "kind": kind, "namespace": namespace, "name": name,
            "labels": labels or {}}


A, B, C = "apps/deployments/web/api", "apps/deployments/pay/ledger", "/configmaps/pay/settings"


@pytest.fixture
def model() -> GridModel:
    m = GridModel()
    m.apply({
        "columns": [column("c1"), column("c2"), column("c3")],
        "rows": [row(A, labels={"app": "web"}), row(B, labels={"app": "pay"}),
                 row(C, kind="ConfigMap", labels={"app": "pay"})],
        "cells": [[A, "c1", S.READY, ""], [A, "c2", S.DEGRADED, "image cannot be pulled"],
                  [B, "c1", S.PENDING, ""], [C, "c3", S.ERROR, "rejected"]],
    })
    return m


def states(m: GridModel, key: str) -> list[CellState]:
    return [S(s) for s in m.row(m.index_of(key)).states]


def test_cells_land_in_rows_with_messages(model):
    assert states(model, A) == [S.READY, S.DEGRADED, S.NOT_SELECTED]
    assert model.row(model.index_of(A)).messages == {"c2": "image cannot be pulled"}
    assert model.row(model.index_of(A)).title == "web/api"


def test_apply_reports_only_rows_that_changed(model):
    version = model.row(model.index_of(B)).version
    changed = model.apply({"cells": [[B, "c1", S.READY, ""], [A, "c1", S.READY, ""]]})  # A unchanged
    assert changed == {model.index_of(B)}
    assert model.row(model.index_of(B)).version == version + 1


def test_message_only_change_counts_and_clearing_drops_it(model):
    assert model.apply({"cells": [[A, "c2", S.DEGRADED, "still failing"]]}) == {model.index_of(A)}
    model.apply({"cells": [[A, "c2", S.READY, ""]]})
    assert model.row(model.index_of(A)).messages == {}


def test_summaries_rank_worst_first_and_skip_blank(model):
    assert model.summary_row(model.index_of(A)) == (S.DEGRADED, {S.DEGRADED: 1, S.READY: 1})
    assert model.summary_column(0) == (S.PENDING, {S.PENDING: 1, S.READY: 1})
    assert model.summary_column(2) == (S.ERROR, {S.ERROR: 1})
    assert model.summary_column(0, rows=[model.index_of(A)]) == (S.READY, {S.READY: 1})
    assert model.totals() == {S.ERROR: 1, S.DEGRADED: 1, S.PENDING: 1, S.READY: 1}


def test_column_counts_follow_changes_and_removals(model):
    model.apply({"cells": [[A, "c1", S.MISSING, ""]]})
    assert model.summary_column(0) == (S.MISSING, {S.MISSING: 1, S.PENDING: 1})
    model.apply({"removed": [A]})
    assert model.summary_column(0) == (S.PENDING, {S.PENDING: 1})
    assert model.index_of(A) is None and model.row_count == 2
    assert model.row(model.index_of(C)).key == C  # indexes stay consistent after removal


def test_changing_columns_remaps_rows_and_reports_all(model):
    layout = model.layout_version
    changed = model.apply({"columns": [column("c3"), column("c1"), column("c9")]})
    assert changed == {0, 1, 2}
    assert states(model, A) == [S.NOT_SELECTED, S.READY, S.NOT_SELECTED]
    assert model.row(model.index_of(A)).messages == {}  # c2's message went with c2
    assert states(model, C) == [S.ERROR, S.NOT_SELECTED, S.NOT_SELECTED]
    assert model.summary_column(0) == (S.ERROR, {S.ERROR: 1})
    assert model.layout_version > layout


def test_same_columns_with_new_connection_state_keep_cells(model):
    layout, columns = model.layout_version, model.columns_version
    changed = model.apply({"columns": [column("c1", connection="offline"), column("c2"), column("c3")]})
    assert changed == set()
    assert model.columns[0].connection == "offline"
    assert (model.layout_version, model.columns_version) == (layout, columns + 1)


def test_cells_for_unknown_rows_or_clusters_are_ignored(model):
    assert model.apply({"cells": [["nope", "c1", S.ERROR, ""], [A, "nope", S.ERROR, ""]]}) == set()


def test_relabelled_row_changes_layout(model):
    layout = model.layout_version
    model.apply({"rows": [row(A, labels={"app": "pay"})]})
    assert model.layout_version > layout
    assert model.view(parse_filter("-l app=pay")) == sorted(
        [model.index_of(A), model.index_of(B), model.index_of(C)],
        key=lambda i: (model.row(i).namespace, model.row(i).name))


@pytest.mark.parametrize(("text", "expected"), [
    ("", [A, B, C]),
    ("ledger", [B]),
    ("LEDGER", [B]),                  # regexes ignore case
    ("^pay/", [B, C]),                 # matched against "namespace/name kind"
    ("configmap$", [C]),
    ("!configmap", [A, B]),
    ("-l app=pay", [B, C]),
    ("-l app in (web)", [A]),
    ("!-l app=pay", [A]),
])
def test_filter(model, text, expected):
    assert {model.row(i).key for i in model.view(parse_filter(text))} == set(expected)


@pytest.mark.parametrize("text", ["(", "-l app in", "-l !", "[z-a]", "-l a b"])
def test_bad_filters_raise_a_clear_error(text):
    with pytest.raises(FilterError):
        parse_filter(text)


@pytest.mark.parametrize(("sort", "descending", "expected"), [
    ("namespace", False, [B, C, A]),
    ("name", False, [A, B, C]),
    ("kind", False, [C, B, A]),
    ("state", False, [C, A, B]),          # worst first: Error, Degraded, Pending
    ("state", True, [B, A, C]),
    ("name", True, [C, B, A]),
])
def test_sort(model, sort, descending, expected):
    assert [model.row(i).key for i in model.view(sort=sort, descending=descending)] == expected


def test_equal_messages_decoded_apart_are_kept_once(model):
    """400,000 cells say a handful of things: one string each, not one per cell (UI memory)."""
    line = orjson.dumps({"cells": [[A, "c3", S.READY, "1/1 available"], [B, "c2", S.READY, "1/1 available"]]})
    model.apply(orjson.loads(line))
    a, b = (model.row(i) for i in range(2))
    assert a.messages["c3"] == b.messages["c2"] == "1/1 available"
    assert a.messages["c3"] is b.messages["c2"]
