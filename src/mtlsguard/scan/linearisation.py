"""Python's C3 method resolution order, with Django's own view classes expanded.

:attr:`ClassModel.mro` lists external classes by name only (``YearArchiveView``), so two bases
that share ``django.views.generic.base.View`` look unrelated there. The order in which
``dispatch()`` methods run needs the real linearisation: in
``class V(YearArchiveView, ListWithLoginRequired)`` Python places ``View`` (shared by both
bases) after everything of the second base, so the second base's ``LoginRequiredMixin.dispatch``
runs before ``View.dispatch``. :func:`full_mro` computes that order, modelling the public class
hierarchy of Django's generic views, ``django.contrib.auth.mixins`` and
``django.contrib.auth.views`` (Django 5.2; checked against the installed Django by a test).
Classes of other packages stay single names, as in :attr:`ClassModel.mro`.
"""

from __future__ import annotations

from mtlsguard.scan.knowledge import short_of
from mtlsguard.scan.project_model import ClassModel, ProjectModel, Ref

__all__ = [
    "DJANGO_CLASSES",
    "DJANGO_TERMINAL_DISPATCH",
    "Linearisation",
    "c3",
    "canonical",
    "django_mro",
    "full_mro",
]

_BASE = "django.views.generic.base"
_LIST = "django.views.generic.list"
_DETAIL = "django.views.generic.detail"
_EDIT = "django.views.generic.edit"
_DATES = "django.views.generic.dates"
_MIXINS = "django.contrib.auth.mixins"
_AUTH = "django.contrib.auth.views"
_MONTHLY = ("MultipleObjectTemplateResponseMixin",)

DJANGO_CLASSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "View": (_BASE, ()),
    "TemplateResponseMixin": (_BASE, ()),
    "ContextMixin": (_BASE, ()),
    "TemplateView": (_BASE, ("TemplateResponseMixin", "ContextMixin", "View")),
    "RedirectView": (_BASE, ("View",)),
    "MultipleObjectMixin": (_LIST, ("ContextMixin",)),
    "MultipleObjectTemplateResponseMixin": (_LIST, ("TemplateResponseMixin",)),
    "BaseListView": (_LIST, ("MultipleObjectMixin", "View")),
    "ListView": (_LIST, ("MultipleObjectTemplateResponseMixin", "BaseListView")),
    "SingleObjectMixin": (_DETAIL, ("ContextMixin",)),
    "SingleObjectTemplateResponseMixin": (_DETAIL, ("TemplateResponseMixin",)),
    "BaseDetailView": (_DETAIL, ("SingleObjectMixin", "View")),
    "DetailView": (_DETAIL, ("SingleObjectTemplateResponseMixin", "BaseDetailView")),
    "FormMixin": (_EDIT, ("ContextMixin",)),
    "ModelFormMixin": (_EDIT, ("FormMixin", "SingleObjectMixin")),
    "ProcessFormView": (_EDIT, ("View",)),
    "BaseFormView": (_EDIT, ("FormMixin", "ProcessFormView")),
    "FormView": (_EDIT, ("TemplateResponseMixin", "BaseFormView")),
    "BaseCreateView": (_EDIT, ("ModelFormMixin", "ProcessFormView")),
    "CreateView": (_EDIT, ("SingleObjectTemplateResponseMixin", "BaseCreateView")),
    "BaseUpdateView": (_EDIT, ("ModelFormMixin", "ProcessFormView")),
    "UpdateView": (_EDIT, ("SingleObjectTemplateResponseMixin", "BaseUpdateView")),
    "DeletionMixin": (_EDIT, ()),
    "BaseDeleteView": (_EDIT, ("DeletionMixin", "FormMixin", "BaseDetailView")),
    "DeleteView": (_EDIT, ("SingleObjectTemplateResponseMixin", "BaseDeleteView")),
    "YearMixin": (_DATES, ()),
    "MonthMixin": (_DATES, ()),
    "DayMixin": (_DATES, ()),
    "WeekMixin": (_DATES, ()),
    "DateMixin": (_DATES, ()),
    "BaseDateListView": (_DATES, ("MultipleObjectMixin", "DateMixin", "View")),
    "BaseArchiveIndexView": (_DATES, ("BaseDateListView",)),
    "ArchiveIndexView": (_DATES, (*_MONTHLY, "BaseArchiveIndexView")),
    "BaseYearArchiveView": (_DATES, ("YearMixin", "BaseDateListView")),
    "YearArchiveView": (_DATES, (*_MONTHLY, "BaseYearArchiveView")),
    "BaseMonthArchiveView": (_DATES, ("YearMixin", "MonthMixin", "BaseDateListView")),
    "MonthArchiveView": (_DATES, (*_MONTHLY, "BaseMonthArchiveView")),
    "BaseWeekArchiveView": (_DATES, ("YearMixin", "WeekMixin", "BaseDateListView")),
    "WeekArchiveView": (_DATES, (*_MONTHLY, "BaseWeekArchiveView")),
    "BaseDayArchiveView": (_DATES, ("YearMixin", "MonthMixin", "DayMixin", "BaseDateListView")),
    "DayArchiveView": (_DATES, (*_MONTHLY, "BaseDayArchiveView")),
    "BaseTodayArchiveView": (_DATES, ("BaseDayArchiveView",)),
    "TodayArchiveView": (_DATES, (*_MONTHLY, "BaseTodayArchiveView")),
    "BaseDateDetailView": (
        _DATES,
        ("YearMixin", "MonthMixin", "DayMixin", "DateMixin", "BaseDetailView"),
    ),
    "DateDetailView": (_DATES, ("SingleObjectTemplateResponseMixin", "BaseDateDetailView")),
    "AccessMixin": (_MIXINS, ()),
    "LoginRequiredMixin": (_MIXINS, ("AccessMixin",)),
    "PermissionRequiredMixin": (_MIXINS, ("AccessMixin",)),
    "UserPassesTestMixin": (_MIXINS, ("AccessMixin",)),
    "RedirectURLMixin": (_AUTH, ()),
    "PasswordContextMixin": (_AUTH, ()),
    "LoginView": (_AUTH, ("RedirectURLMixin", "FormView")),
    "LogoutView": (_AUTH, ("RedirectURLMixin", "TemplateView")),
    "PasswordChangeView": (_AUTH, ("PasswordContextMixin", "FormView")),
    "PasswordChangeDoneView": (_AUTH, ("PasswordContextMixin", "TemplateView")),
    "PasswordResetView": (_AUTH, ("PasswordContextMixin", "FormView")),
    "PasswordResetDoneView": (_AUTH, ("PasswordContextMixin", "TemplateView")),
    "PasswordResetConfirmView": (_AUTH, ("PasswordContextMixin", "FormView")),
    "PasswordResetCompleteView": (_AUTH, ("PasswordContextMixin", "TemplateView")),
}
"""Django's documented class-based views and auth mixins: short name -> (module, bases)."""

DJANGO_TERMINAL_DISPATCH = frozenset({f"{_BASE}.View"})
"""Modelled classes whose ``dispatch()`` calls the handler and never ``super().dispatch()``
(every other ``dispatch`` of :data:`DJANGO_CLASSES` - the auth mixins and auth views - hands on
to the next class)."""


def c3(seqs: list[list[str]]) -> list[str] | None:
    """Merge linearisations as Python's C3 does; None if the hierarchy is inconsistent."""
    result: list[str] = []
    seqs = [list(s) for s in seqs if s]
    while seqs:
        for seq in seqs:
            head = seq[0]
            if not any(head in s[1:] for s in seqs):
                break
        else:
            return None  # inconsistent hierarchy: Python would raise TypeError
        result.append(head)
        seqs = [[x for x in s if x != head] for s in seqs]
        seqs = [s for s in seqs if s]
    return result


def canonical(name: str) -> str:
    """``django.views.generic.YearArchiveView`` -> its defining module's dotted path."""
    short = short_of(name)
    if name.startswith("django.") and short in DJANGO_CLASSES:
        return f"{DJANGO_CLASSES[short][0]}.{short}"
    return name


def full_mro(project: ProjectModel, cls: ClassModel) -> tuple[str, ...]:
    """``cls``'s linearisation with Django's classes expanded (see the module docstring).

    Falls back to :attr:`ClassModel.mro` when the expanded hierarchy is inconsistent.
    """
    return Linearisation(project).of(cls)


def django_mro(short: str) -> tuple[str, ...] | None:
    """The linearisation of Django's class ``short`` (a key of :data:`DJANGO_CLASSES`)."""
    return Linearisation(None).of_external(f"{DJANGO_CLASSES[short][0]}.{short}")


class Linearisation:
    """:func:`full_mro` for the classes of one project, each computed once.

    A view analysis asks for every route; deep project hierarchies share most ancestors.
    """

    def __init__(self, project: ProjectModel | None) -> None:
        self.project = project
        self.done: dict[str, tuple[str, ...] | None] = {}

    def of(self, cls: ClassModel) -> tuple[str, ...]:
        """``cls``'s expanded linearisation, or :attr:`ClassModel.mro` if it is inconsistent."""
        return self.of_class(cls) or cls.mro

    def of_class(self, cls: ClassModel) -> tuple[str, ...] | None:
        """The linearisation of a project class; None if inconsistent (or cyclic)."""
        key = cls.qualname
        if key in self.done:
            return self.done[key]
        self.done[key] = None  # a cycle (class A(B) / class B(A)) gives up
        heads: list[str] = []
        seqs: list[list[str]] = []
        for base in cls.bases:
            if not isinstance(base, Ref):
                continue
            local = self.project.class_named(base.name) if self.project else None
            sub = self.of_class(local) if local is not None else self.of_external(base.name)
            if sub is None:
                return None
            heads.append(sub[0])
            seqs.append(list(sub))
        merged = c3([*seqs, heads])
        found = None if merged is None else (key, *merged)
        self.done[key] = found
        return found

    def of_external(self, name: str) -> tuple[str, ...] | None:
        """An external class: expanded if it is one of Django's modelled classes."""
        name = canonical(name)
        short = short_of(name)
        if not name.startswith("django.") or short not in DJANGO_CLASSES:
            return (name,)
        if name in self.done:
            return self.done[name]
        self.done[name] = None
        seqs: list[list[str]] = []
        for base in DJANGO_CLASSES[short][1]:
            sub = self.of_external(f"{DJANGO_CLASSES[base][0]}.{base}")
            if sub is None:
                return None
            seqs.append(list(sub))
        merged = c3([*seqs, [s[0] for s in seqs]])
        found = None if merged is None else (name, *merged)
        self.done[name] = found
        return found
