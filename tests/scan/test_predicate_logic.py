"""``user_passes_test`` predicates are read by their logic, object checks by what they call.

Red-team shapes (each with its safe twin):

* a role factory whose predicate mentions a role flag but does not require it (``u.is_staff or
  True``, ``not u.is_superuser``, a predicate that logs the user and answers ``True``) is no
  role gate: MG104 stays high;
* a predicate certainly true for ``AnonymousUser`` (``u.is_anonymous or ...``, ``not
  u.is_authenticated or ...``) authenticates nobody: MG101;
* a wrapper refusing unless ``RATE.allow(request.user, kwargs["pk"])`` says yes asks a rate
  limiter, not a permission: MG104 stays high.
"""

from __future__ import annotations

import ast

import pytest

from mtlsguard.findings.model import Severity
from mtlsguard.scan.engine import scan_project
from mtlsguard.scan.facts.predicates import admits_anonymous, role_of
from tests.scan.projects import write_project

MODELS = """\
from django.conf import settings
from django.db import models


class Note(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField()
"""

GATES = """\
import functools
import logging

from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied

logger = logging.getLogger(__name__)


def can_edit(user):
    return user.groups.filter(name="editors").exists()


def audit(user):
    return None


def anyone_or_editor(user):
    return not user.is_authenticated or can_edit(user)


def role_required(*roles):
    return user_passes_test(lambda u: u.is_staff or True)


def staff_required(*roles):
    return user_passes_test(lambda u: u.is_active and u.is_staff)


def not_superuser():
    return user_passes_test(lambda u: not u.is_superuser)


def superuser_only():
    def check(u):
        if not u.is_superuser:
            return False
        return True

    return user_passes_test(check)


def audited(*roles):
    def check(u):
        logger.info("access by %s", u)
        audit(u)
        return True

    return user_passes_test(check)


def editor_required(*roles):
    def check(u):
        logger.info("access by %s", u)
        return can_edit(u)

    return user_passes_test(check)


def anon_ok(*roles):
    def check(u):
        return u.is_anonymous or u.groups.filter(name__in=roles).exists()

    return user_passes_test(check)


def members_only(*roles):
    def check(u):
        return u.groups.filter(name__in=roles).exists()

    return user_passes_test(check)


class _Rate:
    def allow(self, user, key):
        return True

    def check(self, user, key):
        return True


RATE = _Rate()


def can_read_note(user, key):
    return user.note_set.filter(pk=key).exists()


def throttled(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not RATE.allow(request.user, kwargs["pk"]):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def note_reader(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_read_note(request.user, kwargs["pk"]):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def has_quota(user, key):
    return True


def user_can_read_resource(user, key):
    return user.note_set.filter(pk=key).exists()


def rate_checked(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not RATE.check(request.user, kwargs["pk"]):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def quota(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not has_quota(request.user, kwargs["pk"]):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def resource_reader(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_can_read_resource(request.user, kwargs["pk"]):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
"""

VIEWS = """\
from django.contrib.auth.decorators import login_required, user_passes_test
from django.http import HttpResponse

from app import gates
from app.models import Note


@login_required
@gates.role_required("editor")
def always(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@login_required
@gates.staff_required()
def staff(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@login_required
@gates.not_superuser()
def negated(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@login_required
@gates.superuser_only()
def superuser(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@login_required
@gates.audited()
def logged(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@login_required
@gates.editor_required()
def editor(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@gates.anon_ok("editor")
def anon(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@gates.members_only("editor")
def members(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@user_passes_test(lambda u: not u.is_authenticated or u.is_staff)
def anon_lambda(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@user_passes_test(gates.anyone_or_editor)
def anon_function(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@user_passes_test(gates.can_edit)
def editor_function(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@user_passes_test(lambda u: u.is_staff)
def staff_lambda(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@user_passes_test(lambda u: u.is_staff or True)
def always_lambda(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@login_required
@gates.throttled
def throttle(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@login_required
@gates.note_reader
def reader(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@login_required
@gates.rate_checked
def rate_check(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@login_required
@gates.quota
def quota(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)


@login_required
@gates.resource_reader
def resource_reader(request, pk):
    return HttpResponse(Note.objects.get(pk=pk).text)
"""

NAMES = (
    "always",
    "staff",
    "negated",
    "superuser",
    "logged",
    "editor",
    "anon",
    "members",
    "anon_lambda",
    "anon_function",
    "editor_function",
    "staff_lambda",
    "always_lambda",
    "throttle",
    "reader",
    "rate_check",
    "quota",
    "resource_reader",
)
URLS = (
    "from django.urls import path\nfrom app import views\n\nurlpatterns = [\n"
    + "".join(f'    path("{n}/<int:pk>/", views.{n}),\n' for n in NAMES)
    + "]\n"
)


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Severity]:
    root = write_project(
        tmp_path_factory.mktemp("predicates"),
        {
            "app/models.py": MODELS,
            "app/gates.py": GATES,
            "app/views.py": VIEWS,
            "proj/urls.py": URLS,
        },
    )
    result = scan_project(root)
    assert result.errors == ()
    return {
        (f.rule_id, (f.view or "").rsplit(".", 1)[-1]): f.severity
        for f in result.findings
        if f.rule_id in ("MG101", "MG104")
    }


@pytest.mark.parametrize("view", ["always", "negated", "logged"])
def test_a_flag_the_answer_does_not_require_is_no_role(
    found: dict[tuple[str, str], Severity], view: str
) -> None:
    assert found["MG104", view] == Severity.HIGH


def test_required_flags_and_answers_keep_their_roles(
    found: dict[tuple[str, str], Severity],
) -> None:
    assert found["MG104", "staff"] == Severity.LOW
    assert found["MG104", "staff_lambda"] == Severity.LOW
    assert ("MG104", "superuser") not in found  # nothing is hidden from a superuser
    assert found["MG104", "editor"] == Severity.MEDIUM  # the helper's answer is the answer


def test_a_predicate_admitting_anonymous_users_is_no_authentication(
    found: dict[tuple[str, str], Severity],
) -> None:
    assert ("MG101", "anon") in found
    assert ("MG101", "anon_lambda") in found
    assert ("MG101", "always_lambda") in found  # u.is_staff or True
    assert ("MG101", "anon_function") in found
    assert ("MG101", "members") not in found  # AnonymousUser has no groups
    assert ("MG101", "editor_function") not in found
    assert ("MG101", "staff_lambda") not in found


def test_only_a_permission_check_given_user_and_key_checks_the_object(
    found: dict[tuple[str, str], Severity],
) -> None:
    assert found["MG104", "throttle"] == Severity.HIGH
    assert ("MG104", "reader") not in found
    # red team 2: ``RATE.check``/``has_quota`` ask no permission; Arches-style
    # ``user_can_read_resource`` does
    assert found["MG104", "rate_check"] == Severity.HIGH
    assert found["MG104", "quota"] == Severity.HIGH
    assert ("MG104", "resource_reader") not in found


def _parts(source: str) -> tuple[ast.arguments, list[ast.stmt]]:
    func = ast.parse(source).body[0]
    assert isinstance(func, ast.FunctionDef)
    return func.args, func.body


@pytest.mark.parametrize(
    ("source", "role"),
    [
        ("def p(u): return u.is_staff or True", ""),
        ("def p(u): return not u.is_superuser", ""),
        ("def p(u): return u.is_superuser or u.is_staff", "staff"),
        ("def p(u): return u.is_authenticated and u.is_superuser", "superuser"),
        ("def p(u): return u.is_staff and check(u)", "staff"),
        ("def p(u): return u.is_superuser or bool(u.groups.filter(name='x'))", "permission"),
        ("def p(u): return u.is_superuser or other", ""),
        ("def p(u):\n    check(u)\n    return True", ""),
        (
            "def p(u):\n    ok = check(u)\n    if ok:\n        return True\n    return False",
            "permission",
        ),
        ("def p(u):\n    if not u.is_staff:\n        raise Denied\n    return True", "staff"),
        ("def p(u): return len(things(u)) > 0", "permission"),
        ("def p(u): return len(things(u)) == 0", ""),
        ("def p(u):\n    u = User(is_superuser=True)\n    return u.is_superuser", ""),
    ],
)
def test_role_of_reads_the_answer(source: str, role: str) -> None:
    assert role_of(*_parts(source)) == role


@pytest.mark.parametrize(
    ("source", "admits"),
    [
        ("def p(u): return u.is_anonymous or u.groups.exists()", True),
        ("def p(u): return not u.is_authenticated or u.is_staff", True),
        ("def p(u): return not u.is_superuser", True),
        ("def p(u):\n    log(u)\n    return True", True),
        ("def p(u): return u.groups.filter(name='x').exists()", False),
        ("def p(u): return u.is_anonymous or check(u)", True),
        ("def p(u): return not check(u)", False),
        # branch-aware (red team 2): anonymous users skip ``if u.is_staff`` and reach the end
        ("def p(u):\n    if u.is_staff:\n        return True\n    return True", True),
        ("def p(u):\n    if check(u):\n        return True\n    return False", False),
        (
            "def p(u):\n    if not u.is_authenticated:\n        return True\n"
            "    return u.groups.filter(name='x').exists()",
            True,
        ),
        (
            "def p(u):\n    if not u.is_authenticated:\n        return False\n    return True",
            False,
        ),
        (
            "def p(u):\n    if u.is_anonymous:\n        raise Denied\n    return True",
            False,
        ),
        ("def p(u):\n    if u.is_superuser:\n        pass\n    return u.is_anonymous", True),
        ("def p(u):\n    for g in u.groups.all():\n        return True\n    return False", False),
        # a predicate rebinding its user answers for someone else
        ("def p(u):\n    u = User(is_superuser=True)\n    return u.is_superuser", True),
        ("def p(u): return (u := User(is_staff=True)).is_staff", True),
    ],
)
def test_admits_anonymous_only_when_certain(source: str, admits: bool) -> None:
    assert admits_anonymous(*_parts(source)) is admits
