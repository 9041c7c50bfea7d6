"""The fairness job's pure steps: config -> plan -> per-chunk counts -> merged report and policy.

Nothing here touches Django, so the same steps run in a worker, in a test, or in the benchmark.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.fairness import reader
from governance.fairness.engine import (
    DEFAULT_POLICY,
    AnalysisOptions,
    BootstrapConfig,
    CountTable,
    FairnessInputError,
    PolicyRule,
    analyze,
    evaluate_policy,
    merge_tables,
)

BOOTSTRAP_REPLICATES = 1000
# Settings of the job itself; every other config key describes the file's columns (reader.FairnessColumns).
JOB_KEYS = frozenset({"model_version", "reference_groups", "thresholds", "min_group_size", "bootstrap"})
ACCEPTED_KEYS = JOB_KEYS | reader.COLUMN_SETTINGS


@dataclass(frozen=True)
class BuiltReport:
    """Everything a BiasReport row stores."""

    counts: dict[str, Any]
    report: dict[str, Any]
    policy: list[dict[str, Any]]
    policy_result: dict[str, Any]
    passed: bool
    rows: int


def file_sha256(path: Path) -> str:
    """Streamed sha256 of the input file, recorded in the report (which file was judged)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def config_errors(config: object) -> list[FairnessInputError]:
    """Every mistake in a check's JSON config at once, each naming its path (``config.<key>``).

    Run before a check is recorded, so a user fixes the whole config in one round trip; the steps below
    re-check what they use and raise the first error, so a stored config is never trusted blindly.
    """
    if not isinstance(config, Mapping):
        return [FairnessInputError("config", f"must be a JSON object, got {type(config).__name__}")]
    errors = []
    model_version = config.get("model_version")
    if isinstance(model_version, bool) or not isinstance(model_version, int):
        errors.append(FairnessInputError("config.model_version", "expected the id of a model version"))
    accepted = sorted(ACCEPTED_KEYS)
    errors += [
        FairnessInputError(f"config.{key}", f"is not a known setting; expected one of {accepted}")
        for key in sorted(str(key) for key in config if key not in ACCEPTED_KEYS)
    ]
    column_settings = {key: value for key, value in config.items() if key in reader.COLUMN_SETTINGS}
    errors += reader.column_settings_errors(column_settings)
    errors += _policy_errors(config)[1]
    errors += _option_errors(config)
    reference = config.get("reference_groups")
    features = config.get("sensitive_features")
    if isinstance(reference, Mapping) and isinstance(features, list | tuple):
        errors += [
            FairnessInputError(f"config.reference_groups.{key}", "is not one of the sensitive_features")
            for key in sorted(str(key) for key in reference if key not in features)
        ]
    return errors


def columns(config: Mapping[str, Any]) -> reader.FairnessColumns:
    return reader.FairnessColumns.from_dict({k: v for k, v in config.items() if k not in JOB_KEYS})


def policy_rules(config: Mapping[str, Any]) -> list[PolicyRule]:
    """``thresholds``: a list of rules (``{name, metric, lower, upper, views, use_interval}``);
    default: the four-fifths rule on the selection-rate ratio."""
    rules, errors = _policy_errors(config)
    if errors:
        raise errors[0]
    return rules


def _policy_errors(config: Mapping[str, Any]) -> tuple[list[PolicyRule], list[FairnessInputError]]:
    raw = config.get("thresholds")
    if raw is None:
        return list(DEFAULT_POLICY), []
    if not isinstance(raw, list) or not raw:
        return [], [FairnessInputError("config.thresholds", "expected a non-empty list of rules")]
    rules, errors = [], []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping) or "name" not in item or "metric" not in item:
            errors.append(
                FairnessInputError(f"config.thresholds[{index}]", "each rule needs a name and a metric")
            )
            continue
        try:
            rules.append(PolicyRule.from_dict(item))
        except (TypeError, ValueError, OverflowError) as exc:
            errors.append(FairnessInputError(f"config.thresholds[{index}]", str(exc)))
    return rules, errors


def analysis_options(config: Mapping[str, Any], *, seed_source: str) -> AnalysisOptions:
    """Minimum group size, reference group, and a bootstrap seeded from the input file's digest, so
    re-running a check on the same file reproduces its confidence intervals exactly."""
    errors = _option_errors(config)
    if errors:
        raise errors[0]
    replicates = config.get("bootstrap", BOOTSTRAP_REPLICATES)
    seed = int(hashlib.sha256(seed_source.encode()).hexdigest()[:8], 16)
    bootstrap = BootstrapConfig(replicates=replicates, seed=seed) if replicates else None
    return AnalysisOptions(
        min_group_size=config.get("min_group_size", 30),
        reference=config.get("reference_groups", "largest"),
        bootstrap=bootstrap,
    )


def _option_errors(config: Mapping[str, Any]) -> list[FairnessInputError]:
    errors = []
    min_size = config.get("min_group_size", 30)
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
        errors.append(FairnessInputError("config.min_group_size", "expected a positive integer"))
    reference = config.get("reference_groups", "largest")
    if not (reference in ("largest", "most_favourable") or isinstance(reference, Mapping)):
        errors.append(
            FairnessInputError(
                "config.reference_groups", "expected 'largest', 'most_favourable' or {column: value}"
            )
        )
    replicates = config.get("bootstrap", BOOTSTRAP_REPLICATES)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or not (0 <= replicates <= 100_000):
        errors.append(
            FairnessInputError("config.bootstrap", "expected a replicate count between 0 and 100000")
        )
    return errors


def input_errors(
    path: Path, fmt: str | None, config: Mapping[str, Any]
) -> tuple[list[FairnessInputError], str | None]:
    """The file against the config: its format, then every column the config names. Cheap (schema only).

    Returns the errors and the detected format (``None`` when the file cannot be read at all). Settings that
    are wrong in themselves are :func:`config_errors`' to report and are left out here.
    """
    try:
        info = reader.inspect_file(path, fmt)
    except FairnessInputError as exc:
        return [exc], None
    # Check the columns of every setting that is itself valid: a typo elsewhere in the config (reported by
    # config_errors) must not hide that a named column is missing from the file.
    settings = {key: value for key, value in config.items() if key in reader.COLUMN_SETTINGS}
    faulty = {error.field.removeprefix("config.") for error in reader.column_settings_errors(settings)}
    try:
        wanted = reader.FairnessColumns.from_dict({k: v for k, v in settings.items() if k not in faulty})
    except FairnessInputError:
        return [], info.format
    return reader.column_errors(info, wanted), info.format


def plan(
    path: Path, fmt: str, config: Mapping[str, Any], chunk_rows: int = reader.DEFAULT_CHUNK_ROWS
) -> tuple[list[dict[str, Any]], int | None]:
    """Check the file against the config and split it into chunks (JSON-able specs) for workers."""
    info = reader.inspect_file(path, fmt)
    reader.validate_columns(info, columns(config))
    return [chunk.to_dict() for chunk in reader.plan_chunks(info, chunk_rows)], info.total_rows


def count(
    path: Path,
    fmt: str,
    chunk: Mapping[str, Any],
    config: Mapping[str, Any],
    progress: Callable[[int], None] | None = None,
) -> CountTable:
    return reader.count_chunk(
        path, fmt, reader.ChunkSpec.from_dict(chunk), columns(config), progress_cb=progress
    )


def build_report(
    chunk_counts: Sequence[Mapping[str, Any]], config: Mapping[str, Any], seed_source: str = ""
) -> BuiltReport:
    """Merge the chunks' counts (they add up exactly), analyse, and judge against the policy."""
    table = merge_tables(CountTable.from_dict(c) for c in chunk_counts)
    report = analyze(table, analysis_options(config, seed_source=seed_source)).to_dict()
    rules = policy_rules(config)
    evaluation = evaluate_policy(report, rules)
    return BuiltReport(
        counts=table.to_dict(),
        report=report,
        policy=[rule.to_dict() for rule in rules],
        policy_result=evaluation.to_dict(),
        passed=evaluation.passed,
        rows=table.n_rows,
    )
