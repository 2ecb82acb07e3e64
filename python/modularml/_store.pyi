"""Type stubs for the native extension. User code never imports this module."""

from typing import final

__all__ = ["__version__", "StringDict"]

__version__: str

@final
class StringDict:
    def __new__(cls) -> StringDict: ...
    def intern(self, value: str) -> int: ...
    def lookup(self, code: int) -> str: ...
    def __len__(self) -> int: ...
