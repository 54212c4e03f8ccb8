"""Views a ``ModelAdmin.get_urls()`` routes through ``admin_view()`` (django CMS 5.0.x).

django CMS is a reusable app: no settings module, its test project configures Django with
``settings.configure(**dict)``. Its ``cms/admin/__init__.py`` imports the modules that register
the admins (``@admin.register(Placeholder)`` in ``cms/admin/placeholderadmin.py``), and
``PlaceholderAdmin.get_urls()`` builds each route with a local helper ``pat(regex, fn)`` that
wraps ``fn`` in ``self.admin_site.admin_view()``. The inventory must list those routes with the
view they serve (staff only), not one opaque "admin site" entry.
"""

from __future__ import annotations

from pathlib import Path

from mtlsguard.findings.model import ScanResult
from mtlsguard.scan.engine import scan_project

FILES = {
    "blog/__init__.py": "",
    "blog/models/__init__.py": "from blog.models.placeholder import Placeholder\n",
    "blog/models/placeholder.py": """\
from django.db import models

class Placeholder(models.Model):
    slot = models.CharField(max_length=50)
""",
    "blog/admin/__init__.py": "import blog.admin.placeholders  # noqa: F401\n",
    "blog/admin/placeholders.py": """\
from django.contrib import admin
from django.http import HttpResponse
from django.urls import re_path

from blog.models import Placeholder
from blog.views import render_structure


@admin.register(Placeholder)
class PlaceholderAdmin(admin.ModelAdmin):
    def get_urls(self):
        def pat(regex, fn):
            return re_path(regex, self.admin_site.admin_view(fn), name=fn.__name__)

        return [
            pat(r"^move-plugin/$", self.move_plugin),
            pat(r"^object/([0-9]+)/structure/$", render_structure),
        ] + super().get_urls()

    def move_plugin(self, request):
        return HttpResponse("moved")
""",
    "blog/views.py": """\
from django.http import HttpResponse

def render_structure(request, object_id):
    return HttpResponse(object_id)
""",
    "blog/urls.py": """\
from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
""",
}


def _scan(tmp_path: Path) -> ScanResult:
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = scan_project(tmp_path)
    assert result.errors == ()
    return result


def test_admin_view_routes_of_a_reusable_app_name_their_views(tmp_path: Path) -> None:
    result = _scan(tmp_path)
    views = {r.pattern: r.view for r in result.routes}
    # The app label is the package holding the models package, not the module's name.
    assert views["admin/blog/placeholder/move-plugin/$"] == (
        "blog.admin.placeholders.PlaceholderAdmin.move_plugin"
    )
    assert views["admin/blog/placeholder/object/([0-9]+)/structure/$"] == (
        "blog.views.render_structure"
    )
    for route in result.routes:
        if route.pattern.startswith("admin/blog/placeholder/"):
            assert all(p.authenticated is True for p in route.protections), route.pattern
