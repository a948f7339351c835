"""Path confinement and metric value encoding (no database)."""

from __future__ import annotations

import math

import pytest

from jupyter_mlws.store import InvalidInputError
from jupyter_mlws.store.paths import normalize_artifact_path, normalize_prefix
from jupyter_mlws.store.values import decode_value, encode_value


@pytest.mark.parametrize("path", ["a.txt", "outputs/model.pkl", "logs/x/y/z.log", "a..b/c"])
def test_valid_paths_pass_unchanged(path: str) -> None:
    assert normalize_artifact_path(path) == path


@pytest.mark.parametrize("path", [
    "", "/etc/passwd", "../x", "a/../../x", "a/..", "./a", "a//b", "a/", "a\\b", "..\\x",
    "C:/x", "c:x", "a\x00b", "~/x", "file:///etc/passwd",
])
def test_bad_paths_rejected(path: str) -> None:
    with pytest.raises(InvalidInputError):
        normalize_artifact_path(path)


def test_prefix_keeps_trailing_slash() -> None:
    assert normalize_prefix("outputs/") == "outputs/"
    assert normalize_prefix(None) is None
    with pytest.raises(InvalidInputError):
        normalize_prefix("../")


@pytest.mark.parametrize("value", [
    None, True, False, 0, -3, 2**53, 2**53 + 1, -(2**63) - 5, 10**30, 0.0, -1.5, 1e308,
    math.inf, -math.inf, "", "text", "ünïcode", {"x": 1, "y": 0.5, "z": None, "s": "a"},
    {"big": 2**60 + 1, "nan": math.nan},
])
def test_values_round_trip(value: object) -> None:
    code, num, text = encode_value(value)
    back = decode_value(code, num, text)
    if isinstance(value, dict) and "nan" in value:
        assert back["big"] == value["big"] and math.isnan(back["nan"])
        return
    assert back == value
    assert type(back) is type(value)


def test_nan_is_kept_in_text_because_sqlite_drops_it() -> None:
    code, num, text = encode_value(math.nan)
    assert num is None and text is not None
    assert math.isnan(decode_value(code, num, text))
