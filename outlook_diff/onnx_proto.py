"""The few ONNX protobuf messages the encoder graph needs, written directly (no `onnx` import).

`import onnx` costs 0.7-0.9 s here (its C extension and ml_dtypes), more than building the
graph itself, and a cold run pays it once before its first vector. The encoder graph uses only
nodes with string inputs and outputs, int and float attributes, raw tensors, and tensor value
infos, so onnx_e5.py writes them with the functions below. Each function mirrors the
`onnx.helper` call of the same name and emits the fields in field-number order, as protobuf's
own serialiser does, so the bytes equal `onnx.helper`'s output (tests/test_onnx_e5.py checks
that on the whole graph). Field numbers are those of onnx/onnx.proto (proto2: repeated scalars
unpacked, optional fields written when set).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

# TensorProto.DataType
FLOAT, UINT8, INT32, INT64 = 1, 2, 6, 7
_DTYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.uint8): UINT8, np.dtype(np.int32): INT32}
_DTYPES[np.dtype(np.int64)] = INT64
# AttributeProto.AttributeType
_ATTR_FLOAT, _ATTR_INT = 1, 2


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s are ten bytes, two's complement
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, value: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(value)) + value


def _joined(fields: Sequence[tuple[int, bytes | memoryview]]) -> bytes:
    """Length-delimited fields in one copy (the weights are 85 MB; `_bytes` would copy each
    tensor once more for every message that holds it)."""
    parts: list[bytes | memoryview] = []
    for field, value in fields:
        parts += [
            _varint(field << 3 | 2),
            _varint(value.nbytes if isinstance(value, memoryview) else len(value)),
            value,
        ]
    return b"".join(parts)


def _str(field: int, value: str) -> bytes:
    return _bytes(field, value.encode())


def _attribute(name: str, value: int | float) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"attribute {name}: only int and float are written here")
    if isinstance(value, int):
        return _str(1, name) + _int(3, value) + _int(20, _ATTR_INT)
    return _str(1, name) + _varint(2 << 3 | 5) + struct.pack("<f", value) + _int(20, _ATTR_FLOAT)


def make_node(
    op_type: str,
    inputs: Sequence[str],
    outputs: Sequence[str],
    domain: str | None = None,
    **attributes: int | float,
) -> bytes:
    """A NodeProto; attributes sorted by name, as onnx.helper.make_node does."""
    out = b"".join(_str(1, name) for name in inputs)
    out += b"".join(_str(2, name) for name in outputs)
    out += _str(4, op_type)
    out += b"".join(_bytes(5, _attribute(k, v)) for k, v in sorted(attributes.items()))
    if domain is not None:
        out += _str(7, domain)
    return out


def from_array(array: npt.NDArray[np.generic], name: str) -> bytes:
    """A TensorProto holding `array` as raw little-endian data (numpy_helper.from_array)."""
    array = np.ascontiguousarray(array)
    try:
        dtype = _DTYPES[array.dtype]
    except KeyError:
        raise TypeError(f"tensor {name}: dtype {array.dtype} is not written here") from None
    dims = b"".join(_int(1, d) for d in array.shape)
    raw = (
        np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).reshape(-1).view(np.uint8)
    )
    return dims + _int(2, dtype) + _str(8, name) + _joined([(9, raw.data)])


def make_tensor_value_info(name: str, elem_type: int, shape: Sequence[int | str]) -> bytes:
    dims = b"".join(_bytes(1, _str(2, d) if isinstance(d, str) else _int(1, d)) for d in shape)
    tensor = _int(1, elem_type) + _bytes(2, dims)
    return _str(1, name) + _bytes(2, _bytes(1, tensor))


def make_graph(
    nodes: Sequence[bytes],
    name: str,
    inputs: Sequence[bytes],
    outputs: Sequence[bytes],
    initializers: Sequence[bytes],
) -> bytes:
    head = b"".join(_bytes(1, node) for node in nodes) + _str(2, name)
    tail = b"".join(_bytes(11, info) for info in inputs)
    tail += b"".join(_bytes(12, info) for info in outputs)
    return b"".join([head, _joined([(5, tensor) for tensor in initializers]), tail])


def make_model(
    graph: bytes, *, opsets: Sequence[tuple[str, int]], producer_name: str, ir_version: int
) -> bytes:
    """A serialised ModelProto (what onnx.helper.make_model(...).SerializeToString() gives)."""
    head = _int(1, ir_version) + _str(2, producer_name)
    tail = b"".join(_bytes(8, _str(1, domain) + _int(2, version)) for domain, version in opsets)
    return b"".join([head, _joined([(7, graph)]), tail])
