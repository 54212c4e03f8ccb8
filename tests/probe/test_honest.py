"""Honest verdicts on hand-built answers: run failures, coverage, proxy refusals, constant
answers, caller echoes, and the pieces discovery from a bare URL is made of."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mtlsguard.probe.compare import owned_data, same_content
from mtlsguard.probe.coverage import measure, reached_route, run_failure
from mtlsguard.probe.crawl import links_in, relative_path, template_of
from mtlsguard.probe.exchange import Exchange
from mtlsguard.probe.ids import values_in
from mtlsguard.probe.observation import Observation
from mtlsguard.probe.phases.authentication import certificate_only, constant_answer
from mtlsguard.probe.state import proxy_refusal

ALICE = frozenset({"alice", "alice@example.com"})
BOB = frozenset({"bob", "bob@example.com"})


def answer(
    status: int | None,
    body: bytes = b"",
    *,
    who: str = "A",
    url: str = "https://h/r/",
    kind: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Exchange:
    failure = f"{kind} failure" if kind else None
    return Exchange(
        who,
        "GET",
        url,
        status=status,
        body=body,
        failure=failure,
        failure_kind=kind,
        response_headers=headers,
    )


def test_run_failures_name_what_went_wrong() -> None:
    assert "unreachable" in (run_failure([answer(None, kind="connection")]) or "")
    assert "TLS handshake" in (run_failure([answer(None, kind="tls")]) or "")
    loop = answer(302, kind="redirects")
    assert "in circles" in (run_failure([loop, loop]) or "")
    assert "answered 404" in (run_failure([answer(404), answer(404), loop]) or "")
    refused = answer(400, b"<h1>400 The SSL certificate error</h1>")
    assert "refused A's certificate" in (run_failure([refused]) or "")
    assert run_failure([answer(404), answer(200, b"{}")]) is None
    assert run_failure([]) is None


def test_coverage_counts_routes_reached_and_says_why_others_were_not() -> None:
    def seen(a: Exchange) -> Observation:
        return Observation("/t/", "/t/", answer(None, kind="tls"), a, a)

    observed = {
        "/a/": [("", seen(answer(200, b"[1]")))],
        "/b/": [("", seen(answer(404)))],
        "/c/": [("", seen(answer(None, kind="budget")))],
    }
    skipped = {"/d/{pk}/": "not probed (no ID to fill its parameters)"}
    unsafe = {"/e/": "not probed (unsafe method not allowed)"}
    coverage = measure(["/a/", "/b/", "/c/", "/d/{pk}/", "/e/"], observed, skipped | unsafe)
    assert (coverage.known, coverage.probed, coverage.reached) == (5, 2, 1)
    assert coverage.probeable == 4  # the unsafe route is not counted against the run
    assert coverage.low
    assert coverage.sentence == "incomplete: 1 of 4 routes reached"
    assert dict(coverage.skipped) == {"/c/": "out of budget", **skipped, **unsafe}
    assert reached_route(answer(403, b"no"))
    assert not reached_route(answer(404))
    assert not reached_route(answer(495))


def test_a_proxy_refusal_is_recognised_however_the_proxy_says_it() -> None:
    a = answer(200, b"{}")
    nginx = answer(400, b"<h1>No required SSL certificate was sent</h1>", who="anonymous")
    assert proxy_refusal(nginx, a) == (400, nginx.body)
    assert proxy_refusal(answer(496, b"x", who="anonymous"), a) is not None
    page = b"<h1>403 Forbidden</h1><hr><center>nginx</center>"
    by_proxy = answer(403, page, who="anonymous", headers=(("Server", "nginx/1.22.1"),))
    assert proxy_refusal(by_proxy, a) is not None
    # the app's own 403 page behind the same proxy does not name it
    app_page = answer(
        403, b"client certificate required", who="anonymous", headers=(("Server", "nginx"),)
    )
    assert proxy_refusal(app_page, a) is None
    # Django's own 403 (JSON, or from the app server) is the app answering, not the proxy
    django = answer(
        403,
        b'{"detail": "no"}',
        who="anonymous",
        headers=(("Server", "nginx"), ("Content-Type", "application/json")),
    )
    assert proxy_refusal(django, a) is None
    assert proxy_refusal(answer(400, b"bad", who="anonymous"), answer(400, b"bad")) is None


def test_caller_echoes_are_set_aside_when_comparing() -> None:
    mine = answer(200, b'{"client": "alice", "invoices": [1, 2]}')
    theirs = answer(200, b'{"client": "bob", "invoices": [1, 2]}', who="B")
    assert not same_content(mine, theirs)
    assert same_content(mine, theirs, a_markers=ALICE, b_markers=BOB)
    other = answer(200, b'{"client": "bob", "invoices": [1]}', who="B")
    assert not same_content(mine, other, a_markers=ALICE, b_markers=BOB)
    page_a = answer(200, b"<p>Signed in as alice</p><p>Profile of bob</p>")
    page_b = answer(200, b"<p>Signed in as bob</p><p>Profile of bob</p>", who="B")
    assert same_content(page_a, page_b, a_markers=ALICE, b_markers=BOB)


def test_constant_answers_without_anyones_data_are_public() -> None:
    refused = answer(None, kind="tls")

    def both(body: bytes, url: str = "https://h/r/") -> Observation:
        a, b = answer(200, body, url=url), answer(200, body, who="B", url=url)
        return Observation("/r/", "/r/", refused, a, a, b, b)

    health = both(b'{"status": "ok"}')
    assert constant_answer(health, ALICE, BOB)
    assert certificate_only([health], None, has_credentials=False, tls=True) is None
    schema = both(b'{"openapi": "3.0.3", "paths": {"/a/{id}/": {}}}')
    assert constant_answer(schema, ALICE, BOB)
    pricing = both(b'{"plans": [{"id": 1, "name": "basic"}]}', "https://h/api/pricing/")
    assert constant_answer(pricing, ALICE, BOB)
    for leak in (b'{"invoices": [1, 2]}', b'[{"id": 1, "owner": 3}]', b"<td>bob@example.com</td>"):
        assert not constant_answer(both(leak), ALICE, BOB), leak
        finding = certificate_only(
            [both(leak)], None, has_credentials=False, tls=True, markers=(ALICE, BOB)
        )
        assert finding is not None
    echo = answer(200, b'{"client": "alice", "status": "ok"}')
    assert not owned_data(echo, ALICE | BOB, caller=ALICE)
    assert owned_data(echo, ALICE | BOB)


def test_concrete_paths_become_templates() -> None:
    assert template_of("/api/invoices/7/") == "/api/invoices/{pk}/"
    assert template_of("/a/5/invoices/INV-2001/") == "/a/{a_pk}/invoices/{key}/"
    uuid = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert template_of(f"/docs/{uuid}/") == "/docs/{uuid}/"
    assert template_of("/profile/view/?id=3&tab=main") == "/profile/view/?id={id}&tab=main"
    assert template_of("/help/") == "/help/"
    assert values_in("/profile/view/?id=3", "/profile/view/?id={id}") == {"id": "3"}
    assert values_in("/notes/4/", "/notes/{pk}/") == {"pk": "4"}
    assert values_in("/notes/", "/notes/{pk}/") is None


def test_links_in_html_json_and_robots() -> None:
    html = answer(
        200,
        b'<a href="/notes/3/">n</a><form action="/search/"></form><img src="/x.png">',
        headers=(("Content-Type", "text/html"),),
    )
    assert links_in(html) == ["/notes/3/", "/search/", "/x.png"]
    root = answer(200, b'{"tenants": "https://h/api/tenants/", "n": 3}')
    assert links_in(root) == ["https://h/api/tenants/"]
    robots = answer(200, b"User-agent: *\nDisallow: /admin/\nSitemap: https://h/sitemap.xml\n")
    assert links_in(robots) == ["/admin/", "https://h/sitemap.xml"]
    base = "https://h/app/"
    assert relative_path("https://h/app/api/x/", "/", base) == "/api/x/"
    assert relative_path("https://evil/app/x/", "/", base) is None
    assert relative_path("/other/", "/", base) is None  # outside the base URL's prefix
    assert relative_path("/app/static/site.css", "/", base) is None
    for hostile in ("http://[::1/x", "/app/{pk}/", "/app/a b/", "https://h:99999/app/"):
        assert relative_path(hostile, "/", base) is None, hostile


@given(st.text(max_size=200), st.binary(max_size=400))
def test_discovery_pieces_take_any_input(link: str, body: bytes) -> None:
    path = relative_path(link, "/", "https://h/app/")
    if path is not None:
        assert path.startswith("/")
        assert template_of(path).startswith("/")
    for kind in ("text/html", "application/json", "text/plain"):
        for found in links_in(answer(200, body, headers=(("Content-Type", kind),))):
            assert isinstance(found, str)
