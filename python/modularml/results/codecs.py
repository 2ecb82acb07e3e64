"""Artifact codecs: Python objects <-> (bytes, codec tag) for artifact packs.

Arrays, tensors, Polars frames, text, bytes and JSON-able values never use pickle.
A matplotlib Figure is pickled (nothing else round-trips it) and also rendered to a
PNG; other objects are pickled. Loading a pickle from a reopened results directory
needs ``allow_pickle=True``.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

PICKLE_CODECS = ("pickle", "figure")


class PickleNotAllowedError(ValueError):
    """A stored object can only be loaded by unpickling, which was not allowed."""


def _pack_array(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array)
    header = json.dumps({"dtype": array.dtype.str, "shape": list(array.shape)}).encode()
    raw = memoryview(array.reshape(-1).view(np.uint8))  # one copy: straight into the join
    return b"".join((struct.pack("<I", len(header)), header, raw))


def _unpack_array(data: bytes) -> np.ndarray:
    (size,) = struct.unpack_from("<I", data)
    header = json.loads(data[4 : 4 + size])
    array = np.frombuffer(data, dtype=np.dtype(header["dtype"]), offset=4 + size)
    return array.reshape(header["shape"]).copy()


def is_json_value(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, list):
        return all(is_json_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json_value(v) for k, v in value.items())
    return False


def pack_arrays(arrays: dict[str, np.ndarray]) -> bytes:
    """Named arrays as one record: a JSON header, then each array's raw bytes."""
    header, blobs, offset = [], [], 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        header.append([name, array.dtype.str, list(array.shape), offset, array.nbytes])
        blobs.append(array.tobytes())
        offset += array.nbytes
    encoded = json.dumps(header).encode()
    return struct.pack("<I", len(encoded)) + encoded + b"".join(blobs)


def unpack_arrays(data: bytes) -> dict[str, np.ndarray]:
    """Inverse of `pack_arrays` (arrays are copies, writable)."""
    (size,) = struct.unpack_from("<I", data)
    base = 4 + size
    out = {}
    for name, dtype, shape, offset, nbytes in json.loads(data[4:base]):
        raw = np.frombuffer(data, dtype=np.dtype(dtype), count=nbytes // np.dtype(dtype).itemsize,
                            offset=base + offset)
        out[name] = raw.reshape(shape).copy()
    return out


@dataclass(frozen=True)
class LostObject:
    """Placeholder for an object that could not be written: its type and why."""

    type_name: str
    reason: str

    def __repr__(self) -> str:
        return f"LostObject({self.type_name}: {self.reason})"


def _is_figure(value: Any) -> bool:
    cls = type(value)
    return cls.__module__.startswith("matplotlib.") and cls.__name__ == "Figure"


def figure_png(figure: Any) -> bytes:
    """The figure rendered as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def encode(value: Any) -> tuple[bytes, str]:
    """``(bytes, codec)`` for a value; pickles only what nothing else round-trips.

    Raises:
        TypeError: The value cannot be stored at all (not even pickled).
    """
    if isinstance(value, np.ndarray) and value.dtype != object:
        return _pack_array(value), "npy"
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return _pack_array(value.detach().cpu().numpy()), "torch"
    if type(value).__module__.startswith("polars") and type(value).__name__ == "DataFrame":
        buffer = io.BytesIO()
        value.write_ipc(buffer)
        return buffer.getvalue(), "polars"
    if isinstance(value, str):
        return value.encode(), "str"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), "bytes"
    if is_json_value(value):
        return json.dumps(value).encode(), "json"
    codec = "figure" if _is_figure(value) else "pickle"
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), codec
    except Exception as e:  # any pickling failure means: not storable
        raise TypeError(f"cannot store a {type(value).__name__}: {e}") from e


def _torch_tensor(data: bytes) -> Any:
    import torch

    return torch.from_numpy(_unpack_array(data))


def _polars_frame(data: bytes) -> Any:
    import polars as pl

    return pl.read_ipc(io.BytesIO(data))


def _lost(data: bytes) -> LostObject:
    note = json.loads(data)
    return LostObject(note["type"], note["reason"])


_DECODERS = {
    "npy": _unpack_array,
    "torch": _torch_tensor,
    "polars": _polars_frame,
    "str": bytes.decode,
    "bytes": bytes,
    "png": bytes,
    "json": json.loads,
    "arrays": unpack_arrays,
    "lost": _lost,
}


def decode(data: bytes, codec: str, *, allow_pickle: bool, what: str = "object") -> Any:
    """The value stored as ``(data, codec)``.

    Raises:
        PickleNotAllowedError: The value is pickled and ``allow_pickle`` is False.
        ValueError: Unknown codec.
    """
    decoder = _DECODERS.get(codec)
    if decoder is not None:
        return decoder(data)
    if codec not in PICKLE_CODECS:
        raise ValueError(f"unknown artifact codec {codec!r} for {what}")
    if not allow_pickle:
        hint = " (its PNG is available as entry.png)" if codec == "figure" else ""
        raise PickleNotAllowedError(
            f"{what} was stored with pickle{hint}; loading it can run arbitrary code. "
            "Reopen with modularml.open_results(path, allow_pickle=True) if you trust "
            "the directory."
        )
    return pickle.loads(data)  # noqa: S301 - the caller opted in
