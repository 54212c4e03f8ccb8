"""Discovery: OpenAPI 3, `mtlsguard routes` JSON, plain lists, Django patterns, ID harvesting."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.probe.discovery import (
    MAX_ENDPOINTS,
    DiscoveryError,
    Endpoint,
    collection_of,
    django_pattern_to_template,
    fill,
    load_openapi,
    load_path_list,
    load_routes_json,
    parameters,
)
from mtlsguard.probe.exchange import Exchange
from mtlsguard.probe.ids import HarvestedIds, candidate_ids, harvest_ids
from tests.budget import secondary

SPECTACULAR = {
    "openapi": "3.0.3",
    "info": {"title": "bank", "version": "1"},
    "paths": {
        "/api/accounts/": {"get": {"operationId": "accounts_list"}},
        "/api/accounts/{id}/": {
            "get": {"operationId": "accounts_retrieve"},
            "delete": {"operationId": "accounts_destroy"},
            "parameters": [{"name": "id", "in": "path", "required": True}],
        },
        "/api/invoices/{invoice_id}/lines/{line_id}/": {"put": {}},
    },
}


def test_openapi_paths_and_methods() -> None:
    inventory = load_openapi(json.dumps(SPECTACULAR))
    assert inventory.endpoints == (
        Endpoint("/api/accounts/", ("GET",)),
        Endpoint("/api/accounts/{id}/", ("GET", "DELETE")),
        Endpoint("/api/invoices/{invoice_id}/lines/{line_id}/", ("PUT",)),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "not an OpenAPI 3"),
        ('{"swagger": "2.0", "paths": {}}', "not an OpenAPI 3"),
        ('{"openapi": "3.1.0"}', "no 'paths'"),
    ],
)
def test_openapi_refusals(text: str, message: str) -> None:
    with pytest.raises(DiscoveryError, match=message):
        load_openapi(text)


def test_openapi_yaml_needs_pyyaml_or_reads_it() -> None:
    text = "openapi: 3.0.0\npaths:\n  /a/:\n    get: {}\n"
    try:
        import yaml  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        with pytest.raises(DiscoveryError, match="PyYAML"):
            load_openapi(text)
    else:
        assert load_openapi(text).endpoints == (Endpoint("/a/", ("GET",)),)


def test_routes_json() -> None:
    document = {
        "schema": "mtlsguard-routes",
        "version": 1,
        "routes": [
            {"pattern": "billing/", "view": "bank.views.BillingView", "methods": ["GET"]},
            {"pattern": "api/accounts/<int:pk>/", "view": "v.D", "methods": ["GET", "PUT"]},
            {"pattern": r"^legacy/(?P<slug>[-\w]+)/$", "view": "v.L", "methods": []},
            {"pattern": r"^files/(.*)$", "view": "v.F"},
            {"view": "v.X"},
        ],
    }
    inventory = load_routes_json(json.dumps(document))
    assert inventory.endpoints == (
        Endpoint("/billing/", ("GET",), "bank.views.BillingView"),
        Endpoint("/api/accounts/{pk}/", ("GET", "PUT"), "v.D"),
        Endpoint("/legacy/{slug}/", ("GET",), "v.L"),
    )
    assert len(inventory.skipped) == 2


def test_routes_json_refuses_other_documents() -> None:
    with pytest.raises(DiscoveryError, match="mtlsguard routes"):
        load_routes_json('{"schema": "mtlsguard-scan"}')
    with pytest.raises(DiscoveryError, match="not JSON"):
        load_routes_json("billing/\n")


def test_path_list() -> None:
    text = "# inventory\n/billing/\n\napi/accounts/<int:pk>/  # detail\nHEAD /health\n/a b\n"
    inventory = load_path_list(text)
    assert inventory.endpoints == (
        Endpoint("/billing/"),
        Endpoint("/api/accounts/{pk}/"),
        Endpoint("/health", ("HEAD",)),
    )
    assert inventory.skipped == ("line 6: '/a b' is not a path",)


def test_duplicates_collapse_and_the_count_is_bounded() -> None:
    text = "\n".join(f"/r/{n}/" for n in range(MAX_ENDPOINTS + 10)) + "\n/r/0/\n"
    inventory = load_path_list(text)
    assert len(inventory.endpoints) == MAX_ENDPOINTS
    assert any("more than" in s for s in inventory.skipped)


@pytest.mark.parametrize(
    ("pattern", "template"),
    [
        ("api/accounts/<int:pk>/", "/api/accounts/{pk}/"),
        ("<slug:org>/<uuid:id>/", "/{org}/{id}/"),
        ("<pk>/", "/{pk}/"),
        (r"^api/(?P<pk>[0-9]+)/$", "/api/{pk}/"),
        (r"^a/(?P<year>\d{4})/(?P<slug>[^/]+)/\Z", "/a/{year}/{slug}/"),
        (r"^files/(.*)$", None),
        (r"^(?:a|b)/$", None),
    ],
)
def test_django_patterns(pattern: str, template: str | None) -> None:
    assert django_pattern_to_template(pattern) == template


def test_harvest_ids_from_nested_json() -> None:
    data = {
        "count": 3,
        "results": [
            {"id": 4, "owner": "bob", "account_id": "9"},
            {"id": 5, "uuid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
            {"pk": True, "slug": "a b", "tenantId": "t-1"},
        ],
    }
    assert harvest_ids(data) == ["4", "9", "5", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "t-1"]
    assert harvest_ids("not json") == []
    assert harvest_ids([{"id": n} for n in range(500)], limit=3) == ["0", "1", "2"]


def test_candidate_ids_add_unseen_neighbours() -> None:
    assert candidate_ids(["2", "5", "abc"]) == ["2", "5", "abc", "1", "3", "4", "6"]
    assert candidate_ids(["1"]) == ["1", "2"]  # no 0


def listing(body: bytes, who: str) -> Exchange:
    return Exchange(who, "GET", "https://h/", status=200, body=body)


def test_harvested_ids_per_listing_and_identity() -> None:
    ids = HarvestedIds()
    ids.add_listing("/a/", listing(b'[{"id": 1}]', "A"), listing(b'[{"id": 2}]', "B"))
    ids.add_listing("/b/", listing(b'[{"id": 7}]', "A"), listing(b"[]", "B"))
    ids.add_listing("/c/", listing(b'[{"id": 9}]', "A"), None)  # a run without B
    assert ids.seen_for("/a/{pk}/") == ["2", "1"]  # B's first
    assert ids.listings("/a/{pk}/") == (["2"], ["1"])
    # B's listing of /b/ showed no ID: filling falls back to every listing of B, while
    # ownership keeps to /b/'s own (an ID of another listing says nothing about its owner)
    assert ids.seen_for("/b/{pk}/") == ["2", "7"]
    assert ids.listings("/b/{pk}/") == ([], ["7"])
    # a route whose listing was never observed: every listing, both ways
    assert ids.seen_for("/x/{pk}/") == ["2", "1", "7", "9"]
    assert ids.listings("/x/{pk}/") == (["2"], ["1", "7", "9"])
    assert ids.listings("/c/{pk}/") == (["2"], ["9"])


def test_collection_and_fill() -> None:
    assert collection_of("/api/accounts/{pk}/") == "/api/accounts/"
    assert collection_of("/api/{org}/members/{id}/") is None  # its listing needs {org}
    assert collection_of("/billing/") is None
    assert parameters("/a/{x}/b/{y}/") == ["x", "y"]
    assert fill("/a/{x}/b/{y}/", {"x": "1", "y": "2"}) == "/a/1/b/2/"
    assert fill("/a/{x}/", {}) is None


@secondary()
@given(st.text(max_size=400))
def test_loaders_never_raise_anything_but_discovery_error(text: str) -> None:
    for loader in (load_openapi, load_routes_json):
        with contextlib.suppress(DiscoveryError):
            loader(text)
    for endpoint in load_path_list(text).endpoints:
        assert endpoint.template.startswith("/")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
# Documents shaped like the real ones, so the fuzzing reaches past the first refusal.
openapi_like = st.fixed_dictionaries(
    {
        "openapi": st.sampled_from(["3.0.3", "3.1.0", 3]),
        "paths": st.dictionaries(st.text(max_size=20), json_values, max_size=5) | json_values,
    }
)
routes_like = st.fixed_dictionaries(
    {
        "schema": st.just("mtlsguard-routes"),
        "routes": st.lists(
            st.fixed_dictionaries(
                {
                    "pattern": st.text(max_size=30) | json_values,
                    "methods": json_values,
                    "view": json_values,
                }
            ),
            max_size=5,
        )
        | json_values,
    }
)


@pytest.mark.timeout(900)
@secondary()
@given(st.one_of(json_values, openapi_like, routes_like))
def test_openapi_and_routes_of_arbitrary_json(value: object) -> None:
    text = json.dumps(value)
    for loader in (load_openapi, load_routes_json):
        with contextlib.suppress(DiscoveryError):
            for endpoint in loader(text).endpoints:
                assert endpoint.template.startswith("/")
    for found in harvest_ids(value):
        assert isinstance(found, str)


@secondary()
@given(st.text(max_size=120))
def test_django_patterns_give_a_path_or_none(pattern: str) -> None:
    template = django_pattern_to_template(pattern)
    if template is not None:
        assert template.startswith("/")
        assert not any(c in template for c in "<>\r\n\t #")
