"""Group columns bounded by bytes and by count, with errors naming the column (the counting job's checks)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from governance.fairness.engine import FairnessInputError
from governance.fairness.reader import FairnessColumns, count_file
from governance.fairness.reader.bounds import (
    BATCH_BYTES,
    MAX_GROUP_VALUE_BYTES,
    MAX_GROUPS,
    parquet_batch_rows,
)

COLUMNS = FairnessColumns.from_dict({"y_true": "y", "y_pred": "p", "sensitive_features": ["sex", "g"]})


def write_csv(path, groups: list[str]) -> None:
    lines = ["sex,g,y,p"] + [f"F,{g},{i % 2},{(i + 1) % 2}" for i, g in enumerate(groups)]
    path.write_text("\n".join(lines) + "\n")


def test_a_long_group_value_in_csv_names_the_column(tmp_path):
    path = tmp_path / "long.csv"
    write_csv(path, ["a"] * 100 + ["x" * (MAX_GROUP_VALUE_BYTES + 1)])
    with pytest.raises(FairnessInputError) as raised:
        count_file(path, None, COLUMNS, workers=1)
    assert raised.value.field == "g"
    assert f"{MAX_GROUP_VALUE_BYTES + 1} bytes" in raised.value.message


def test_too_many_distinct_groups_names_the_column(tmp_path):
    path = tmp_path / "many.parquet"
    n = MAX_GROUPS + 1
    labels = np.arange(n) % 2
    pq.write_table(
        pa.table({"sex": ["F"] * n, "g": [f"id{i}" for i in range(n)], "y": labels, "p": labels}), path
    )
    with pytest.raises(FairnessInputError) as raised:
        count_file(path, None, COLUMNS, workers=1)
    assert raised.value.field == "g"
    assert f"at most {MAX_GROUPS} groups" in raised.value.message


def test_too_many_value_combinations_name_the_sensitive_features(tmp_path):
    path = tmp_path / "combinations.csv"  # 150 values per column, 22,500 combinations
    n = 150 * 150
    lines = ["sex,g,y,p"] + [f"s{(i // 150)},g{i % 150},{i % 2},{(i + 1) % 2}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FairnessInputError) as raised:
        count_file(path, None, COLUMNS, workers=1)
    assert raised.value.field == "config.sensitive_features"
    assert "'sex', 'g' form" in raised.value.message


def test_parquet_batches_are_sized_by_bytes(tmp_path):
    path = tmp_path / "wide.parquet"
    rows = 20_000
    pq.write_table(pa.table({"g": ["v" * 4000 + str(i) for i in range(rows)], "y": [0] * rows}), path)
    metadata = pq.ParquetFile(path).metadata
    batch = parquet_batch_rows(metadata, [0], ["g", "y"], 1 << 18)
    assert batch * 4000 <= BATCH_BYTES * 1.01
    assert batch > BATCH_BYTES // 5000
    assert parquet_batch_rows(metadata, [0], ["y"], 1 << 18) == 1 << 18  # short columns: rows decide
