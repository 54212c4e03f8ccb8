"""Open views that are public by design, next to their unprotected twins (issue 12, round 4).

- a record named by a random token field the server generated (``code =
  UUIDField(default=uuid4)``, not the primary key) is a capability link: the delivery-status
  webhook a provider is handed is informational, the same record fetched by ``pk`` is not;
- a project middleware that refuses after a user check, but only under a condition it computes
  at run time (``if request.admin_namespace:``), leaves a route's authentication undecided:
  medium with low confidence, not high/high (without the middleware the route is open, and as
  it only reads a user's records, weak evidence: low with low confidence, saying why);
- a view that reads no model owned by a user and looks at ``request.user`` only to choose what
  a signed-in or anonymous caller sees (a public index, a "who am I" endpoint) is informational;
  one that branches on ``is_authenticated`` but hands out an owned model keeps its finding
  (only a read: weak evidence, low with low confidence, saying why it would be high).
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import Confidence, Finding, ScanResult, Severity
from tests.scan.projects import scan, weak_reason


def _mg101(result: ScanResult, view: str) -> Finding:
    (found,) = [f for f in result.findings if f.rule_id == "MG101" and f.view == view]
    return found


MODELS = """\
import uuid

from django.conf import settings
from django.db import models


class Channel(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    last_error = models.CharField(max_length=200, blank=True)


class Notification(models.Model):
    code = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE)
    error = models.CharField(max_length=200, blank=True)


class Ticket(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=100)
"""

# --- a record named by a random token field: a capability link ------------------------------

WEBHOOK_VIEWS = """\
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from app.models import Channel, Notification


@require_POST
def notification_status(request, code):
    try:
        notification = Notification.objects.get(code=code)
    except Notification.DoesNotExist:
        return HttpResponse()
    notification.error = request.POST.get("error", "")[:200]
    notification.save()
    Channel.objects.filter(id=notification.channel_id).update(last_error=notification.error)
    return HttpResponse()


@require_POST
def notification_status_by_pk(request, pk):
    try:
        notification = Notification.objects.get(pk=pk)
    except Notification.DoesNotExist:
        return HttpResponse()
    notification.error = request.POST.get("error", "")[:200]
    notification.save()
    return HttpResponse()
"""

WEBHOOK_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("notifications/<uuid:code>/status", views.notification_status),
    path("notifications/<int:pk>/status-by-pk", views.notification_status_by_pk),
]
"""


def test_record_named_by_a_random_token_field_is_a_capability_link(tmp_path: Path) -> None:
    files = {"app/models.py": MODELS, "app/views.py": WEBHOOK_VIEWS, "proj/urls.py": WEBHOOK_URLS}
    result = scan(tmp_path, files)
    token = _mg101(result, "app.views.notification_status")
    assert token.severity is Severity.INFO
    assert "random token field the server generated (a capability link)" in token.evidence
    # The same record named by its counter primary key: anyone can walk the ids.
    by_pk = _mg101(result, "app.views.notification_status_by_pk")
    assert (by_pk.severity, by_pk.confidence) == (Severity.HIGH, Confidence.HIGH)


# --- a middleware that refuses after a user check, under a run-time condition ---------------

MIDDLEWARE_MODULE = """\
from django.shortcuts import redirect
from django.utils.deprecation import MiddlewareMixin

from app.auth import is_area_authorized
from app.areas import protected_area


class AreaAuthMiddleware(MiddlewareMixin):
    def process_view(self, request, view_func, view_args, view_kwargs):
        request.protected_area = protected_area(request)
        if request.protected_area:
            return self.check_authorization(request)

    def check_authorization(self, request):
        if not is_area_authorized(request):
            return redirect("area-login")
"""

AUTH_HELPERS = """\
def is_area_authorized(request):
    if request.user.is_anonymous:
        return False
    if not request.user.is_staff:
        return False
    return True
"""

AREAS = """\
from django.urls import resolve


def protected_area(request):
    return resolve(request.path_info).namespace.startswith("area")
"""

TICKET_VIEWS = """\
from django.http import JsonResponse

from app.models import Ticket


def area_index(request):
    return JsonResponse({"titles": [t.title for t in Ticket.objects.all()]})


def area_close(request, pk):
    Ticket.objects.filter(pk=pk).update(title="closed")
    return JsonResponse({"closed": pk})
"""

TICKET_URLS = """\
from django.urls import path
from app import views

urlpatterns = [path("area/", views.area_index), path("area/<int:pk>/close/", views.area_close)]
"""

WITH_MIDDLEWARE = """\
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "app.middleware.AreaAuthMiddleware",
]
"""


def test_middleware_refusing_under_a_run_time_condition_leaves_the_route_undecided(
    tmp_path: Path,
) -> None:
    files = {
        "app/models.py": MODELS,
        "app/views.py": TICKET_VIEWS,
        "app/middleware.py": MIDDLEWARE_MODULE,
        "app/auth.py": AUTH_HELPERS,
        "app/areas.py": AREAS,
        "proj/urls.py": TICKET_URLS,
    }
    gated = _mg101(
        scan(tmp_path / "gated", files, settings_extra=WITH_MIDDLEWARE), "app.views.area_index"
    )
    # A read that would be low open is low behind the undecided middleware too; a write
    # behind it is medium (never ranked above the same route with no middleware at all).
    assert (gated.severity, gated.confidence) == (Severity.LOW, Confidence.LOW)
    assert "app.middleware.AreaAuthMiddleware refuses when is_area_authorized()" in gated.evidence
    assert "undecided" in gated.evidence
    assert "a middleware may refuse it" in gated.evidence
    writer = _mg101(
        scan(tmp_path / "gated-w", files, settings_extra=WITH_MIDDLEWARE), "app.views.area_close"
    )
    assert (writer.severity, writer.confidence) == (Severity.MEDIUM, Confidence.LOW)
    assert "medium with low confidence until the middleware's reach is known" in writer.evidence
    # Without the middleware nothing stands in the way: reported open, as an open read of the
    # owners' tickets (weak evidence: low with low confidence, saying why it would be high).
    bare = _mg101(scan(tmp_path / "bare", files), "app.views.area_index")
    assert weak_reason(bare) == "it reads Ticket, whose records belong to a user or account (owner)"
    assert "undecided" not in bare.evidence


# --- a page that looks at request.user only to choose what the caller sees -------------------

PER_CALLER_VIEWS = """\
from django.apps import apps
from django.http import JsonResponse
from django.shortcuts import render

from app.models import Ticket
from app.serializers import AnonymousUserSerializer, UserSerializer

PUBLIC_LISTS = ["announce", "users"]


def list_index(request):
    if request.user.is_authenticated and "all" not in request.GET:
        lists = [name for name in PUBLIC_LISTS if request.user.username in name]
    else:
        lists = PUBLIC_LISTS
    return render(request, "index.html", {"lists": lists})


def login(request):
    return JsonResponse({"ok": True})


def session_user(request):
    if request.user.is_authenticated:
        serializer = UserSerializer
    else:
        serializer = AnonymousUserSerializer
    return JsonResponse(serializer(request.user).data)


def gateway(request):
    if request.method == "POST":
        return login(request)
    return session_user(request)


def ticket_index(request):
    if request.user.is_authenticated:
        tickets = Ticket.objects.all()
    else:
        tickets = Ticket.objects.all()[:5]
    return JsonResponse({"titles": [t.title for t in tickets]})


Order = apps.get_model("shop", "Order")


def order_index(request):
    orders = Order._default_manager.all()
    if not request.user.is_authenticated:
        orders = orders[:5]
    return JsonResponse({"numbers": [o.number for o in orders]})
"""

SERIALIZERS = """\
class UserSerializer:
    def __init__(self, user):
        self.data = {"username": user.username}


class AnonymousUserSerializer(UserSerializer):
    pass
"""

PER_CALLER_URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("", views.list_index),
    path("api/session/", views.gateway),
    path("tickets/", views.ticket_index),
    path("orders/", views.order_index),
]
"""


def test_view_choosing_by_the_callers_authentication_state_is_informational(
    tmp_path: Path,
) -> None:
    files = {
        "app/models.py": MODELS,
        "app/views.py": PER_CALLER_VIEWS,
        "app/serializers.py": SERIALIZERS,
        "proj/urls.py": PER_CALLER_URLS,
    }
    result = scan(tmp_path, files)
    for view in ("app.views.list_index", "app.views.gateway"):
        found = _mg101(result, view)
        assert found.severity is Severity.INFO, view
        assert "looks at request.user only to choose what" in found.evidence
    # Branching on is_authenticated does not make every user's tickets public: the finding is
    # the open read's (weak evidence, low with low confidence), not informational.
    tickets = _mg101(result, "app.views.ticket_index")
    assert weak_reason(tickets) == (
        "it reads Ticket, whose records belong to a user or account (owner)"
    )
    assert "informational" not in tickets.evidence
    # Nor over a model the scan cannot resolve (get_model(): it may be any user's orders).
    orders = _mg101(result, "app.views.order_index")
    assert weak_reason(orders) == "it reads Order, a model the scan cannot read"
    assert "informational" not in orders.evidence
