"""The predictions-file reader: files give the same counts as in-memory arrays, chunks add up, errors name
the field, and memory stays bounded by the batch size."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from governance.fairness.engine import (
    AnalysisOptions,
    CountTable,
    FairnessInputError,
    analyze,
    build_count_table,
    merge_tables,
)
from governance.fairness.reader import (
    ChunkSpec,
    FairnessColumns,
    column_errors,
    column_settings_errors,
    count_chunk,
    count_file,
    inspect_file,
    plan_chunks,
    validate_columns,
)
from governance.fairness.reader.files import CSV_SAMPLE_BYTES
from tests.fairness.helpers import close, make_dataset

REPO = Path(__file__).resolve().parents[2]
CONFIG = {
    "y_true": "label",
    "y_pred": "prediction",
    "score": "prob",
    "sensitive_features": ["sex", "race"],
}
WEIGHTED_CONFIG = {**CONFIG, "sample_weight": "wt"}


def _frame(seed: int, n: int, weighted: bool = True) -> pd.DataFrame:
    data = make_dataset(seed, n, (4, 3), weighted)
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "sex": data.features["attr0"],
            "label": data.y_true,
            "race": data.features["attr1"],
            "prediction": data.y_pred,
            "prob": data.score,
        }
    )
    if weighted:
        frame["wt"] = data.weights
    return frame


def _write(frame: pd.DataFrame, directory: Path, fmt: str, row_group_size: int | None = None) -> Path:
    path = directory / f"predictions.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=row_group_size)
    else:
        frame.to_csv(path, index=False)
    return path


def _direct(frame: pd.DataFrame, columns: FairnessColumns) -> CountTable:
    """The engine run on the in-memory arrays: what the reader must reproduce."""
    y_pred = (
        frame[columns.y_pred].to_numpy()
        if columns.y_pred
        else (frame[columns.score].to_numpy() >= columns.prediction_threshold).astype(np.int8)
    )
    return build_count_table(
        y_true=frame[columns.y_true].to_numpy(),
        y_pred=y_pred,
        sensitive_features={name: frame[name].to_numpy(dtype=object) for name in columns.sensitive_features},
        sample_weight=None if columns.sample_weight is None else frame[columns.sample_weight].to_numpy(),
        score=None if columns.score is None else frame[columns.score].to_numpy(),
        positive_label=columns.positive_label,
        on_missing=columns.on_missing,
    )


def assert_same_table(actual: CountTable, expected: CountTable) -> None:
    """Keys and row counts exactly equal; weight sums equal up to float addition order."""
    assert actual.sensitive_columns == expected.sensitive_columns
    assert actual.strata_column == expected.strata_column
    assert actual.keys == expected.keys
    np.testing.assert_array_equal(actual.rows, expected.rows)
    assert actual.score_bins == expected.score_bins
    for name in ("weight_sums", "score_hist"):
        mine, theirs = getattr(actual, name), getattr(expected, name)
        if theirs is None:
            assert mine is None, name
        else:
            np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-9, err_msg=name)


def _raises(field: str, call, *args, **kwargs) -> FairnessInputError:
    with pytest.raises(FairnessInputError) as caught:
        call(*args, **kwargs)
    assert type(caught.value) is FairnessInputError
    assert caught.value.field == field, str(caught.value)
    return caught.value


# --- same numbers as the in-memory engine and fairlearn ---------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_file_counts_equal_in_memory_counts_and_fairlearn(tmp_path, fmt, seed, weighted):
    frame = _frame(seed, 6000, weighted)
    columns = FairnessColumns.from_dict(WEIGHTED_CONFIG if weighted else CONFIG)
    path = _write(frame, tmp_path, fmt)

    table = count_file(path, fmt, columns, workers=1)
    expected = _direct(frame, columns)
    assert_same_table(table, expected)

    report = analyze(table, AnalysisOptions()).to_dict()
    direct_report = analyze(expected, AnalysisOptions()).to_dict()
    for ours, theirs in zip(
        report["intersection"]["groups"], direct_report["intersection"]["groups"], strict=True
    ):
        assert ours["group"] == theirs["group"] and ours["n"] == theirs["n"]
        for name, value in theirs["metrics"].items():
            assert (value is None and ours["metrics"][name] is None) or close(ours["metrics"][name], value)

    params = {"sample_weight": frame["wt"].to_numpy()} if weighted else {}
    metrics = {
        "selection_rate": flm.selection_rate,
        "true_positive_rate": flm.true_positive_rate,
        "false_positive_rate": flm.false_positive_rate,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oracle = flm.MetricFrame(
            metrics=metrics,
            y_true=frame["label"],
            y_pred=frame["prediction"],
            sensitive_features=frame[["sex", "race"]],
            sample_params=dict.fromkeys(metrics, params) if params else None,
        )
    groups = {tuple(group["group"].values()): group for group in report["intersection"]["groups"]}
    assert len(groups) == len(oracle.by_group)
    for key, row in oracle.by_group.iterrows():
        for name in metrics:
            assert close(groups[key]["metrics"][name], row[name]), (key, name)
    for name in metrics:
        assert close(report["intersection"]["overall"]["metrics"][name], oracle.overall[name])


def test_parquet_dictionary_and_typed_columns(tmp_path):
    """Categoricals (with unused categories), bool predictions and an integer sensitive feature."""
    frame = _frame(3, 5000, weighted=False)
    frame["sex"] = pd.Categorical(frame["sex"], categories=[*sorted(set(frame["sex"])), "never-used"])
    frame["prediction"] = frame["prediction"].astype(bool)
    frame["race"] = frame["race"].str[-1].astype(np.int64)
    path = _write(frame, tmp_path, "parquet")
    columns = FairnessColumns.from_dict(CONFIG)
    expected = build_count_table(
        y_true=frame["label"].to_numpy(),
        y_pred=frame["prediction"].to_numpy(),
        sensitive_features={"sex": frame["sex"].astype(str).to_numpy(), "race": frame["race"].to_numpy()},
        score=frame["prob"].to_numpy(),
    )
    assert_same_table(count_file(path, "parquet", columns), expected)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_threshold_text_labels_and_strata(tmp_path, fmt):
    frame = _frame(4, 4000, weighted=False)
    frame["label"] = np.where(frame["label"] == 1, "approved", "denied")
    frame["region"] = np.where(frame["id"] % 3 == 0, "north", "south")
    path = _write(frame.drop(columns="prediction"), tmp_path, fmt)
    config = {
        "y_true": "label",
        "score": "prob",
        "threshold": 0.45,
        "positive_label": "approved",
        "sensitive_features": ["sex", "race"],
        "strata": "region",
    }
    table = count_file(path, fmt, FairnessColumns.from_dict(config))
    expected = build_count_table(
        y_true=(frame["label"] == "approved").to_numpy(),
        y_pred=frame["prob"].to_numpy() >= 0.45,
        sensitive_features={"sex": frame["sex"].to_numpy(), "race": frame["race"].to_numpy()},
        score=frame["prob"].to_numpy(),
        strata=("region", frame["region"].to_numpy()),
    )
    assert_same_table(table, expected)


def test_numeric_positive_label_matches_csv_text_and_parquet_numbers(tmp_path):
    """positive_label=2 means the same for Parquet integers and CSV text "2"."""
    frame = _frame(5, 3000, weighted=False)
    frame["label"] = np.where(frame["label"] == 1, 2, 7)
    frame["prediction"] = np.where(frame["prediction"] == 1, 2, 7)
    columns = FairnessColumns.from_dict({**CONFIG, "positive_label": 2})
    expected = _direct(frame, columns)
    for fmt in ("parquet", "csv"):
        assert_same_table(count_file(_write(frame, tmp_path, fmt), fmt, columns), expected)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_missing_sensitive_values_follow_on_missing(tmp_path, fmt):
    frame = _frame(6, 3000, weighted=False)
    frame.loc[frame["id"] % 17 == 0, "race"] = None
    path = _write(frame, tmp_path, fmt)
    _raises("race", count_file, path, fmt, FairnessColumns.from_dict(CONFIG))
    columns = FairnessColumns.from_dict({**CONFIG, "on_missing": "group"})
    table = count_file(path, fmt, columns)
    assert_same_table(table, _direct(frame, columns))
    assert any(key[1] is None for key in table.keys)


# --- chunking ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("seed", [7, 8])
def test_chunks_cover_every_row_once_and_merge_to_the_whole_file(tmp_path, fmt, seed):
    n = 20_000
    frame = _frame(seed, n)
    path = _write(frame, tmp_path, fmt, row_group_size=997)
    columns = FairnessColumns.from_dict(WEIGHTED_CONFIG)
    info = inspect_file(path, fmt)
    chunks = plan_chunks(info, target_rows=1500)
    assert len(chunks) >= 10
    assert sum(chunk.rows or 0 for chunk in chunks) == n
    if fmt == "parquet":
        groups = [group for chunk in chunks for group in chunk.row_groups]
        assert groups == list(range(len(info.row_group_rows)))
    else:
        data = path.read_bytes()
        assert chunks[0].start == info.data_start == data.index(b"\n") + 1
        assert chunks[-1].end == info.size
        for before, after in itertools.pairwise(chunks):
            assert before.end == after.start and data[after.start - 1 : after.start] == b"\n"

    shipped = []
    for chunk in chunks:
        spec = ChunkSpec.from_dict(json.loads(json.dumps(chunk.to_dict())))  # as a Celery task gets it
        assert spec == chunk
        progress: list[int] = []
        table = count_chunk(path, fmt, spec, columns, progress.append, batch_size=512)
        assert table.n_rows == chunk.rows and progress[-1] == chunk.rows
        assert progress == sorted(progress)
        shipped.append(json.loads(json.dumps(table.to_dict())))  # as a worker returns it
    merged = merge_tables(CountTable.from_dict(data) for data in shipped)
    assert merged.n_rows == n
    whole = count_file(path, fmt, columns, workers=1)
    assert_same_table(merged, whole)
    assert_same_table(merged, _direct(frame, columns))
    threaded = count_file(path, fmt, columns, workers=3, target_rows=2500)
    assert_same_table(threaded, whole)


def test_csv_boundary_inside_a_line_gives_the_line_to_the_chunk_where_it_starts(tmp_path):
    header = "label,prediction,sex\n"
    lines = [f"{i % 2},{(i // 2) % 2},{'ab'[i % 3 == 0]}{'x' * (i % 7)}\n" for i in range(200)]
    path = tmp_path / "lines.csv"
    path.write_text(header + "".join(lines))
    columns = FairnessColumns.from_dict(
        {"y_true": "label", "y_pred": "prediction", "sensitive_features": ["sex"]}
    )
    info = inspect_file(path)
    starts = {len(header) + sum(len(line) for line in lines[:i]) for i in range(len(lines))}
    chunks = plan_chunks(info, target_rows=7)
    assert len(chunks) > 20
    assert all(chunk.start in starts for chunk in chunks)
    tables = [count_chunk(path, "csv", chunk, columns) for chunk in chunks]
    assert [t.n_rows for t in tables] == [chunk.rows for chunk in chunks]
    assert merge_tables(tables).n_rows == 200


def test_csv_with_quoted_newlines_is_one_chunk_and_counted_right(tmp_path):
    frame = _frame(9, 5000)
    frame.loc[frame["id"] % 50 == 0, "race"] = "multi\nline, quoted"
    path = _write(frame, tmp_path, "csv")
    assert b'"multi\nline, quoted"' in path.read_bytes()
    info = inspect_file(path)
    assert len(plan_chunks(info, target_rows=500)) == 1
    columns = FairnessColumns.from_dict(WEIGHTED_CONFIG)
    table = count_file(path, "csv", columns, workers=2, target_rows=500)
    assert_same_table(table, _direct(frame, columns))


def test_csv_with_quotes_but_no_quoted_newlines_still_splits(tmp_path):
    frame = _frame(10, 5000)
    frame.loc[frame["id"] % 3 == 0, "race"] = 'say "hi", then leave'  # quoted, embedded quotes doubled
    path = _write(frame, tmp_path, "csv")
    chunks = plan_chunks(inspect_file(path), target_rows=500)
    assert len(chunks) >= 8
    columns = FairnessColumns.from_dict(WEIGHTED_CONFIG)
    merged = merge_tables(count_chunk(path, "csv", chunk, columns) for chunk in chunks)
    assert_same_table(merged, _direct(frame, columns))


def test_csv_stray_quote_falls_back_to_one_chunk(tmp_path):
    """A non-RFC quote inside an unquoted value makes the line's quote count odd: no split, Arrow parses."""
    rows = "".join(f"{i % 2},{i % 3 == 0:d},5'1{i % 4}\"\n" for i in range(3000))
    path = tmp_path / "heights.csv"
    path.write_text("label,prediction,height\n" + rows)
    assert len(plan_chunks(inspect_file(path), target_rows=100)) == 1
    columns = FairnessColumns.from_dict(
        {"y_true": "label", "y_pred": "prediction", "sensitive_features": ["height"]}
    )
    table = count_file(path, "csv", columns, workers=2, target_rows=100)
    assert table.n_rows == 3000
    assert {key[0] for key in table.keys} == {"5'10\"", "5'11\"", "5'12\"", "5'13\""}


def test_csv_crlf_bom_blank_lines_and_no_trailing_newline(tmp_path):
    body = "".join(
        f"{i % 2},{(i // 3) % 2},{'fm'[i % 2]}\r\n" + ("\r\n" if i % 50 == 0 else "") for i in range(999)
    )
    path = tmp_path / "windows.csv"
    path.write_bytes(("\ufefflabel,prediction,sex\r\n" + body + "1,1,f").encode())
    columns = FairnessColumns.from_dict(
        {"y_true": "label", "y_pred": "prediction", "sensitive_features": ["sex"]}
    )
    info = inspect_file(path)
    assert info.columns == ("label", "prediction", "sex")
    chunks = plan_chunks(info, target_rows=40)
    assert len(chunks) > 10
    merged = merge_tables(count_chunk(path, "csv", chunk, columns) for chunk in chunks)
    assert merged.n_rows == 1000
    assert_same_table(merged, count_file(path, "csv", columns, workers=1))


def test_csv_with_old_mac_line_endings_is_one_chunk(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(
        b"label,prediction,sex\r"
        + b"".join(b"%d,%d,%s\r" % (i % 2, i % 3 == 0, b"fm"[i % 2 : i % 2 + 1]) for i in range(500))
    )
    columns = FairnessColumns.from_dict(
        {"y_true": "label", "y_pred": "prediction", "sensitive_features": ["sex"]}
    )
    info = inspect_file(path)
    assert info.columns == ("label", "prediction", "sex") and info.total_rows == 500
    assert len(plan_chunks(info, target_rows=10)) == 1
    assert count_file(path, "csv", columns, workers=2, target_rows=10).n_rows == 500


def test_parquet_binary_text_columns_and_empty_chunks(tmp_path):
    """Older writers store text without the UTF8 annotation: Arrow sees binary, read as text."""
    frame = _frame(13, 2000, weighted=False)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name in ("sex", "race"):
        table = table.set_column(table.schema.get_field_index(name), name, table[name].cast(pa.binary()))
    path = tmp_path / "binary.parquet"
    pq.write_table(table, path)
    columns = FairnessColumns.from_dict(CONFIG)
    whole = count_file(path, None, columns)
    assert_same_table(whole, _direct(frame, columns))
    empty = ChunkSpec(0, "parquet", path.stat().st_size, 0)
    nothing = count_chunk(path, None, empty, columns)
    assert nothing.n_rows == 0 and nothing.keys == ()
    assert_same_table(merge_tables([nothing, whole]), whole)


def test_inspect_reports_rows_exactly_or_estimates_them(tmp_path):
    frame = _frame(11, 60_000)
    parquet = inspect_file(_write(frame, tmp_path, "parquet", row_group_size=7000))
    assert parquet.total_rows == 60_000 and parquet.rows_exact
    assert sum(parquet.row_group_rows) == 60_000 and parquet.kinds["prob"] == "float"
    csv = inspect_file(_write(frame, tmp_path, "csv"))
    assert csv.size > CSV_SAMPLE_BYTES and not csv.rows_exact
    assert abs(csv.total_rows - 60_000) < 0.05 * 60_000
    small = inspect_file(_write(frame.head(10), tmp_path, "csv"))
    assert small.total_rows == 10 and small.rows_exact


def test_progress_reports_rows_done_of_the_whole_file(tmp_path):
    frame = _frame(12, 10_000)
    path = _write(frame, tmp_path, "parquet", row_group_size=1000)
    seen: list[int] = []
    count_file(path, None, FairnessColumns.from_dict(CONFIG), seen.append, workers=2, batch_size=700)
    assert seen == sorted(seen) and seen[-1] == 10_000 and len(seen) > 10


# --- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({**CONFIG, "sensitive_featurs": ["sex"]}, "config.sensitive_featurs"),
        ({"y_pred": "prediction", "sensitive_features": ["sex"]}, "config.y_true"),
        ({"y_true": "label", "sensitive_features": ["sex"]}, "config.y_pred"),
        ({**CONFIG, "sensitive_features": []}, "config.sensitive_features"),
        ({**CONFIG, "sensitive_features": "sex"}, "config.sensitive_features"),
        ({**CONFIG, "threshold": 0.3}, "config.threshold"),
        (
            {"y_true": "label", "score": "prob", "threshold": 1.5, "sensitive_features": ["sex"]},
            "config.threshold",
        ),
        ({**CONFIG, "on_missing": "drop"}, "config.on_missing"),
        ({**CONFIG, "score_bins": 0}, "config.score_bins"),
        ({**CONFIG, "positive_label": [1]}, "config.positive_label"),
        ({**CONFIG, "sensitive_features": ["sex", "label"]}, "config.sensitive_features"),
        ({**CONFIG, "sample_weight": "prob"}, "config.sample_weight"),
    ],
)
def test_config_errors_name_the_setting(config, field):
    _raises(field, FairnessColumns.from_dict, config)


def test_every_config_error_is_reported_at_once():
    errors = column_settings_errors(
        {"y_true": "", "sensitive_features": "sex", "on_missing": "drop", "score_bins": 0, "threshold": 2}
    )
    assert [e.field for e in errors] == [
        "config.y_true",
        "config.sensitive_features",
        "config.y_pred",  # neither y_pred nor score
        "config.threshold",
        "config.on_missing",
        "config.score_bins",
    ]
    assert column_settings_errors({**CONFIG, "threshold": 10**400})[0].field == "config.threshold"


def test_config_round_trips_through_json():
    columns = FairnessColumns.from_dict({**WEIGHTED_CONFIG, "positive_label": "yes", "strata": "region"})
    assert FairnessColumns.from_dict(json.loads(json.dumps(columns.to_dict()))) == columns
    assert columns.needed == ("label", "prediction", "prob", "wt", "sex", "race", "region")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sensitive_features": ["sex", "ethnicity"]}, "config.sensitive_features"),
        ({"y_true": "outcome"}, "config.y_true"),
        ({"sample_weight": "weight"}, "config.sample_weight"),
    ],
)
def test_missing_columns_are_refused_before_queueing(tmp_path, fmt, change, field):
    path = _write(_frame(0, 200), tmp_path, fmt)
    columns = FairnessColumns.from_dict({**WEIGHTED_CONFIG, **change})
    error = _raises(field, validate_columns, inspect_file(path, fmt), columns)
    assert "is not in the file" in error.message
    _raises(field, count_file, path, fmt, columns)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_column_errors_name_every_setting_at_fault(tmp_path, fmt):
    frame = _frame(0, 200)
    frame["prob"] = np.where(frame["id"] % 2 == 0, "high", "low")
    path = _write(frame, tmp_path, fmt)
    columns = FairnessColumns.from_dict(
        {**WEIGHTED_CONFIG, "sample_weight": "weight", "sensitive_features": ["sex", "ethnicity"]}
    )
    errors = column_errors(inspect_file(path, fmt), columns)
    assert [e.field for e in errors] == [
        "config.score",  # the setting to fix; the message names the column
        "config.sample_weight",
        "config.sensitive_features[1]",
    ]
    assert "'prob'" in errors[0].message and "numeric" in errors[0].message
    assert "'ethnicity'" in errors[2].message


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_non_numeric_score_is_refused_before_queueing(tmp_path, fmt):
    frame = _frame(0, 200)
    frame["prob"] = np.where(frame["id"] % 2 == 0, "high", "low")
    path = _write(frame, tmp_path, fmt)
    columns = FairnessColumns.from_dict(CONFIG)
    error = _raises("prob", validate_columns, inspect_file(path), columns)
    assert "numeric" in error.message


def test_bad_csv_value_after_the_sample_names_the_column(tmp_path):
    frame = _frame(1, 40_000)
    frame["prob"] = frame["prob"].astype(object)
    frame.loc[39_000, "prob"] = "oops"
    path = _write(frame, tmp_path, "csv")
    assert path.stat().st_size > CSV_SAMPLE_BYTES
    columns = FairnessColumns.from_dict(CONFIG)
    validate_columns(inspect_file(path), columns)  # the sample looks fine
    error = _raises("prob", count_file, path, "csv", columns)
    assert "oops" in error.message


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_non_binary_labels_name_the_column(tmp_path, fmt):
    frame = _frame(2, 500)
    frame.loc[frame["id"] == 321, "label"] = 2
    path = _write(frame, tmp_path, fmt)
    error = _raises("label", count_file, path, fmt, FairnessColumns.from_dict(CONFIG))
    assert "2" in error.message


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_third_text_label_in_a_later_batch_is_caught(tmp_path, fmt):
    frame = _frame(3, 3000)
    frame["label"] = np.where(frame["label"] == 1, "yes", "no")
    frame["prediction"] = np.where(frame["prediction"] == 1, "yes", "no")
    frame.loc[2900, "label"] = "maybe"
    path = _write(frame, tmp_path, fmt, row_group_size=500)
    columns = FairnessColumns.from_dict({**CONFIG, "positive_label": "yes"})
    error = _raises("label", count_file, path, fmt, columns, workers=1, batch_size=256)
    assert "'maybe'" in error.message
    # Across separately counted chunks too, when count_file splits the work.
    _raises("label", count_file, path, fmt, columns, workers=2, target_rows=1000, batch_size=256)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_wrong_or_absent_positive_label(tmp_path, fmt):
    frame = _frame(4, 500)
    frame["label"] = np.where(frame["label"] == 1, "approved", "denied")
    frame["prediction"] = np.where(frame["prediction"] == 1, "approved", "denied")
    path = _write(frame, tmp_path, fmt)
    wrong = FairnessColumns.from_dict({**CONFIG, "positive_label": "yes"})
    error = _raises("config.positive_label", count_file, path, fmt, wrong)
    assert "'yes' does not occur" in error.message
    absent = FairnessColumns.from_dict(CONFIG)
    _raises("config.positive_label", validate_columns, inspect_file(path), absent)
    _raises("config.positive_label", count_chunk, path, fmt, plan_chunks(inspect_file(path))[0], absent)
    numeric = _write(_frame(4, 500), tmp_path / "..", fmt)
    textual = FairnessColumns.from_dict({**CONFIG, "positive_label": "approved"})
    _raises("config.positive_label", validate_columns, inspect_file(numeric), textual)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_missing_labels_and_scores_name_the_column(tmp_path, fmt):
    frame = _frame(5, 400)
    frame["label"] = frame["label"].astype("Int64")
    frame.loc[7, "label"] = None
    _raises("label", count_file, _write(frame, tmp_path, fmt), fmt, FairnessColumns.from_dict(CONFIG))
    frame = _frame(5, 400)
    frame.loc[9, "prob"] = np.nan
    _raises("prob", count_file, _write(frame, tmp_path, fmt), fmt, FairnessColumns.from_dict(CONFIG))
    frame = _frame(5, 400)
    frame.loc[9, "prob"] = 1.5
    error = _raises("prob", count_file, _write(frame, tmp_path, fmt), fmt, FairnessColumns.from_dict(CONFIG))
    assert "[0, 1]" in error.message


@pytest.mark.parametrize(
    ("content", "fmt", "field"),
    [
        (b"", None, "file"),
        (b"label,prediction,prob,sex,race\n", None, "file"),
        (b"label,prediction,prob,sex,race", None, "file"),
        (bytes(np.random.default_rng(0).integers(0, 256, 100_000, dtype=np.uint8)), None, "file"),
        (bytes(np.random.default_rng(1).integers(0, 256, 100_000, dtype=np.uint8)), "csv", "file"),
        (b"\x1f\x8b\x08\x00compressed", None, "file"),
        (b"label,prediction\n\xff\xfe,1\n", None, "file"),
        (b"PAR1 this is not really parquet PAR1", None, "file"),
        (b"label,prediction\n1,0\n", "parquet", "format"),
        (b"label,prediction\n1,0\n", "xlsx", "format"),
        (b'label,prediction,prob,sex,race\n1,0,0.5,"unterminated,x\n', None, "file"),
    ],
    ids=[
        "empty",
        "header-only",
        "header-no-newline",
        "binary-garbage",
        "binary-garbage-as-csv",
        "gzip",
        "not-utf8",
        "fake-parquet",
        "csv-claimed-parquet",
        "unknown-format",
        "unterminated-quote",
    ],
)
def test_unreadable_files_raise_field_named_errors(tmp_path, content, fmt, field):
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    columns = FairnessColumns.from_dict(CONFIG)
    error = _raises(field, count_file, path, fmt, columns)
    assert error.message


def test_truncated_and_corrupt_parquet(tmp_path):
    path = _write(_frame(6, 50_000), tmp_path, "parquet", row_group_size=10_000)
    data = path.read_bytes()
    columns = FairnessColumns.from_dict(CONFIG)
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(data[: len(data) // 2])
    _raises("file", inspect_file, truncated)
    _raises("format", inspect_file, truncated, "csv")
    footer_only = tmp_path / "footer.parquet"
    footer_only.write_bytes(data[:4] + data[-200:])
    _raises("file", count_file, footer_only, "parquet", columns)
    corrupt = tmp_path / "corrupt.parquet"
    noise = np.random.default_rng(2).integers(0, 256, len(data) // 2, dtype=np.uint8).tobytes()
    corrupt.write_bytes(data[:100] + noise + data[100 + len(noise) :])
    info = inspect_file(corrupt)  # the footer is intact: only reading the pages finds the damage
    validate_columns(info, columns)
    _raises("file", count_file, corrupt, "parquet", columns)


def test_file_changed_after_planning(tmp_path):
    path = _write(_frame(7, 3000), tmp_path, "csv")
    columns = FairnessColumns.from_dict(CONFIG)
    chunks = plan_chunks(inspect_file(path), target_rows=500)
    with path.open("ab") as handle:
        handle.write(b"1,1,0.5,g0_1,g1_1\n")
    _raises("file", count_chunk, path, "csv", chunks[0], columns)
    _raises("format", count_chunk, path, "parquet", chunks[0], columns)
    _raises("chunk", ChunkSpec.from_dict, {"format": "csv"})


# --- memory ------------------------------------------------------------------------------------------------

MEMORY_PROBE = textwrap.dedent(
    """
    import json, resource, sys, tracemalloc
    import numpy as np, pyarrow as pa, pyarrow.parquet as pq
    from governance.fairness.engine import build_count_table, PrefactorizedColumn
    from governance.fairness.reader import FairnessColumns, count_file

    path, small = sys.argv[1], sys.argv[2]
    columns = FairnessColumns.from_dict(json.loads(sys.argv[3]))
    count_file(small, "parquet", columns, workers=1)  # warm up: lazy imports, allocator arenas
    pool = pa.default_memory_pool()
    arrow_before = pool.max_memory()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    table = count_file(path, "parquet", columns, workers=1, batch_size=65536)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    reader = {
        "rows": table.n_rows,
        "numpy_peak": peak,
        "arrow_peak": pool.max_memory() - arrow_before,
        "rss_growth": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024,
    }
    # Control: the obvious whole-file approach, to show the probe can tell the difference.
    tracemalloc.start()
    data = pq.read_table(path, columns=list(columns.needed))
    sex = data["sex"].combine_chunks()
    build_count_table(
        y_true=data["label"].to_numpy(),
        y_pred=data["prediction"].to_numpy(),
        sensitive_features={
            "sex": PrefactorizedColumn(sex.indices.to_numpy(), sex.dictionary.to_pylist()),
            "race": data["race"],
        },
        sample_weight=data["wt"].to_numpy(),
        score=data["prob"].to_numpy(),
    )
    numpy_peak = tracemalloc.get_traced_memory()[1]
    control = {"numpy_peak": numpy_peak, "arrow_peak": pool.max_memory() - arrow_before}
    print(json.dumps({"reader": reader, "control": control}))
    """
)


def test_memory_is_bounded_by_the_batch_not_the_file(tmp_path):
    n = 2_000_000
    rng = np.random.default_rng(0)
    label = (rng.random(n) < 0.4).astype(np.int8)
    prob = rng.random(n)
    table = pa.table(
        {
            "sex": pa.DictionaryArray.from_arrays(
                rng.integers(0, 4, n, dtype=np.int32), ["f", "m", "x", "u"]
            ),
            "race": pa.DictionaryArray.from_arrays(rng.integers(0, 5, n, dtype=np.int32), list("abcde")),
            "label": label,
            "prediction": (prob > 0.5).astype(np.int8),
            "prob": prob,
            "wt": rng.gamma(2.0, 1.0, n),
        }
    )
    path = tmp_path / "big.parquet"
    pq.write_table(table, path)
    small = tmp_path / "small.parquet"
    pq.write_table(table.slice(0, 1000), small)
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path), str(small), json.dumps(WEIGHTED_CONFIG)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    measured = json.loads(result.stdout)
    reader, control = measured["reader"], measured["control"]
    mib = 1 << 20
    assert reader["rows"] == n
    # 2M rows x 6 columns are ~50 MiB decoded; one 64k-row batch and its engine temporaries are ~5 MiB.
    assert reader["numpy_peak"] < 16 * mib, measured
    assert reader["arrow_peak"] < 32 * mib, measured
    assert reader["rss_growth"] < 64 * mib, measured
    assert control["arrow_peak"] > 32 * mib and control["numpy_peak"] > 16 * mib, measured
