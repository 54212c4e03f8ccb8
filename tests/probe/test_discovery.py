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
from mtlsguard.probe.ids import HarvestedIds, field_score, harvest_objects
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
        ('{"swagger": "1.2", "paths": {}}', "not an OpenAPI 3"),
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


def test_swagger_2_paths_take_the_base_path() -> None:
    text = '{"swagger": "2.0", "basePath": "/api", "paths": {"/a/{id}/": {"get": {}}}}'
    assert [e.template for e in load_openapi(text).endpoints] == ["/api/a/{id}/"]


def test_harvest_objects_keeps_every_scalar_with_its_field_and_resource() -> None:
    data = {
        "count": 3,
        "results": [
            {"id": 4, "owner": 2, "account_id": "9", "number": "INV-2001"},
            {"id": 5, "uuid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "note": "a b"},
            {"pk": True, "slug": "acme", "created_by": {"id": 3}},
        ],
    }
    found = harvest_objects(data, identity="B", resource="invoice")
    assert [o.fields for o in found] == [
        (("count", "3"),),
        (("id", "4"), ("owner", "2"), ("account_id", "9"), ("number", "INV-2001")),
        (("id", "5"), ("uuid", "1b4e28ba-2fa1-11d2-883f-0016d3cca427")),
        (("slug", "acme"),),
        (("id", "3"),),  # the user object under created_by
    ]
    assert [o.resource for o in found] == ["invoice"] * 4 + ["created_by"]
    assert found[1].owners == ("2",)
    assert found[3].owners == ("3",)  # a nested owner object's id
    assert harvest_objects("not json", identity="A", resource="x") == []
    assert (
        len(harvest_objects([{"id": n} for n in range(5000)], identity="A", resource="x")) == 2000
    )


def test_field_score_matches_parameter_names_to_fields() -> None:
    assert field_score("invoice_pk", "account", "id", "invoice", "7") == 4
    assert field_score("pk", "invoice", "id", "invoice", "7") == 4
    assert field_score("number", "invoice", "number", "invoice", "INV-1") == 4
    assert field_score("account_id", "x", "account_id", "invoice", "9") == 3
    assert field_score("account_pk", "x", "account", "invoice", "9") == 2
    assert field_score("pk", "invoice", "id", "account", "7") == 1  # a last resort
    assert field_score("pk", "invoice", "tax_id", "invoice", "7") == 0
    assert field_score("user_pk", "x", "owner", "account", "2") == 2


def test_candidates_try_bs_objects_first_then_neighbours() -> None:
    ids = HarvestedIds()
    ids.user_ids["B"].add("2")
    # both listings leak every row: ownership comes from the owner field
    for who in ("A", "B"):
        ids.add(
            [{"id": 1, "owner": 1}, {"id": 3, "owner": 2}], identity=who, template="/a/", via={}
        )
    ids.add([{"id": 7}], identity="B", template="/b/", via={})
    markers = {"A": frozenset({"alice"}), "B": frozenset({"bob"})}
    a_route = list(ids.candidates("/a/{pk}/", markers, 6))
    # B's object, the one whose owner is unknown, then the neighbours of what was seen; B's
    # object of another listing (a weak match) is not tried while this listing's objects are
    assert [v["pk"] for v, _ in a_route] == ["3", "1", "2", "4"]
    # a route with no listing of its own takes any object's id, B's first
    assert [v["pk"] for v, _ in ids.candidates("/c/{pk}/", markers, 2)] == ["3", "7"]
    assert a_route[0] == ({"pk": "3"}, "B")
    ids.user_ids["A"].add("1")
    # A's own object comes after every other candidate
    assert [v["pk"] for v, _ in ids.candidates("/a/{pk}/", markers, 9)][-1] == "1"
    # only in B's answers: B's as far as the run can tell
    assert next(iter(ids.candidates("/b/{pk}/", markers, 6))) == ({"pk": "7"}, "B")


def test_user_ids_from_listings_each_identity_sees_differently() -> None:
    ids = HarvestedIds()
    ids.add([{"id": 1, "user": 11}], identity="A", template="/a/", via={})
    ids.add([{"id": 2, "user": 12}], identity="B", template="/a/", via={})
    ids.learn_from_listing("/a/")
    assert ids.user_ids == {"A": {"11"}, "B": {"12"}}
    leaky = HarvestedIds()  # both see every row: nothing to learn
    for who in ("A", "B"):
        leaky.add([{"user": 11}, {"user": 12}], identity=who, template="/a/", via={})
    leaky.learn_from_listing("/a/")
    assert leaky.user_ids == {"A": set(), "B": set()}


def test_nested_routes_take_the_parent_from_the_objects_path() -> None:
    ids = HarvestedIds()
    ids.add(
        [{"number": "INV-2001", "total": 5}],
        identity="B",
        template="/t/{tenant_key}/invoices/",
        via={"tenant_key": "acme"},
    )
    got = list(ids.candidates("/t/{tenant_key}/invoices/{number}/", {}, 6))
    assert got[0][0] == {"tenant_key": "acme", "number": "INV-2001"}


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
    for found in harvest_objects(value, identity="A", resource="x"):
        assert all(isinstance(v, str) for _, v in found.fields)


@secondary()
@given(st.text(max_size=120))
def test_django_patterns_give_a_path_or_none(pattern: str) -> None:
    template = django_pattern_to_template(pattern)
    if template is not None:
        assert template.startswith("/")
        assert not any(c in template for c in "<>\r\n\t #")
