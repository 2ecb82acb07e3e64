"""Rebuild any callback from its `get_config()` output.

The class is found by name among the loaded subclasses of `Callback` (built-in and
user-defined alike), so no registry has to be filled at import time.
"""

from __future__ import annotations

from typing import Any

from modularml.core.experiment.callbacks.callback import Callback


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def callback_from_config(config: dict[str, Any]) -> Callback:
    """The callback described by `config` (its "callback_type" names the class)."""
    import modularml.callbacks  # noqa: F401  (built-ins must be loaded to be found)

    name = config.get("callback_type")
    matches = {c for c in _subclasses(Callback) if c.__name__ == name or c.__qualname__ == name}
    if not matches:
        known = sorted({c.__name__ for c in _subclasses(Callback)})
        raise ValueError(f"Unknown callback_type {name!r}; loaded callback classes: {known}.")
    if len(matches) > 1:
        raise ValueError(f"callback_type {name!r} names several classes: {sorted(map(str, matches))}.")
    return matches.pop().from_config(config)
