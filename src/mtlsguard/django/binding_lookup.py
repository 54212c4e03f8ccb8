"""The certificate -> binding lookup, with its SQL compiled once per database connection.

``ClientCertificateBackend`` looks a binding up by fingerprint on the first sight of every
certificate. Building and compiling that ``QuerySet`` (a ``select_related("user")`` of about
20 columns) costs the ORM ~0.5-1 ms on these machines, several times what the database takes
to answer, and the query only ever differs in the fingerprint. So it is compiled once per
connection with a placeholder fingerprint, and each lookup runs the compiled SQL with its own
fingerprint as a bound parameter (never interpolated into the text), then builds the binding
and its user exactly as ``QuerySet`` iteration does: the compiler's column converters (also
worked out once), ``from_db``, and the ``select_related`` populators. If the query does not
compile to the expected shape (one parameter, no annotations), or this Django's internals
differ (Django 6.1 adds fetch modes to model iteration), lookups use the ``QuerySet``: the
speed-up is for Django 5.2, where it was measured and tested.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from django.db import connections, router

try:
    from django.db.models.query import get_related_populators
except ImportError:  # pragma: no cover - a Django without it: always use the QuerySet
    get_related_populators = None

from mtlsguard.django.models import CertificateBinding

__all__ = ["binding_queryset", "find_binding"]

# Only ever a bound parameter value, located in the compiled parameters by equality.
_PLACEHOLDER: Final = "mtlsguard-binding-lookup-placeholder"


def binding_queryset(sha256: str) -> Any:
    """The ``QuerySet`` of the (at most one) binding of fingerprint ``sha256``, user joined."""
    # sha256 is unique: no ORDER BY (first() would add the model's "-created").
    return CertificateBinding.objects.select_related("user").filter(sha256=sha256).order_by()[:1]


@dataclass(frozen=True, slots=True)
class _CompiledLookup:
    """:func:`binding_queryset` compiled for one connection."""

    sql: str
    params: tuple[Any, ...]
    index: int
    """Position of the fingerprint in ``params``."""
    compiler: Any
    converters: dict[int, Any]
    """The compiler's per-column converters (the backend's and the fields')."""
    init_list: tuple[str, ...]
    start: int
    end: int
    populators: tuple[Any, ...]


#: Attribute of the connection (``DatabaseWrapper``) holding its compiled lookup: the compiler
#: refers to its connection, so a table keyed on connections would keep every one alive; on
#: the connection it lives and dies with it. Connections are per thread (or async context),
#: so no lock is needed.
_ATTRIBUTE: Final = "_mtlsguard_binding_lookup"


def _compile(alias: str) -> _CompiledLookup | None:
    if get_related_populators is None:
        return None
    compiler = binding_queryset(_PLACEHOLDER).query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    try:
        return _compiled_lookup(compiler, sql, tuple(params), alias)
    except (AttributeError, KeyError, IndexError, TypeError):
        # The compiler's internals are not what this Django version had: use the QuerySet.
        return None


def _compiled_lookup(
    compiler: Any, sql: str, params: tuple[Any, ...], alias: str
) -> _CompiledLookup | None:
    if params.count(_PLACEHOLDER) != 1 or compiler.annotation_col_map or compiler.has_extra_select:
        return None
    klass_info = compiler.klass_info
    if klass_info is None or klass_info["model"] is not CertificateBinding:
        return None
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    return _CompiledLookup(
        sql=sql,
        params=params,
        index=params.index(_PLACEHOLDER),
        compiler=compiler,
        converters=compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]]),
        init_list=tuple(f[0].target.attname for f in compiler.select[start:end]),
        start=start,
        end=end,
        populators=tuple(get_related_populators(klass_info, compiler.select, alias)),
    )


def find_binding(sha256: str) -> CertificateBinding | None:
    """The binding of fingerprint ``sha256`` with its user loaded, or ``None``.

    Same database (the router's ``db_for_read``), same single query and same instances as
    ``binding_queryset(sha256).first()`` without its ordering.
    """
    alias = router.db_for_read(CertificateBinding)
    connection = connections[alias]
    try:
        compiled = getattr(connection, _ATTRIBUTE)
    except AttributeError:
        compiled = _compile(alias)
        setattr(connection, _ATTRIBUTE, compiled)
    if compiled is None:
        found = list(binding_queryset(sha256))
        return found[0] if found else None
    params = list(compiled.params)
    params[compiled.index] = sha256
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows: Iterable[Any] = cursor.fetchall()
    if compiled.converters:
        rows = compiled.compiler.apply_converters(rows, compiled.converters)
    for row in rows:
        binding: CertificateBinding = CertificateBinding.from_db(
            alias, list(compiled.init_list), row[compiled.start : compiled.end]
        )
        for populator in compiled.populators:
            populator.populate(row, binding)
        return binding
    return None
