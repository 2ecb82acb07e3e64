"""The package version, single-sourced from Cargo.toml through the native module."""

from __future__ import annotations

from importlib import metadata

from modularml import _store

__version__: str = _store.__version__


def check_native_version() -> None:
    """Fail loudly when the compiled extension is older or newer than the installed package."""
    try:
        installed = metadata.version("modularml")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return
    if installed != __version__:
        raise ImportError(
            f"modularml's native extension is version {__version__} but the installed package is "
            f"{installed}: the build is stale. Rebuild it with `pip install -e .` "
            "(or `maturin develop`) from the repository root."
        )
