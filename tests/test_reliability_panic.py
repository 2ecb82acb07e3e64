"""A Rust panic never aborts Python: it becomes StorePanicError (a RuntimeError, so
`except Exception` catches it), and the store stays usable even though the panic
poisoned the table's lock."""

from __future__ import annotations

import threading

import pytest

import modularml
from modularml import StorePanicError
from modularml._store import Table, _panic_holding_table_lock


def test_a_panic_is_a_runtime_error_and_the_poisoned_table_stays_usable():
    table = Table([("name", "str"), ("value", "f64")])
    table.append("loss", 1.0)
    before = table.view()
    with pytest.raises(StorePanicError, match=r"Rust panic: deliberate panic.*still usable"):
        _panic_holding_table_lock(table)
    assert issubclass(StorePanicError, RuntimeError)
    # the lock was poisoned by the panic; reads and writes recover and see every row
    table.append("loss", 2.0)
    table.extend({"name": ["acc", "acc"], "value": [0.5, 0.75]})
    assert len(table) == 4 and len(before) == 1
    assert table.view().where_in("name", ["loss"]).column("value") == [1.0, 2.0]
    assert table.view().collapse(["name"], "sum").column("value") == [3.0, 1.25]


def test_panics_are_caught_by_except_exception_in_other_threads_too():
    table = Table([("k", "int")])
    caught: list[BaseException] = []

    def worker() -> None:
        try:
            _panic_holding_table_lock(table)
        except Exception as err:  # a BaseException-only class would escape this
            caught.append(err)
        table.append(1)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(caught) == 4 and all(isinstance(e, StorePanicError) for e in caught)
    assert len(table) == 4


def test_error_classes_are_exported_with_their_builtin_bases():
    assert issubclass(modularml.NodeNotFoundError, KeyError)
    assert issubclass(modularml.CorruptFileError, OSError)
    assert issubclass(modularml.StorePanicError, RuntimeError)
    assert {"NodeNotFoundError", "CorruptFileError", "StorePanicError"} <= set(modularml.__all__)
