"""Owners the precision changes of 2026-12-06 could hide (red-team round 3).

* A named tenant (``Organization``) whose only membership model lives in an installed app no
  view imports (``members/models.py``): the scan reads every installed app's ``models`` module
  before deciding that nobody joins it, so a fetch of its records by id stays an IDOR. With no
  membership anywhere (a single-tenant tool) the record stays unreported.
* A role or endorsement relation (``Portfolio.manager``, ``Draft.authors``, ``Team.lead``,
  ``Project.contributors``) the project itself fetches one record by, with the caller
  (``get_object_or_404(Portfolio, pk=pk, manager=request.user)``), is the owner: a fetch by id
  elsewhere that forgets it stays high, an open listing is no public page (low with low
  confidence, weak evidence, but for reading the owner's records), and a model joined
  that way is a tenant. A relation only used to list "my records"
  (``filter(lead=request.user)``, django-helpdesk's tickets assigned to the caller) or never
  used keeps its current, low, result, unless the model is named like a tenant (a Project
  listed by ``contributors=request.user`` is one the caller belongs to); so does an
  authorship (``Favorite.favorited_by``) whatever the use.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Finding, ScanResult, Severity
from tests.scan.projects import scan, weak_reason

_ORG_MODELS = """\
from django.db import models


class Organization(models.Model):
    name = models.CharField(max_length=100)


class Invoice(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    amount = models.IntegerField()
"""

_MEMBERSHIP = """\
from django.conf import settings
from django.db import models


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    organization = models.ForeignKey("app.Organization", on_delete=models.CASCADE)
"""

_INVOICE_VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from app.models import Invoice


@login_required
def invoice(request, pk):
    return HttpResponse(str(get_object_or_404(Invoice, pk=pk).amount))
"""

_INVOICE_URLS = """\
from django.urls import path

from app import views

urlpatterns = [path("invoices/<int:pk>/", views.invoice)]
"""


def _severities(result: ScanResult, rule: str, view: str) -> list[Severity]:
    return [f.severity for f in result.findings if f.rule_id == rule and f.view == view]


def _mg101(result: ScanResult, view: str) -> Finding:
    found = [f for f in result.findings if f.rule_id == "MG101" and f.view == view]
    assert len(found) == 1, found
    return found[0]


def test_membership_in_an_unimported_app_keeps_the_tenant(tmp_path: Path) -> None:
    files = {
        "app/models.py": _ORG_MODELS,
        "app/views.py": _INVOICE_VIEWS,
        "proj/urls.py": _INVOICE_URLS,
        "members/__init__.py": "",
        "members/models/__init__.py": "from .membership import Membership\n",
        "members/models/membership.py": _MEMBERSHIP,
    }
    extra = 'INSTALLED_APPS = ["django.contrib.auth", "app", "members.apps.MembersConfig"]\n'
    result = scan(tmp_path, files, settings_extra=extra)
    assert _severities(result, "MG104", "app.views.invoice") == [Severity.HIGH]


def test_no_membership_anywhere_is_no_tenant(tmp_path: Path) -> None:
    files = {
        "app/models.py": _ORG_MODELS,
        "app/views.py": _INVOICE_VIEWS,
        "proj/urls.py": _INVOICE_URLS,
        "members/__init__.py": "",
        "members/models.py": "from django.db import models\n",
    }
    extra = 'INSTALLED_APPS = ["django.contrib.auth", "app", "members"]\n'
    result = scan(tmp_path, files, settings_extra=extra)
    assert _severities(result, "MG104", "app.views.invoice") == []


_ROLE_MODELS = """\
from django.conf import settings
from django.db import models


class Portfolio(models.Model):
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    balance = models.IntegerField()


class Draft(models.Model):
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL)
    text = models.TextField()


class Engagement(models.Model):
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    name = models.CharField(max_length=100)
"""

_ROLE_VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from app.models import Draft, Engagement, Portfolio


@login_required
def edit_portfolio(request, pk):
    portfolio = get_object_or_404(Portfolio, pk=pk, manager=request.user)
    return render(request, "p.html", {"p": portfolio})


@login_required
def portfolio(request, pk):
    return HttpResponse(str(get_object_or_404(Portfolio, pk=pk).balance))


def all_portfolios(request):
    return JsonResponse({"b": [p.balance for p in Portfolio.objects.all()]})


@login_required
def edit_draft(request, pk):
    user = request.user
    return render(request, "d.html", {"d": Draft.objects.filter(pk=pk, authors__id=user.id)})


@login_required
def draft(request, pk):
    return HttpResponse(get_object_or_404(Draft, pk=pk).text)


@login_required
def my_engagements(request):
    return render(request, "e.html", {"es": Engagement.objects.filter(lead=request.user)})


@login_required
def engagement(request, pk):
    return HttpResponse(get_object_or_404(Engagement, pk=pk).name)


def all_engagements(request):
    return JsonResponse({"n": [e.name for e in Engagement.objects.all()]})
"""

_ROLE_URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("p/<int:pk>/edit/", views.edit_portfolio),
    path("p/<int:pk>/", views.portfolio),
    path("p/all/", views.all_portfolios),
    path("d/<int:pk>/edit/", views.edit_draft),
    path("d/<int:pk>/", views.draft),
    path("e/", views.my_engagements),
    path("e/<int:pk>/", views.engagement),
    path("e/all/", views.all_engagements),
]
"""


def test_role_relations_the_project_scopes_by_the_caller_are_owners(tmp_path: Path) -> None:
    files = {"app/models.py": _ROLE_MODELS, "app/views.py": _ROLE_VIEWS, "proj/urls.py": _ROLE_URLS}
    result = scan(tmp_path, files)
    assert _severities(result, "MG104", "app.views.portfolio") == [Severity.HIGH]
    assert _severities(result, "MG104", "app.views.draft") == [Severity.HIGH]
    # An open listing of the managers' portfolios: only reads, so weak evidence (low with low
    # confidence), but it reads a user's records, not public content.
    listing = _mg101(result, "app.views.all_portfolios")
    assert weak_reason(listing) == (
        "it reads Portfolio, whose records belong to a user or account (manager)"
    )
    # The safe twin: a lead only used to list "my engagements" stays a colleague's role.
    assert _severities(result, "MG104", "app.views.engagement") == [Severity.LOW]
    public = _mg101(result, "app.views.all_engagements")
    assert public.severity is Severity.LOW
    assert weak_reason(public) is None
    assert "belongs to no user, tenant or account (reads Engagement)" in public.evidence


_TEAM_MODELS = """\
from django.conf import settings
from django.db import models


class Team(models.Model):
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Task(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    title = models.CharField(max_length=100)


class Project(models.Model):
    contributors = models.ManyToManyField(settings.AUTH_USER_MODEL)


class Secret(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    value = models.TextField()
"""

_TEAM_FETCHES = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from app.models import Project, Secret, Task, Team


@login_required
def task(request, pk):
    return HttpResponse(get_object_or_404(Task, pk=pk).title)


@login_required
def secret(request, pk):
    return HttpResponse(get_object_or_404(Secret, pk=pk).value)
"""

_TEAM_LISTS = """\


@login_required
def team_settings(request, team_id):
    return render(request, "t.html", {"t": Team.objects.get(id=team_id, lead=request.user)})


@login_required
def project_settings(request, slug):
    project = get_object_or_404(Project, pk=slug, contributors=request.user)
    return render(request, "p.html", {"p": project})
"""

_TEAM_URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("tasks/<int:pk>/", views.task),
    path("secrets/<int:pk>/", views.secret),
]
"""

_TEAM_LIST_URLS = """\
urlpatterns += [
    path("teams/<int:team_id>/", views.team_settings),
    path("projects/<slug>/", views.project_settings),
]
"""


def test_a_tenant_joined_by_a_role_the_project_scopes_by_the_caller(tmp_path: Path) -> None:
    files = {
        "app/models.py": _TEAM_MODELS,
        "app/views.py": _TEAM_FETCHES + _TEAM_LISTS,
        "proj/urls.py": _TEAM_URLS + _TEAM_LIST_URLS,
    }
    result = scan(tmp_path, files)
    assert _severities(result, "MG104", "app.views.task") == [Severity.HIGH]
    assert _severities(result, "MG104", "app.views.secret") == [Severity.HIGH]


def test_a_named_tenant_listed_by_a_role_of_the_caller_is_joined(tmp_path: Path) -> None:
    listing = """\


@login_required
def my_teams(request):
    return render(request, "t.html", {"ts": Team.objects.filter(lead=request.user)})


@login_required
def my_projects(request):
    return render(request, "p.html", {"ps": Project.objects.filter(contributors=request.user)})
"""
    files = {
        "app/models.py": _TEAM_MODELS,
        "app/views.py": _TEAM_FETCHES + listing,
        "proj/urls.py": _TEAM_URLS
        + 'urlpatterns += [path("t/", views.my_teams), path("p/", views.my_projects)]\n',
    }
    result = scan(tmp_path, files)
    assert _severities(result, "MG104", "app.views.task") == [Severity.HIGH]
    assert _severities(result, "MG104", "app.views.secret") == [Severity.HIGH]


def test_a_role_nobody_fetches_by_makes_no_tenant(tmp_path: Path) -> None:
    files = {
        "app/models.py": _TEAM_MODELS,
        "app/views.py": _TEAM_FETCHES,
        "proj/urls.py": _TEAM_URLS,
    }
    result = scan(tmp_path, files)
    assert _severities(result, "MG104", "app.views.task") == []
    assert _severities(result, "MG104", "app.views.secret") == []


def test_an_unnamed_model_only_listed_by_a_role_is_no_tenant(tmp_path: Path) -> None:
    # django-helpdesk lists "tickets assigned to me": a filter, not an access check.
    models = """\
from django.conf import settings
from django.db import models


class Queue(models.Model):
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Item(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE)
    title = models.CharField(max_length=100)
"""
    views = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from app.models import Item, Queue


@login_required
def my_queues(request):
    return render(request, "q.html", {"qs": Queue.objects.filter(assigned_to=request.user)})


@login_required
def item(request, pk):
    return HttpResponse(get_object_or_404(Item, pk=pk).title)
"""
    urls = """\
from django.urls import path

from app import views

urlpatterns = [path("q/", views.my_queues), path("items/<int:pk>/", views.item)]
"""
    result = scan(tmp_path, {"app/models.py": models, "app/views.py": views, "proj/urls.py": urls})
    assert _severities(result, "MG104", "app.views.item") == []


_FAVORITE_MODELS = """\
from django.conf import settings
from django.db import models


class Package(models.Model):
    slug = models.SlugField()


class Favorite(models.Model):
    favorited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    package = models.ForeignKey(Package, on_delete=models.CASCADE)
"""

_FAVORITE_VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from app.models import Favorite, Package


def package_detail(request, slug):
    package = get_object_or_404(Package, slug=slug)
    mine = False
    if request.user.is_authenticated:
        mine = Favorite.objects.filter(favorited_by=request.user, package=package).exists()
    return render(request, "p.html", {"package": package, "mine": mine})


@login_required
def unfavorite(request, slug):
    package = get_object_or_404(Package, slug=slug)
    Favorite.objects.get(package=package, favorited_by=request.user).delete()
    return HttpResponse("ok")
"""

_FAVORITE_URLS = """\
from django.urls import path

from app import views

urlpatterns = [
    path("p/<slug:slug>/", views.package_detail),
    path("p/<slug:slug>/unfavorite/", views.unfavorite),
]
"""


def test_an_authorship_fetched_by_the_caller_stays_an_authorship(tmp_path: Path) -> None:
    # unfavorite fetches a Favorite by package and favorited_by=request.user: a *_by relation
    # is no owner whatever the use, so Package is no tenant joined through Favorite and the
    # public package page keeps its plain public-read note.
    files = {
        "app/models.py": _FAVORITE_MODELS,
        "app/views.py": _FAVORITE_VIEWS,
        "proj/urls.py": _FAVORITE_URLS,
    }
    result = scan(tmp_path, files)
    page = [f for f in result.findings if f.view == "app.views.package_detail"]
    assert [f.severity for f in page] == [Severity.LOW]
    assert "belongs to no user, tenant or account" in page[0].evidence
