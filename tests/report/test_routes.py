from __future__ import annotations

import csv
import io
import json
import re

from mtlsguard.app.baseline import route_keys
from mtlsguard.findings.assessment import RouteInventory
from mtlsguard.report.routes import (
    CSV_COLUMNS,
    RouteCsvFormat,
    RouteJsonFormat,
    RouteTableFormat,
    wrap_at,
)
from tests.report.sample import ROUTES, sample_result


def test_csv_has_one_row_per_route_and_method() -> None:
    text = RouteCsvFormat().render(RouteInventory(sample_result()))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["pattern"], r["method"], r["status"]) for r in rows] == [
        ("api/billing/<int:pk>/", "GET", "OPEN"),
        ("api/billing/<int:pk>/", "POST", "authenticated"),
        ("health/", "*", "unknown"),
        ("legacy/", "*", "unknown"),
    ]
    assert rows[0]["authenticated"] == "no"
    assert rows[1]["authenticated"] == "yes"
    assert rows[0]["decided_by"] == "class"
    assert rows[0]["detail"] == "AllowAny"
    assert rows[0]["path"] == "billing/views.py"
    assert rows[0]["line"] == "12"
    assert rows[3]["view"] == ""
    assert rows[3]["path"] == ""


def test_baselined_open_methods_are_marked_not_open() -> None:
    known = frozenset(route_keys(ROUTES[0]))
    text = RouteCsvFormat().render(RouteInventory(sample_result(), baselined=known))
    statuses = [r["status"] for r in csv.DictReader(io.StringIO(text))]
    assert statuses[0] == "open (baseline)"
    doc = json.loads(RouteJsonFormat().render(RouteInventory(sample_result(), baselined=known)))
    assert doc["routes"][0]["open_methods"] == []
    assert doc["routes"][0]["baselined_methods"] == ["GET"]


def test_json_is_versioned_and_lists_open_methods() -> None:
    doc = json.loads(RouteJsonFormat().render(RouteInventory(sample_result())))
    assert doc["schema"] == "mtlsguard-routes"
    assert doc["version"] == 1
    assert doc["root"] == "/srv/project"
    first = doc["routes"][0]
    assert first["pattern"] == "api/billing/<int:pk>/"
    assert first["name"] == "billing-detail"
    assert first["open_methods"] == ["GET"]
    assert [p["method"] for p in first["protections"]] == ["GET", "POST"]
    assert doc["errors"][0]["path"] == "broken/views.py"


def test_table_lists_each_route_and_summarises() -> None:
    text = RouteTableFormat(color=False).render(RouteInventory(sample_result()))
    assert "\x1b[" not in text
    assert re.search(r"api/billing/<int:pk>/\s+│\s+GET\s+│\s+OPEN", text)
    assert "3 routes; 1 open methods" in text
    assert "class: AllowAny" in text
    colored = RouteTableFormat(color=True).render(RouteInventory(sample_result()))
    assert "\x1b[" in colored


def test_view_names_are_never_cut_mid_word() -> None:
    """Before: a long dotted view name folded mid-word in a 100-column table."""
    from dataclasses import replace

    long_view = "pretix.api.views.organizer.OrganizerViewSet"
    routes = tuple(replace(r, view=long_view) for r in ROUTES)
    table = RouteTableFormat(width=100).render(RouteInventory(sample_result(routes=routes)))
    cells = [line.split("│")[4].strip() for line in table.splitlines() if line.startswith("│")]
    assert cells[:3] == ["pretix.api.views.", "organizer.", "OrganizerViewSet"]
    assert max(len(line) for line in table.splitlines()) <= 100
    assert wrap_at("/a/bb/ccc/", "/", 4) == "/a/\nbb/\nccc/"
