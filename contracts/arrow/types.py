"""The Arrow type of each contract column type."""

from __future__ import annotations

import pyarrow as pa

from contracts.olist import ColumnType
from contracts.validation import DECIMAL_PRECISION, DECIMAL_SCALE

# Milliseconds: Athena reads Parquet timestamps at millisecond precision; Olist times are whole seconds.
TIMESTAMP_TYPE = pa.timestamp("ms")

ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.STRING: pa.string(),
    ColumnType.INTEGER: pa.int32(),
    ColumnType.BIGINT: pa.int64(),
    ColumnType.DOUBLE: pa.float64(),
    ColumnType.DECIMAL: pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
    ColumnType.TIMESTAMP: TIMESTAMP_TYPE,
}
