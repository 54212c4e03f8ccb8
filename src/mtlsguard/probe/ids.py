"""Which objects the run has seen, and which values fill a route's path parameters.

Every JSON answer of every identity is harvested (:func:`harvest_objects`): each object
(a JSON dict) becomes a :class:`SeenObject` with its scalars -- ints, UUIDs, slugs, string
keys like ``INV-2001`` -- by field name, the values of its owner-like fields (``owner``,
``user``, ``created_by`` ...), the resource it was listed as (``invoices`` for
``/api/invoices/`` or a ``"invoices": [...]`` key) and the path parameters of the request
that returned it (so ``/accounts/5/invoices/`` gives its invoices ``account_pk=5``).

A parameter is matched to fields by name (:func:`field_score`): ``<int:invoice_pk>`` ←
an invoice's ``id``, ``{pk}`` after ``/invoices/`` ← an invoice's ``id``, ``<str:number>`` ←
``number``, ``{account_id}`` ← ``account_id`` or an account's ``id``. :func:`fill_template`
fills a whole template from one object (nested routes take the parent's values from the path
the object came from), ``B``'s objects first, then objects nobody is known to own, then
``A``'s, then the integer neighbours of ``B``'s values.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from mtlsguard.probe.compare import OWNER_KEY
from mtlsguard.probe.discovery import collection_of, parameters

__all__ = [
    "HarvestedIds",
    "SeenObject",
    "field_score",
    "fill_template",
    "harvest_objects",
    "resource_of",
    "scalar_id",
    "singular",
    "values_in",
]

_PARAM_TEXT: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_KEYLIKE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_ID_SUFFIX: Final = re.compile(r"^(?P<model>.+?)[_-]?(?P<attr>pk|id|uuid|slug|number|key|code)$")
_WRAPPERS: Final = frozenset({"results", "data", "items", "objects", "rows", "records", "list"})
"""Keys that wrap a listing's objects (DRF pagination) without naming them."""
_MAX_OBJECTS: Final = 2000
_MAX_LINKS: Final = 200
"""Links of one HTML answer matched against the routes, at most."""
_WALK_BUDGET: Final = 20_000


def singular(word: str) -> str:
    """``invoices`` → ``invoice``, ``categories`` → ``category`` (lower-case, rough)."""
    word = word.lower().replace("-", "_")
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes")) and len(word) > 4:
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        return word[:-1]
    return word


def resource_of(template: str, before: int | None = None) -> str:
    """The last literal path segment of ``template`` (before character ``before``), singular."""
    text = template[:before] if before is not None else template.split("?", 1)[0]
    segments = [s for s in text.split("/") if s and not _PARAM_TEXT.fullmatch(s)]
    return singular(segments[-1]) if segments else ""


def scalar_id(value: object) -> str | None:
    """``value`` as an identifier when it can be one (int, UUID, slug, string key), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if 0 <= value < 1 << 63 else None
    if isinstance(value, str) and _KEYLIKE.fullmatch(value):
        return value
    return None


@dataclass(frozen=True, slots=True)
class SeenObject:
    """One JSON object in an identity's answer."""

    identity: str
    """Who received it (``A`` or ``B``)."""
    resource: str
    """What it is (singular: ``invoice``), from its listing's path or the key holding it."""
    fields: tuple[tuple[str, str], ...]
    """``(field name, value)`` of its identifier-like scalars, in document order."""
    owners: tuple[str, ...] = ()
    """Lower-cased values of its owner-like fields."""
    via: tuple[tuple[str, str], ...] = ()
    """Path parameters of the request that returned it."""
    source: str = ""
    """The template of the request that returned it."""


def harvest_objects(
    data: object,
    *,
    identity: str,
    resource: str,
    via: Sequence[tuple[str, str]] = (),
    source: str = "",
) -> list[SeenObject]:
    """The objects in a JSON answer (bounded walk); nested lists under a key take its name."""
    found: list[SeenObject] = []
    stack: list[tuple[object, str]] = [(data, resource)]
    budget = _WALK_BUDGET
    while stack and budget > 0 and len(found) < _MAX_OBJECTS:
        budget -= 1
        node, context = stack.pop()
        if isinstance(node, list):
            stack.extend((item, context) for item in reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        fields: list[tuple[str, str]] = []
        owners: list[str] = []
        for key, value in node.items():
            if not isinstance(key, str):
                continue
            text = scalar_id(value)
            if text is not None:
                fields.append((key, text))
            if OWNER_KEY.match(key) and isinstance(value, str | int) and text is not None:
                owners.append(text.lower())
            elif OWNER_KEY.match(key) and isinstance(value, dict):
                owners.extend(str(v).lower() for v in value.values() if scalar_id(v) is not None)
        if fields:
            found.append(
                SeenObject(identity, context, tuple(fields), tuple(owners), tuple(via), source)
            )
        children = [
            (v, context if k.lower() in _WRAPPERS else singular(k))
            for k, v in node.items()
            if isinstance(k, str) and isinstance(v, dict | list)
        ]
        stack.extend(reversed(children))
    return found


def field_score(parameter: str, resource: str, key: str, seen_as: str, value: str) -> int:
    """How well field ``key`` of a ``seen_as`` object fills ``parameter`` after ``resource``.

    0: not at all. 4: the parameter names this field of this resource (``invoice_pk`` ←
    invoice ``id``; ``pk`` after ``/invoices/`` ← invoice ``id``; ``number`` ← invoice
    ``number``). 3: the same field name (``account_id`` ← ``account_id``). 2: a foreign key or
    a value of the right shape (``user_id`` ← ``owner``; ``uuid`` ← a UUID). 1: a generic id.
    """
    name, key = parameter.lower(), key.lower()
    match = _ID_SUFFIX.match(name)
    model, attr = (singular(match["model"]), match["attr"]) if match else (resource, name)
    if attr == "pk":
        attr = "id"
    key_attr = "id" if key == "pk" else key
    if key_attr == attr and seen_as == model:
        return 4
    if key == name and name not in {"id", "pk"}:
        return 3
    if attr == "id" and key in {f"{model}_id", f"{model}id", model} and value.isdigit():
        return 2
    if attr == "uuid" and _is_uuid(value):
        return 2
    if model in {"user", "owner", "member", "profile"} and OWNER_KEY.match(key):
        return 2
    if name in {"id", "pk", "slug", "key"} and key_attr == ("id" if name == "pk" else name):
        return 1  # a generic parameter, another resource's field: a last resort
    return 0


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) >= 32


def _best(parameter: str, resource: str, obj: SeenObject) -> tuple[int, str] | None:
    scored = [(field_score(parameter, resource, k, obj.resource, v), v) for k, v in obj.fields]
    scored = [s for s in scored if s[0] > 0]
    return max(scored, key=lambda s: s[0]) if scored else None


def fill_template(template: str, obj: SeenObject) -> tuple[int, dict[str, str]] | None:
    """Fill every parameter of ``template`` from ``obj`` (its own fields and its path).

    Returns the weakest match's score and the values, or ``None`` when one cannot be filled.
    """
    values: dict[str, str] = {}
    via = dict(obj.via)
    weakest = 4
    for found in _PARAM_TEXT.finditer(template):
        name = found.group(1)
        if name in values:
            continue
        if name in via and obj.source.startswith(template[: found.end()]):
            values[name] = via[name]  # the parent of a nested route, from the object's path
            continue
        best = _best(name, resource_of(template, found.start()), obj)
        if best is None:
            return None
        weakest = min(weakest, best[0])
        values[name] = best[1]
    return weakest, values


@dataclass(slots=True)
class HarvestedIds:
    """Every object each identity received, and what the run learned about the identities."""

    objects: list[SeenObject] = field(default_factory=list)
    """Objects in the order seen."""
    user_ids: dict[str, set[str]] = field(default_factory=lambda: {"A": set(), "B": set()})
    """Identity → its user ids and names, from "who am I" answers and listings."""
    _keys: set[tuple[str, str, tuple[tuple[str, str], ...]]] = field(default_factory=set)
    _index: dict[str, list[int]] = field(default_factory=dict)
    _distinct_cache: tuple[int, list[int]] = (0, [])

    def _append(self, obj: SeenObject) -> None:
        # indexed by resource, field name and source, so filling a route looks at the objects
        # that can match it, not at every object of the run (1,000 routes: quadratic)
        position = len(self.objects)
        self.objects.append(obj)
        self._keys.add((obj.identity, obj.resource, obj.fields))
        keys = {f"r:{obj.resource}", f"s:{obj.source}", *(f"f:{k.lower()}" for k, _ in obj.fields)}
        if obj.owners:
            keys.add("owned")
        for key in keys:
            self._index.setdefault(key, []).append(position)

    def add(self, data: object, *, identity: str, template: str, via: dict[str, str]) -> None:
        """Harvest one JSON answer of ``identity`` to a path of ``template``."""
        if len(self.objects) >= _MAX_OBJECTS * 4:
            return
        for obj in harvest_objects(
            data,
            identity=identity,
            resource=resource_of(template),
            via=sorted(via.items()),
            source=template,
        ):
            self._append(obj)

    def learn_from_listing(self, template: str) -> None:
        """Learn user ids from a listing A and B saw differently (each sees their own rows).

        An owner value only in A's rows is A's, one only in B's rows is B's, when each side
        has exactly one such value.
        """
        owners: dict[str, set[str]] = {"A": set(), "B": set()}
        for position in self._index.get(f"s:{template}", ()):
            obj = self.objects[position]
            if not obj.via:
                owners[obj.identity].update(obj.owners)
        mine, theirs = owners["A"] - owners["B"], owners["B"] - owners["A"]
        if len(mine) == 1 and len(theirs) == 1:
            self.user_ids["A"] |= mine
            self.user_ids["B"] |= theirs

    def add_links(self, paths: Sequence[str], *, identity: str, templates: Sequence[str]) -> None:
        """Harvest the links of an HTML answer: each link to a route is an object of it."""
        for path in paths[:_MAX_LINKS]:
            for template in templates:
                values = values_in(path, template)
                if values:
                    last = list(_PARAM_TEXT.finditer(template))[-1].start()
                    fields = tuple(values.items())
                    resource = resource_of(template, last)
                    self._append(SeenObject(identity, resource, fields, source=template))
                    break

    def owner_of(self, obj: SeenObject, markers: dict[str, frozenset[str]]) -> str | None:
        """``A`` or ``B`` when an owner-like field names exactly one of them, else ``None``."""
        owners = set(obj.owners)
        if not owners:
            return None
        whose = [
            who for who in ("A", "B") if owners & (self.user_ids[who] | markers.get(who, set()))
        ]
        return whose[0] if len(whose) == 1 else None

    def _matching(self, template: str) -> list[int]:
        """Positions of the objects that can match ``template`` well.

        Its own listing's objects (``/a/`` for ``/a/{pk}/``) and those of fields named like
        its parameters when that listing showed any; else every object of the resource or
        with a field its parameters name.
        """
        listing = collection_of(template)
        own = self._index.get(f"s:{listing}", []) if listing else []
        if own:
            named = [f"f:{n.lower()}" for n in parameters(template) if n not in {"id", "pk"}]
            extra = [f"s:{template}", *named]
            return sorted({*own, *(p for key in extra for p in self._index.get(key, ()))})
        keys: set[str] = set()
        for found in _PARAM_TEXT.finditer(template):
            name = found.group(1).lower()
            match = _ID_SUFFIX.match(name)
            model = singular(match["model"]) if match else resource_of(template, found.start())
            keys |= {f"f:{name}", f"f:{model}_id", f"f:{model}id", f"f:{model}", f"r:{model}"}
            if model in {"user", "owner", "member", "profile"}:
                keys.add("owned")
        return sorted({p for key in keys for p in self._index.get(key, ())})

    def _ranked(
        self, template: str, positions: Iterable[int], markers: dict[str, frozenset[str]]
    ) -> list[tuple[int, int, int, dict[str, str], str | None]]:
        ranked: list[tuple[int, int, int, dict[str, str], str | None]] = []
        for index in positions:
            obj = self.objects[index]
            filled = fill_template(template, obj)
            if filled is None:
                continue
            owner = self.owner_of(obj, markers)
            rank = {"B": 0, None: 1, "A": 2}[owner]
            if owner is None and obj.identity == "B" and not self._seen_by("A", obj):
                rank, owner = 0, "B"  # in B's answers and not in A's: B's as far as we can tell
            ranked.append((-filled[0], rank, index, filled[1], owner))
        return ranked

    def candidates(
        self, template: str, markers: dict[str, frozenset[str]], limit: int
    ) -> Iterator[tuple[dict[str, str], str | None]]:
        """Values for ``template``: ``(values, owner)``; B's objects first, A's last.

        Within each, better-matching fields first; the integer neighbours of B's values (owner
        unknown, one-parameter templates) come before A's own. Objects of other resources
        (a generic ``{pk}`` from any ``id``) only when nothing matches better. At most
        ``limit`` paths.
        """
        ranked = self._ranked(template, self._matching(template), markers)
        if not ranked:
            ranked = self._ranked(template, self._distinct(), markers)
        # strong matches of B's objects, then of unknown owners, then weak ones; A's last
        ranked.sort(key=lambda r: (r[1] > 1, r[0] > -3, r[1], r[0], r[2]))
        seen: set[tuple[tuple[str, str], ...]] = set()
        mine = [r for r in ranked if r[1] > 1]
        room = limit
        for *_, values, owner in [r for r in ranked if r[1] <= 1]:
            key = tuple(sorted(values.items()))
            if key not in seen and room > 0:
                seen.add(key)
                room -= 1
                yield values, owner
        for values, owner in _neighbours(template, ranked, seen, room):
            room -= 1
            yield values, owner
        for *_, values, owner in mine:
            key = tuple(sorted(values.items()))
            if key not in seen and room > 0:
                seen.add(key)
                room -= 1
                yield values, owner

    def _distinct(self) -> list[int]:
        """The first position of every distinct object (who saw it, its fields and owners).

        Filling a route from any object (a last resort) needs no more: its resource is not
        the route's anyway.
        """
        count, positions = self._distinct_cache
        if count != len(self.objects):
            firsts: dict[tuple[object, ...], int] = {}
            for index, obj in enumerate(self.objects):
                firsts.setdefault((obj.identity, obj.fields, obj.owners), index)
            positions = sorted(firsts.values())
            self._distinct_cache = (len(self.objects), positions)
        return positions

    def _seen_by(self, identity: str, obj: SeenObject) -> bool:
        return (identity, obj.resource, obj.fields) in self._keys


@functools.lru_cache(maxsize=4096)
def _template_pattern(template: str) -> tuple[str, re.Pattern[str], tuple[str, ...]] | None:
    pieces = _PARAM_TEXT.split(template)
    if len(pieces) < 3:
        return None
    pattern = "".join(
        re.escape(piece) if i % 2 == 0 else f"(?P<p{i // 2}>[^/?&#]+)"
        for i, piece in enumerate(pieces)
    )
    return pieces[0], re.compile(pattern), tuple(pieces[1::2])


def values_in(path: str, template: str) -> dict[str, str] | None:
    """The parameter values of concrete ``path`` (query string included) under ``template``."""
    compiled = _template_pattern(template)
    if compiled is None or not path.startswith(compiled[0]):
        return None
    _, pattern, names = compiled
    found = pattern.fullmatch(path)
    if found is None:
        return None
    return {name: found.group(f"p{i}") for i, name in enumerate(names)}


def _neighbours(
    template: str,
    ranked: list[tuple[int, int, int, dict[str, str], str | None]],
    seen: set[tuple[tuple[str, str], ...]],
    room: int,
) -> Iterator[tuple[dict[str, str], str | None]]:
    names = parameters(template)
    if room <= 0 or len(set(names)) != 1:
        return
    name = names[0]
    numbers = [int(v[name]) for _, rank, _, v, _ in ranked if rank <= 1 and v[name].isdigit()]
    for n in numbers:
        for candidate in (n - 1, n + 1):
            if room > 0 and candidate > 0 and ((name, str(candidate)),) not in seen:
                seen.add(((name, str(candidate)),))
                room -= 1
                yield {name: str(candidate)}, None
