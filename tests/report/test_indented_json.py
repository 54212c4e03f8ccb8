"""``dumps_indented`` writes exactly what ``json.dumps(indent=2, ensure_ascii=False)`` writes."""

from __future__ import annotations

import enum
import json
import math

import pytest

from mtlsguard.report.indented_json import dumps_indented


class _Level(enum.IntEnum):
    HIGH = 3


class _Name(enum.StrEnum):
    MG101 = "MG101"


@pytest.mark.parametrize(
    "document",
    [
        {},
        [],
        "",
        0,
        None,
        {"a": [], "b": {}, "c": [{}], "d": [[]]},
        [1, -2, 2.5, -0.0, 1e300, True, False, None, "x"],
        {"text": 'quote " backslash \\ newline \n tab \t nul \x00 \u00e9 \u2013 \U0001f600'},
        {"nested": {"deeper": {"list": [1, {"k": "v"}, [2, [3]]]}}},
        ({"tuple": (1, 2)}, "a tuple at the top"),
        {"enum": _Level.HIGH, "str_enum": _Name.MG101, _Name.MG101: 1},
    ],
)
def test_the_same_text_as_json_dumps(document: object) -> None:
    assert dumps_indented(document) == json.dumps(document, indent=2, ensure_ascii=False)


@pytest.mark.parametrize(
    "document",
    [{1: "int key"}, {None: 1, True: 2, 2.5: 3}, [math.nan, math.inf, -math.inf]],
)
def test_unusual_values_are_left_to_json_dumps(document: object) -> None:
    assert dumps_indented(document) == json.dumps(document, indent=2, ensure_ascii=False)


def test_what_json_cannot_encode_fails_as_json_dumps_does() -> None:
    with pytest.raises(TypeError):
        dumps_indented({"set": {1, 2}})
