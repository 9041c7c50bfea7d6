"""The count table: input forms, validation errors, merging of chunks, marginals and serialisation."""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from governance.fairness.engine import (
    MISSING,
    CountTable,
    FairnessInputError,
    PrefactorizedColumn,
    analyze,
    build_count_table,
    merge_tables,
)
from tests.fairness.helpers import Dataset, make_dataset


def _table(data: Dataset, **extra: Any) -> CountTable:
    return build_count_table(
        y_true=data.y_true,
        y_pred=data.y_pred,
        sensitive_features=data.features,
        sample_weight=data.weights,
        **extra,
    )


def _row_level_cells(data: Dataset) -> dict[tuple[object, ...], np.ndarray]:
    """Reference: pandas groupby over the rows."""
    frame = data.frame.assign(
        cell=2 * data.y_true + data.y_pred, w=1.0 if data.weights is None else data.weights
    )
    out: dict[tuple[object, ...], np.ndarray] = {}
    for key, rows in frame.groupby([*data.features, "cell"])["w"].sum().items():
        out.setdefault(key[:-1], np.zeros(4))[key[-1]] = rows
    return out


def assert_tables_equal(left: CountTable, right: CountTable, exact: bool = True) -> None:
    assert left.columns == right.columns
    assert left.keys == right.keys
    np.testing.assert_array_equal(left.rows, right.rows)
    for a, b in ((left.weight_sums, right.weight_sums), (left.score_hist, right.score_hist)):
        assert (a is None) == (b is None)
        if a is not None:
            assert b is not None
            if exact:
                np.testing.assert_array_equal(a, b)
            else:
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_cells_match_a_pandas_groupby(weighted):
    data = make_dataset(3, 4000, (3, 4), weighted)
    table = _table(data)
    expected = _row_level_cells(data)
    assert set(table.keys) == set(expected)
    for key, cells in zip(table.keys, table.cells(), strict=True):
        np.testing.assert_allclose(cells, expected[key], rtol=1e-13)
    assert table.n_rows == 4000


@pytest.mark.parametrize("weighted", [False, True])
def test_chunked_build_and_merge_equals_one_shot(weighted):
    data = make_dataset(5, 9000, (4, 3), weighted)
    whole = _table(data, score=data.score, score_bins=50)
    bounds = [0, 10, 2500, 2501, 7000, 9000]  # uneven chunks, one of a single row
    chunks = []
    for start, stop in itertools.pairwise(bounds):
        chunks.append(
            build_count_table(
                y_true=data.y_true[start:stop],
                y_pred=data.y_pred[start:stop],
                sensitive_features={name: values[start:stop] for name, values in data.features.items()},
                sample_weight=None if data.weights is None else data.weights[start:stop],
                score=data.score[start:stop],
                score_bins=50,
            )
        )
    merged = merge_tables(chunks)
    assert_tables_equal(merged, whole, exact=not weighted)
    assert merge_tables(reversed(chunks)).keys == whole.keys


def test_chunks_with_different_dictionaries_merge_by_label():
    first = build_count_table(
        y_true=[1, 0, 1],
        y_pred=[1, 1, 0],
        sensitive_features={"race": pd.Categorical(["b", "a", "b"], categories=["b", "a", "z"])},
    )
    second = build_count_table(
        y_true=[0, 1],
        y_pred=[0, 1],
        sensitive_features={"race": PrefactorizedColumn(np.array([1, 0]), ["c", "a"])},
    )
    merged = first.merge(second)
    assert merged.keys == (("a",), ("b",), ("c",))  # "z" never occurs: absent, not a zero row
    np.testing.assert_array_equal(merged.rows, [[1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])


def test_input_forms_give_identical_tables():
    data = make_dataset(8, 3000, (3,), weighted=False)
    values = data.features["attr0"]
    categories = sorted(set(values))
    codes = np.array([categories.index(v) for v in values])
    forms = {
        "object": values,
        "unicode": values.astype(str),
        "list": list(values),
        "series": pd.Series(values),
        "categorical": pd.Categorical(values),
        "categorical_series": pd.Series(values, dtype="category"),
        "arrow": pa.array(values),
        "arrow_dictionary": pa.array(values).dictionary_encode(),
        "arrow_chunked": pa.chunked_array([pa.array(values[:100]), pa.array(values[100:])]),
        "prefactorized": PrefactorizedColumn(codes.astype(np.int8), categories),
    }
    tables = {
        name: build_count_table(y_true=data.y_true, y_pred=data.y_pred, sensitive_features={"attr0": form})
        for name, form in forms.items()
    }
    for table in tables.values():
        assert_tables_equal(table, tables["object"])


def test_label_and_boolean_forms_of_the_outcome():
    y_true = np.array(["yes", "no", "yes", "no"])
    y_pred = np.array(["yes", "yes", "no", "no"])
    by_label = build_count_table(
        y_true=y_true, y_pred=y_pred, sensitive_features={"g": ["a"] * 4}, positive_label="yes"
    )
    as_bool = build_count_table(
        y_true=y_true == "yes", y_pred=pd.Series(y_pred == "yes"), sensitive_features={"g": ["a"] * 4}
    )
    as_float = build_count_table(
        y_true=(y_true == "yes").astype(float),
        y_pred=(y_pred == "yes").astype(np.int8),
        sensitive_features={"g": ["a"] * 4},
    )
    np.testing.assert_array_equal(by_label.rows, [[1, 1, 1, 1]])
    assert_tables_equal(by_label, as_bool)
    assert_tables_equal(by_label, as_float)


def test_integer_and_boolean_sensitive_values_keep_their_type():
    table = build_count_table(
        y_true=[0, 1, 1],
        y_pred=[0, 1, 0],
        sensitive_features={"age_band": np.array([30, 50, 30]), "flag": [True, False, True]},
    )
    assert table.keys == ((30, True), (50, False))
    assert all(isinstance(key[0], int) and isinstance(key[1], bool) for key in table.keys)


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"y_true": [0, 1, 2]}, "y_true", "multi-class"),
        ({"y_true": [0.0, 1.0, np.nan]}, "y_true", "nan"),
        ({"y_pred": [-1, 1, 1]}, "y_pred", "-1"),
        ({"y_pred": ["a", "b", "a"]}, "y_pred", "positive_label"),
        ({"y_true": [0, 1]}, "y_pred", "expected 2"),
        ({"sample_weight": [1.0, 2.0]}, "sample_weight", "expected 3"),
        ({"sample_weight": [1.0, -2.0, 1.0]}, "sample_weight", "non-negative"),
        ({"sample_weight": [1.0, np.inf, 1.0]}, "sample_weight", "finite"),
        ({"score": [0.1, 1.2, 0.3]}, "score", "[0, 1]"),
        ({"score": [0.1, np.nan, 0.3]}, "score", "nan"),
        ({"sensitive_features": {"sex": ["F", "M"]}}, "sex", "expected 3"),
        ({"sensitive_features": {}}, "sensitive_features", "at least one"),
        ({"on_missing": "drop"}, "on_missing", "'error' or 'group'"),
    ],
)
def test_invalid_input_raises_a_named_error(kwargs, field, fragment):
    arguments: dict[str, Any] = {
        "y_true": [0, 1, 1],
        "y_pred": [1, 1, 0],
        "sensitive_features": {"sex": ["F", "M", "F"]},
    }
    arguments.update(kwargs)
    with pytest.raises(FairnessInputError) as raised:
        build_count_table(**arguments)
    assert raised.value.field == field
    assert fragment.lower() in str(raised.value).lower()


def test_more_than_two_labels_with_positive_label_is_an_error():
    with pytest.raises(FairnessInputError, match="exactly two labels"):
        build_count_table(
            y_true=["hire", "reject", "waitlist"],
            y_pred=["hire"] * 3,
            sensitive_features={"g": [1, 1, 2]},
            positive_label="hire",
        )
    with pytest.raises(FairnessInputError, match="missing values"):
        build_count_table(
            y_true=np.array([1.0, np.nan, np.nan]),
            y_pred=[1.0, 0.0, 1.0],
            sensitive_features={"g": [1, 1, 2]},
            positive_label=1.0,
        )


@pytest.mark.parametrize(
    "values",
    [
        np.array(["F", None, "M", "F"], dtype=object),
        np.array(["F", np.nan, "M", "F"], dtype=object),
        pd.Categorical(["F", None, "M", "F"]),
        pa.array(["F", None, "M", "F"]),
        np.array([1.0, np.nan, 2.0, 1.0]),
        PrefactorizedColumn(np.array([0, -1, 1, 0]), ["F", "M"]),
    ],
    ids=["object-none", "object-nan", "categorical", "arrow", "float", "codes"],
)
def test_missing_sensitive_values_raise_or_form_a_group(values):
    arguments: dict[str, Any] = {
        "y_true": [1, 0, 1, 0],
        "y_pred": [1, 1, 0, 0],
        "sensitive_features": {"sex": values},
    }
    with pytest.raises(FairnessInputError) as raised:
        build_count_table(**arguments)
    assert raised.value.field == "sex" and "1 row(s) have no value" in str(raised.value)
    table = build_count_table(**arguments, on_missing="group")
    assert table.keys[-1] == (MISSING,)
    np.testing.assert_array_equal(table.rows[-1], [0, 1, 0, 0])
    report = analyze(table).to_dict()
    assert report["intersection"]["groups"][-1]["group"] == {"sex": None}
    json.dumps(report, allow_nan=False)


def test_intersections_that_do_not_occur_are_absent_and_marginals_sum():
    sex = ["F", "F", "M", "M", "M"]
    race = ["a", "b", "a", "a", "a"]
    table = build_count_table(
        y_true=[1, 0, 1, 1, 0], y_pred=[1, 1, 0, 1, 0], sensitive_features={"sex": sex, "race": race}
    )
    assert table.keys == (("F", "a"), ("F", "b"), ("M", "a"))  # ("M", "b") absent
    by_sex = table.marginal(["sex"])
    direct = build_count_table(
        y_true=[1, 0, 1, 1, 0], y_pred=[1, 1, 0, 1, 0], sensitive_features={"sex": sex}
    )
    assert_tables_equal(by_sex.marginal(["sex"]), direct)
    view = analyze(table).to_dict()["intersection"]
    assert [g["group"] for g in view["groups"]] == [
        {"sex": "F", "race": "a"},
        {"sex": "F", "race": "b"},
        {"sex": "M", "race": "a"},
    ]


def test_json_round_trip_is_exact():
    data = make_dataset(9, 2000, (2, 3), weighted=True)
    table = _table(data, score=data.score, score_bins=20, strata=("region", np.arange(2000) % 3))
    restored = CountTable.from_dict(json.loads(json.dumps(table.to_dict())))
    assert_tables_equal(restored, table)
    assert restored.strata_column == "region"
    assert analyze(restored).to_json() == analyze(table).to_json()


def test_incompatible_tables_do_not_merge():
    base: dict[str, Any] = {"y_true": [0, 1], "y_pred": [1, 1]}
    unweighted = build_count_table(**base, sensitive_features={"sex": ["F", "M"]})
    weighted = build_count_table(**base, sensitive_features={"sex": ["F", "M"]}, sample_weight=[1.0, 2.0])
    other_column = build_count_table(**base, sensitive_features={"race": ["F", "M"]})
    with pytest.raises(FairnessInputError, match="weighted"):
        unweighted.merge(weighted)
    with pytest.raises(FairnessInputError, match="cannot merge"):
        unweighted.merge(other_column)


def test_one_class_only_and_empty_input():
    table = build_count_table(y_true=[1, 1, 1], y_pred=[1, 0, 1], sensitive_features={"g": ["a", "b", "b"]})
    view = analyze(table).to_dict()["intersection"]
    assert view["overall"]["metrics"]["false_positive_rate"] is None
    assert "no negative labels" in view["overall"]["null_reasons"]["false_positive_rate"]
    assert view["disparities"]["true_positive_rate"]["difference"] == 0.5
    empty = build_count_table(
        y_true=np.array([], dtype=int), y_pred=np.array([], dtype=int), sensitive_features={"g": []}
    )
    assert empty.keys == () and empty.n_rows == 0
    report = analyze(empty).to_dict()
    assert report["intersection"]["groups"] == []
    assert report["intersection"]["disparities"]["selection_rate"]["difference"] is None
    json.dumps(report, allow_nan=False)


def test_many_high_cardinality_columns_are_compacted():
    rng = np.random.default_rng(0)
    n = 5000
    features = {f"c{i}": rng.integers(0, 2000, n) * 1000 for i in range(3)}  # 8e9 possible combinations
    table = build_count_table(
        y_true=rng.integers(0, 2, n), y_pred=rng.integers(0, 2, n), sensitive_features=features
    )
    frame = pd.DataFrame(features)
    assert len(table.keys) == len(frame.drop_duplicates())
    assert table.n_rows == n


def test_mixed_type_and_bytes_columns_factorize_by_value():
    mixed = np.array(["a", 1, None, "a", 1], dtype=object)
    table = build_count_table(
        y_true=[1, 0, 1, 0, 1], y_pred=[1, 1, 0, 0, 1], sensitive_features={"m": mixed}, on_missing="group"
    )
    assert table.keys == ((1,), ("a",), (None,))
    np.testing.assert_array_equal(table.rows.sum(axis=1), [2, 2, 1])
    as_bytes = build_count_table(
        y_true=[1, 0], y_pred=[1, 1], sensitive_features={"b": np.array([b"x", b"y"])}
    )
    assert as_bytes.keys == (("x",), ("y",))


def test_pandas_nullable_dtypes():
    table = build_count_table(
        y_true=pd.array([1, 0, 1], dtype="Int64"),
        y_pred=pd.array([True, False, True], dtype="boolean"),
        sensitive_features={"n": pd.Series([1, None, 2], dtype="Int64")},
        on_missing="group",
    )
    assert table.keys == ((1,), (2,), (None,))  # integers stay integers
    with pytest.raises(FairnessInputError, match="no missing values") as raised:
        build_count_table(
            y_true=[1, 0, 1],
            y_pred=pd.array([True, None, False], dtype="boolean"),
            sensitive_features={"g": [1, 1, 2]},
        )
    assert raised.value.field == "y_pred"
