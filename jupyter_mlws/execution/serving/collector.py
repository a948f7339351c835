"""The replica's recorder, for the scoring script's ``ModelDataCollector`` (bound by the
replica at start; None outside a service)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .recorder import Recorder

_recorder: Recorder | None = None


def bind(recorder: Recorder) -> None:
    global _recorder
    _recorder = recorder


def current() -> Recorder | None:
    return _recorder


__all__ = ["bind", "current"]
