"""Class bases as the scanner resolves them: ``Base[X]`` is ``Base``, ``typing.Generic`` is none.

Typed code (djangorestframework-stubs, django-stubs) writes DRF/Django bases as subscripted
generics, ``ModelViewSet[Invoice]`` or ``GenericAPIView[Any]``; at run time the subscript is
the base itself. ``typing.Generic[T]``/``typing.Protocol`` only add type parameters.
"""

from __future__ import annotations

import ast

__all__ = ["TYPING_BASES", "base_node"]

TYPING_BASES = frozenset(
    {
        "typing.Generic",
        "typing.Protocol",
        "typing_extensions.Generic",
        "typing_extensions.Protocol",
    }
)
"""Bases from :mod:`typing` that add no behaviour (skipped when linearising)."""


def base_node(node: ast.expr) -> ast.expr:
    """The class named by a base expression: ``a.Base[X, Y]`` -> ``a.Base``."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node
