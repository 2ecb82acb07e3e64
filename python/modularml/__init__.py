"""modularml: train PyTorch models with callbacks; query what they logged.

Public names are loaded on first use, so `import modularml` does no work beyond
checking that the native extension matches this package.
"""

from __future__ import annotations

import importlib
from typing import Any

from modularml._version import __version__, check_native_version

check_native_version()

# public name -> module that defines it (filled in as the front end lands)
_EXPORTS: dict[str, str] = {}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'modularml' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
