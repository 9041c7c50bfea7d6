"""Mapping between MCT fields and the standard Hugging Face metadata keys.

Only keys with a real MCT counterpart are derived here: ``license`` (model_details.licenses),
``datasets`` (model_parameters.data) and ``model-index`` (quantitative_analysis.performance_metrics,
in the Hub's model-index shape that ``huggingface_hub.ModelCardData`` parses into ``EvalResult``s).
The mappings lose detail by nature (the Hub has no confidence intervals, MCT has no per-metric
dataset); exact round trips go through the structured copy in the front matter instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from typing import Any

#: Hub license ids (lowercase) whose SPDX spelling differs only in case, so an import can restore
#: the SPDX identifier MCT asks for. Unlisted ids are kept as the Hub wrote them.
_SPDX_CASE = {
    spdx.lower(): spdx
    for spdx in (
        "Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause", "GPL-2.0", "GPL-3.0", "LGPL-2.1", "LGPL-3.0",
        "AGPL-3.0", "MPL-2.0", "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0",
        "CC-BY-ND-4.0", "CC-BY-NC-ND-4.0", "OpenRAIL", "BSL-1.0", "Unlicense", "Artistic-2.0", "EPL-2.0",
    )
}  # fmt: skip
_HUB_DATASET_LINK = re.compile(r"^https?://huggingface\.co/datasets/(?P<id>[\w.-]+(?:/[\w.-]+)?)/?$")
_EVAL_HINT = re.compile(r"\b(eval\w*|test\w*|validation|holdout|held-out)\b", re.IGNORECASE)
_INT = re.compile(r"^[+-]?\d+$")


def license_to_hf(licenses: object) -> str | None:
    """The Hub ``license`` for the first license: the lowercased SPDX id, or ``other`` for a custom
    text or "proprietary" (the Hub's value for licenses outside its list)."""
    if not isinstance(licenses, list) or not licenses or not isinstance(licenses[0], dict):
        return None
    identifier = licenses[0].get("identifier")
    if isinstance(identifier, str) and identifier and identifier.lower() != "proprietary":
        return identifier.lower()
    return "other"


def license_from_hf(metadata: Mapping[str, Any]) -> list[dict[str, str]]:
    """MCT licenses from the Hub's ``license`` (a string, sometimes a list) plus, for ``other``,
    ``license_name``/``license_link``: MCT has no such ids, so they become the custom text."""
    raw = metadata.get("license")
    values = [v for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, str) and v.strip()]
    out: list[dict[str, str]] = []
    for value in values:
        if value.strip().lower() == "other":
            name, link = metadata.get("license_name"), metadata.get("license_link")
            text = " ".join(str(x) for x in (name, f"<{link}>" if link else None) if x)
            out.append({"custom_text": text or "Custom license (see the model repository)."})
        else:
            out.append({"identifier": _SPDX_CASE.get(value.strip().lower(), value.strip())})
    return out


def dataset_hub_id(dataset: Mapping[str, Any]) -> str | None:
    """The Hub id of an MCT dataset: from a huggingface.co/datasets link, else its name."""
    link = dataset.get("link")
    if isinstance(link, str) and (m := _HUB_DATASET_LINK.match(link)):
        return m.group("id")
    name = dataset.get("name")
    return name if isinstance(name, str) and name else None


def datasets_to_hf(data: object) -> list[str]:
    ids = [dataset_hub_id(d) for d in data if isinstance(d, dict)] if isinstance(data, list) else []
    return list(dict.fromkeys(i for i in ids if i))


def datasets_from_hf(value: object) -> list[dict[str, str]]:
    """MCT datasets from the Hub's ``datasets`` ids. No link is invented: many cards list names that
    are not (or no longer) Hub ids, and a stored broken link is worse than none."""
    values = value if isinstance(value, list) else [value]
    return [{"name": item.strip()} for item in values if isinstance(item, str) and item.strip()]


def _hub_value(value: object) -> object:
    """MCT values are strings; the Hub wants numbers where there are numbers (leaderboards sort)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _INT.match(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return value
    return number if math.isfinite(number) else value


def _metric_id(metric_type: str) -> str:
    return re.sub(r"\s+", "_", metric_type.strip().lower()) or "metric"


def _eval_dataset(data: object) -> dict[str, str]:
    """MCT metrics do not say which dataset they were computed on: use the first dataset that looks
    like evaluation data (name/description mention eval, test, validation), else the first one."""
    datasets = [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []
    hinted = [d for d in datasets if _EVAL_HINT.search(f"{d.get('name', '')} {d.get('description', '')}")]
    for d in hinted + datasets:
        if hub_id := dataset_hub_id(d):
            return {"name": str(d.get("name") or hub_id), "type": hub_id}
    return {"name": "Unspecified evaluation data", "type": "unspecified"}


def model_index_from_card(doc: Mapping[str, Any], pipeline_tag: object) -> list[dict[str, Any]] | None:
    """The Hub ``model-index`` for the card's performance metrics (None without metrics).

    One result per task and dataset, as the spec asks; a metric's slice is kept in its display
    ``name`` because the Hub has no slice field.
    """
    analysis = doc.get("quantitative_analysis") or {}
    metrics = [m for m in analysis.get("performance_metrics") or [] if isinstance(m, dict) and m.get("type")]
    if not metrics:
        return None
    entries = []
    for m in metrics:
        entry: dict[str, Any] = {"type": _metric_id(str(m["type"])), "value": _hub_value(m.get("value", ""))}
        entry["name"] = f"{m['type']} ({m['slice']})" if m.get("slice") else str(m["type"])
        entries.append(entry)
    details = doc.get("model_details") or {}
    result = {
        "task": {"type": pipeline_tag if isinstance(pipeline_tag, str) and pipeline_tag else "other"},
        "dataset": _eval_dataset((doc.get("model_parameters") or {}).get("data")),
        "metrics": entries,
    }
    return [{"name": str(details.get("name") or "model"), "results": [result]}]


def _mct_value(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def metrics_from_model_index(
    model_index: object, known_datasets: Collection[str] = ()
) -> tuple[str | None, list[dict[str, Any]], list[dict[str, str]]]:
    """(model name, MCT performance metrics, evaluation datasets) from a Hub ``model-index``.

    Malformed entries are skipped rather than failing the import: the Hub itself only warns. The
    dataset (and config/split) a metric was computed on becomes its MCT ``slice``; datasets not in
    ``known_datasets`` (by pretty name or Hub id) are returned as evaluation datasets.
    """
    name: str | None = None
    metrics: list[dict[str, Any]] = []
    datasets: dict[str, dict[str, str]] = {}
    for model in model_index if isinstance(model_index, list) else []:
        if not isinstance(model, dict):
            continue
        if isinstance(model.get("name"), str) and name is None:
            name = model["name"]
        raw_results = model.get("results")
        for result in raw_results if isinstance(raw_results, list) else []:
            if not isinstance(result, dict):
                continue
            raw_dataset = result.get("dataset")
            dataset: dict[str, Any] = raw_dataset if isinstance(raw_dataset, dict) else {}
            ds_name = str(dataset.get("name") or dataset.get("type") or "")
            qualifiers = [str(dataset[k]) for k in ("config", "split") if dataset.get(k)]
            slice_name = f"{ds_name} ({', '.join(qualifiers)})" if qualifiers and ds_name else ds_name
            if ds_name and not {ds_name, str(dataset.get("type"))} & set(known_datasets):
                datasets.setdefault(
                    ds_name, {"name": ds_name, "description": "Evaluation data (Hub model-index)."}
                )
            raw_metrics = result.get("metrics")
            for metric in raw_metrics if isinstance(raw_metrics, list) else []:
                if isinstance(metric, dict) and metric.get("type") and "value" in metric:
                    out = {"type": str(metric["type"]), "value": _mct_value(metric["value"])}
                    if slice_name:
                        out["slice"] = slice_name
                    metrics.append(out)
    return name, metrics, list(datasets.values())
