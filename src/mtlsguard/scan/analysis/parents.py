"""Parent objects a class-based view keeps on ``self`` and checks against the user.

A view often fetches a parent in ``dispatch()``/``setup()`` (``self.page = get_object_or_404(
Page, id=page_id)``) right after asking whether the user may act on it (``if not
get_forms_for_user(request.user).filter(id=page_id).exists(): raise PermissionDenied``), and
then works on the parent's records. Those records are protected by that check only when they
are reached through the parent (``self.page.get_submissions()``); records picked by ids the
caller lists from the parent's model class (``self.page.get_submission_class()._default_manager
.filter(id__in=ids)``) may belong to any other parent.
"""

from __future__ import annotations

from mtlsguard.scan.analysis.scoping import user_aware
from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import ClassModel, ProjectModel

__all__ = ["checked_parent"]


def checked_parent(project: ProjectModel, cls: ClassModel | None, source: str) -> str | None:
    """The method that sets ``self.<attr>`` (``source``) and refers to the user, if any.

    Flow-insensitive like the other scoping heuristics: the method that keeps the parent
    refers to ``request.user`` (or calls project code that does), so the parent is taken as
    checked.
    """
    if cls is None or not source.startswith("self."):
        return None
    attr = source.removeprefix("self.")
    for qual in cls.mro:
        owner = project.class_named(qual)
        if owner is None:
            continue
        for meth in owner.methods.values():
            writes = [w for w in meth.facts.self_writes if w.name == attr]
            if writes and (
                any(w.mentions_user for w in writes) or user_aware(project, cls, meth, 1)
            ):
                return short_of(meth.qualname)
    return None
