"""The native extension is built, importable, and round-trips values."""

from __future__ import annotations

import pytest

import modularml
from modularml import _store


def test_version_is_single_sourced_from_the_native_module():
    assert modularml.__version__ == _store.__version__
    assert modularml.__version__.count(".") == 2


def test_string_dict_round_trips_codes():
    strings = _store.StringDict()
    codes = [strings.intern(s) for s in ["train_loss", "val_loss", "train_loss", "ünïcode/λ"]]
    assert codes == [0, 1, 0, 2]
    assert [strings.lookup(c) for c in range(3)] == ["train_loss", "val_loss", "ünïcode/λ"]
    assert len(strings) == 3


def test_unknown_code_raises_key_error():
    with pytest.raises(KeyError, match="unknown dictionary code 7"):
        _store.StringDict().lookup(7)
