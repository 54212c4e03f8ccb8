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


# django CMS 5.0.7/5.0.9: copy and paste fetch a plugin by an id from the POST body and check
# only the target (the clipboard, the placeholder pasted into); the fixes ask the source
# placeholder too. The admin site admits any staff user; per-object permissions decide the rest.
MODELS = """\
from django.db import models

class Placeholder(models.Model):
    slot = models.CharField(max_length=50)

    def has_add_plugins_permission(self, user, plugins):
        return user.has_perm("cms.add_plugin", self)

    def check_source(self, user):
        return user.has_perm("cms.view_placeholder", self)


class Plugin(models.Model):
    placeholder = models.ForeignKey(Placeholder, on_delete=models.CASCADE)
"""

ADMIN = """\
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import re_path

from blog.models import Placeholder, Plugin


@admin.register(Placeholder)
class PlaceholderAdmin(admin.ModelAdmin):
    def get_urls(self):
        def pat(regex, fn):
            return re_path(regex, self.admin_site.admin_view(fn))

        return [
            pat(r"^copy-plugins/$", self.copy_plugins),
            pat(r"^move-plugin/$", self.move_plugin),
        ] + super().get_urls()

    def has_copy_plugins_permission(self, request, plugins):
        clipboard = request.toolbar.clipboard
        return clipboard.has_add_plugins_permission(request.user, plugins)

    def has_paste_from_source_permission(self, request, source, plugins):
        return source.check_source(request.user)

    def copy_plugins(self, request):
        source_plugin_id = request.POST.get("source_plugin_id")
        source_plugin = get_object_or_404(Plugin, pk=source_plugin_id)  # copy-fetch
        plugins = [source_plugin]
        if not self.has_copy_plugins_permission(request, plugins):
            raise PermissionDenied
        # copy-check
        return HttpResponse("copied")

    def move_plugin(self, request):
        plugin = get_object_or_404(Plugin, pk=request.POST.get("plugin_id"))
        target = get_object_or_404(Placeholder, pk=request.POST.get("placeholder_id"))
        if request.POST.get("copy"):
            return self._paste_plugin(request, plugin=plugin, target=target)
        return self._move_plugin(request, plugin=plugin, target=target)

    def _paste_plugin(self, request, plugin, target):
        # paste-check
        if not target.has_add_plugins_permission(request.user, [plugin]):
            raise PermissionDenied
        return HttpResponse("pasted")

    def _move_plugin(self, request, plugin, target):
        source = plugin.placeholder
        if not source.has_add_plugins_permission(request.user, [plugin]):
            raise PermissionDenied
        if not target.has_add_plugins_permission(request.user, [plugin]):
            raise PermissionDenied
        return HttpResponse("moved")
"""

FIXES = {
    "        # copy-check\n": (
        "        if not source_plugin.placeholder.check_source(request.user):\n"
        "            raise PermissionDenied\n"
    ),
    "        # paste-check\n": "        source = plugin.placeholder\n"
    "        if not self.has_paste_from_source_permission(request, source, [plugin]):\n"
    "            raise PermissionDenied\n",
}


def _unchecked(tmp_path: Path, admin: str) -> dict[str, int]:
    files = {
        "blog/__init__.py": "",
        "blog/models.py": MODELS,
        "blog/admin.py": admin,
        "blog/urls.py": FILES["blog/urls.py"],
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = scan_project(tmp_path)
    assert result.errors == ()
    lines = admin.splitlines()
    return {
        lines[f.location.line - 1].strip(): f.location.line
        for f in result.findings
        if f.rule_id == "MG104" and "never asks about it" in f.evidence
    }


def test_objects_fetched_by_body_id_and_checked_only_on_the_target_are_reported(
    tmp_path: Path,
) -> None:
    found = _unchecked(tmp_path, ADMIN)
    # The copied plugin: the clipboard is asked about it, not its own placeholder. The pasted
    # plugin: _paste_plugin() asks the target only, while _move_plugin() checks the source.
    assert set(found) == {
        "source_plugin = get_object_or_404(Plugin, pk=source_plugin_id)  # copy-fetch",
        "def _paste_plugin(self, request, plugin, target):",
    }


def test_the_source_permission_checks_of_the_fix_clear_them(tmp_path: Path) -> None:
    fixed = ADMIN
    for old, new in FIXES.items():
        assert old in fixed
        fixed = fixed.replace(old, new)
    assert _unchecked(tmp_path, fixed) == {}
