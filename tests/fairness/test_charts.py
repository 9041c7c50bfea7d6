"""SVG charts of fairness reports: well-formed, faithful to the report's numbers, escaped, deterministic."""

from __future__ import annotations

import copy
import json
import logging
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from governance.fairness.charts import (
    DEFAULT_CHART_METRICS,
    ThresholdLine,
    disparity_chart_svg,
    metric_chart_svg,
    policy_threshold_lines,
    report_charts,
)
from governance.fairness.engine import (
    AnalysisOptions,
    BootstrapConfig,
    PolicyRule,
    analyze,
    build_count_table,
    evaluate_policy,
)

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script> & co"


def _report(seed: int = 0, gap: float = 0.15, hostile: str = HOSTILE) -> dict:
    """Groups sex x race with a selection-rate gap, a hostile race label, a group without positive labels
    (race=Y: its true positive rate is null) and a group below min_group_size (race=Z)."""
    rng = np.random.default_rng(seed)
    n = 3000
    sex = rng.choice(["F", "M"], n, p=[0.45, 0.55]).astype(object)
    race = rng.choice(["A", "B", hostile], n, p=[0.6, 0.3, 0.1]).astype(object)
    y_true = (rng.random(n) < 0.4).astype(int)
    y_pred = (rng.random(n) < np.where(sex == "F", 0.45 - gap, 0.45)).astype(int)
    race[:3] = "Z"
    race[3:163] = "Y"
    y_true[3:163] = 0
    table = build_count_table(y_true=y_true, y_pred=y_pred, sensitive_features={"sex": sex, "race": race})
    options = AnalysisOptions(min_group_size=30, bootstrap=BootstrapConfig(replicates=200, seed=1))
    return analyze(table, options).to_dict()


@pytest.fixture(scope="module")
def report() -> dict:
    return _report()


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on malformed XML
    assert root.tag == f"{SVG}svg"
    return root


def _by_class(root: ET.Element, css: str, tag: str | None = None) -> list[ET.Element]:
    return [
        element
        for element in root.iter()
        if css in (element.get("class") or "").split() and (tag is None or element.tag == f"{SVG}{tag}")
    ]


def _scale(root: ET.Element):
    """The chart's value -> x map, recovered from its tick marks (so tests do not trust internals)."""
    ticks = []
    for tick in _by_class(root, "tick", "g"):
        line = tick.find(f"{SVG}line")
        text = tick.find(f"{SVG}text")
        ticks.append((float(text.text), float(line.get("x1"))))
    (v0, x0), (v1, x1) = ticks[0], ticks[-1]
    return lambda value: x0 + (value - v0) / (v1 - v0) * (x1 - x0)


def _texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def _titles(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}title")]


def _group(view: dict, label: dict) -> dict:
    return next(group for group in view["groups"] if group["group"] == label)


# ------------------------------------------------------------------------------------------ metric chart


def test_metric_chart_is_self_contained_accessible_svg(report):
    root = _parse(metric_chart_svg(report, "intersection", "selection_rate"))
    width, height = root.get("width"), root.get("height")
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert root.get("version") == "1.1"
    assert root.get("role") == "img"
    assert "Selection rate" in root.get("aria-label")
    assert root[0].tag == f"{SVG}title" and root[1].tag == f"{SVG}desc"
    assert "sans-serif" in root.get("font-family")
    local_tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert local_tags <= {"svg", "title", "desc", "g", "rect", "line", "circle", "path", "text"}
    assert not any(key.endswith("href") or key == "style" for e in root.iter() for key in e.attrib)


def test_one_marker_per_group_with_a_value_and_na_for_the_rest(report):
    view = report["intersection"]
    root = _parse(metric_chart_svg(report, "intersection", "selection_rate"))
    x = _scale(root)
    with_value = [g for g in view["groups"] if g["metrics"]["selection_rate"] is not None]
    markers = _by_class(root, "group-marker", "circle")
    assert len(markers) == len(with_value)
    assert len(markers) + len(_by_class(root, "na-label")) == len(view["groups"])
    rows = _by_class(root, "group-row", "g")
    assert len(rows) == len(view["groups"])
    expected = [x(g["metrics"]["selection_rate"]) for g in with_value]
    assert [float(m.get("cx")) for m in markers] == pytest.approx(expected, abs=0.01)


def test_null_values_render_na_with_reason_never_a_point_at_zero(report):
    view = report["intersection"]
    root = _parse(metric_chart_svg(report, "intersection", "true_positive_rate"))
    x = _scale(root)
    nulls = [g for g in view["groups"] if g["metrics"]["true_positive_rate"] is None]
    assert any("no positive labels" in g["null_reasons"]["true_positive_rate"] for g in nulls)
    assert any(g["n"] < report["min_group_size"] for g in nulls)
    na_labels = _by_class(root, "na-label")
    assert len(na_labels) == len(nulls)
    assert all("".join(label.itertext()).startswith("n/a") for label in na_labels)
    assert all(abs(float(m.get("cx")) - x(0.0)) > 1 for m in _by_class(root, "group-marker"))
    titles = _titles(root)
    for group in nulls:
        reason = group["null_reasons"]["true_positive_rate"]
        assert any(reason in title for title in titles), reason


def test_groups_below_min_size_are_na_even_with_a_value(report):
    doctored = copy.deepcopy(report)
    small = next(g for g in doctored["intersection"]["groups"] if g["n"] < doctored["min_group_size"])
    small["metrics"]["selection_rate"] = 0.5
    root = _parse(metric_chart_svg(doctored, "intersection", "selection_rate"))
    with_value = [
        g
        for g in doctored["intersection"]["groups"]
        if g["metrics"]["selection_rate"] is not None and g["n"] >= doctored["min_group_size"]
    ]
    assert len(_by_class(root, "group-marker")) == len(with_value)
    assert any("below min_group_size" in "".join(e.itertext()) for e in _by_class(root, "na-label"))


def test_overall_and_policy_lines_sit_at_their_values(report):
    view = report["intersection"]
    lines = policy_threshold_lines(report, "intersection", "selection_rate")
    root = _parse(metric_chart_svg(report, "intersection", "selection_rate", thresholds=lines))
    x = _scale(root)
    (overall,) = _by_class(root, "overall-line", "line")
    assert float(overall.get("x1")) == pytest.approx(
        x(view["overall"]["metrics"]["selection_rate"]), abs=0.01
    )
    assert overall.get("x1") == overall.get("x2")
    reference = view["disparities"]["selection_rate"]["reference"]["group"]
    ref_rate = _group(view, reference)["metrics"]["selection_rate"]
    drawn = sorted(float(line.get("x1")) for line in _by_class(root, "threshold-line", "line"))
    assert drawn == pytest.approx([x(0.8 * ref_rate), x(1.25 * ref_rate)], abs=0.01)
    legend = " ".join(_texts(root))
    assert "0.8 \N{MULTIPLICATION SIGN} the reference group's value" in legend
    assert "four_fifths_rule" in legend
    assert "overall" in legend


def test_policy_threshold_lines_follow_the_rule_kind(report):
    view = report["intersection"]
    ref = _group(view, view["disparities"]["selection_rate"]["reference"]["group"])["metrics"][
        "selection_rate"
    ]
    overall = view["overall"]["metrics"]["selection_rate"]
    assert [line.value for line in policy_threshold_lines(report, "intersection", "selection_rate")] == (
        pytest.approx([0.8 * ref, 1.25 * ref])
    )
    difference = PolicyRule("gap", "disparities.selection_rate.difference", upper=0.1)
    values = [
        line.value for line in policy_threshold_lines(report, "intersection", "selection_rate", [difference])
    ]
    assert values == pytest.approx([ref - 0.1, ref + 0.1])
    to_overall = PolicyRule("vs_all", "disparities.selection_rate.to_overall.ratio", lower=0.9)
    values = [
        line.value for line in policy_threshold_lines(report, "intersection", "selection_rate", [to_overall])
    ]
    assert values == pytest.approx([0.9 * overall])
    other_view = PolicyRule("sex_only", "disparities.selection_rate.ratio", lower=0.8, views=("sex",))
    assert policy_threshold_lines(report, "intersection", "selection_rate", [other_view]) == []
    assert policy_threshold_lines(report, "intersection", "accuracy") == []


def test_lines_beyond_the_axis_are_listed_not_drawn(report):
    lines = [ThresholdLine(1.4, "far", "an impossible rate"), ThresholdLine(0.5, "half", "one half")]
    root = _parse(metric_chart_svg(report, "intersection", "selection_rate", thresholds=lines))
    assert len(_by_class(root, "threshold-line", "line")) == 1
    assert any("beyond the axis" in text for text in _texts(root))


def test_whiskers_drawn_exactly_when_the_report_has_per_group_intervals(report):
    root = _parse(metric_chart_svg(report, "intersection", "selection_rate"))
    assert _by_class(root, "ci-whisker") == []
    assert any("No per-group confidence intervals" in text for text in _texts(root))

    doctored = copy.deepcopy(report)
    expected = []
    for group in doctored["intersection"]["groups"]:
        value = group["metrics"]["selection_rate"]
        if value is not None:
            group["ci"] = {"selection_rate": {"lower": value - 0.05, "upper": value + 0.04}}
            expected.append((value - 0.05, value + 0.04))
    root = _parse(metric_chart_svg(doctored, "intersection", "selection_rate"))
    x = _scale(root)
    whiskers = _by_class(root, "ci-whisker", "path")
    assert len(whiskers) == len(expected)
    for whisker, (low, high) in zip(whiskers, expected, strict=True):
        start, end = whisker.get("d").split("M")[1].split("H")
        assert float(start.split()[0]) == pytest.approx(x(low), abs=0.01)
        assert float(end) == pytest.approx(x(high), abs=0.01)


def test_hostile_labels_are_text_not_markup(report):
    svg = metric_chart_svg(report, "intersection", "selection_rate")
    root = _parse(svg)
    assert "<script" not in svg
    assert not any(element.tag.endswith("script") for element in root.iter())
    assert any(f"race={HOSTILE}" in title for title in _titles(root))
    assert "&lt;script&gt;" in svg and "&amp; co" in svg
    disparity = disparity_chart_svg(report, "intersection")
    assert "<script" not in disparity
    assert any(HOSTILE in text for text in _texts(_parse(disparity)))


def test_control_characters_and_quotes_in_labels_stay_well_formed():
    report = _report(hostile='bad\x01"quote"\ud800 ]]> label')
    for svg in report_charts(report, "race").values():
        root = _parse(svg)
        assert any('race=bad\ufffd"quote"\ufffd ]]> label' in title for title in _titles(root))


def test_long_labels_are_truncated_with_the_full_label_in_a_title(report):
    root = _parse(metric_chart_svg(report, "intersection", "selection_rate", width=560))
    shown = [t for t in _texts(root) if t.startswith("sex=") and t.endswith("…")]
    assert shown, "the hostile label is long enough to be cut"
    assert all(HOSTILE not in text for text in shown)
    assert any(HOSTILE in title for title in _titles(root))


def test_single_attribute_view_and_reference_group(report):
    root = _parse(metric_chart_svg(report, "sex", "selection_rate"))
    assert len(_by_class(root, "group-marker")) == 2
    reference = report["attributes"]["sex"]["disparities"]["selection_rate"]["reference"]["group"]
    bold = [
        t for t in root.iter(f"{SVG}text") if t.get("font-weight") == "bold" and t.text.startswith("sex=")
    ]
    assert [t.text for t in bold] == [f"sex={reference['sex']}"]


def test_unknown_view_is_an_error(report):
    with pytest.raises(ValueError, match="not in the report"):
        metric_chart_svg(report, "age", "selection_rate")


# --------------------------------------------------------------------------------------- disparity chart


def test_disparity_chart_band_whiskers_and_verdicts_match_the_policy(report):
    view = report["intersection"]
    root = _parse(disparity_chart_svg(report, "intersection"))
    x = _scale(root)
    assert len(_by_class(root, "disparity-row", "g")) == len(DEFAULT_CHART_METRICS)
    markers = _by_class(root, "disparity-marker")
    assert len(markers) == len(DEFAULT_CHART_METRICS)
    whiskers = _by_class(root, "ci-whisker", "path")
    assert len(whiskers) == sum(1 for m in DEFAULT_CHART_METRICS if "ratio" in view["disparities"][m]["ci"])
    interval = view["disparities"]["selection_rate"]["ci"]["ratio"]
    low, high = interval["lower"], interval["upper"]
    start, end = whiskers[0].get("d").split("M")[1].split("H")
    assert (float(start.split()[0]), float(end)) == pytest.approx((x(low), x(high)), abs=0.01)
    (band,) = _by_class(root, "pass-band", "rect")
    assert float(band.get("x")) == pytest.approx(x(0.8), abs=0.01)
    assert float(band.get("x")) + float(band.get("width")) == pytest.approx(x(1.25), abs=0.01)
    assert len(_by_class(root, "guide-band", "rect")) == len(DEFAULT_CHART_METRICS) - 1

    outcome = next(o for o in evaluate_policy(report).outcomes if o.view == "intersection")
    assert not outcome.passed
    verdicts = ["".join(v.itertext()) for v in _by_class(root, "verdict")]
    assert verdicts[0] == "FAIL"
    selection = markers[0]
    assert selection.tag == f"{SVG}path" and "fail" in selection.get("class").split()
    ratio = view["disparities"]["selection_rate"]["ratio"]
    assert f"{ratio:.3f}" in " ".join(_texts(root))


def test_disparity_chart_passes_without_a_gap():
    fair = _report(seed=3, gap=0.0)
    outcome = next(o for o in evaluate_policy(fair).outcomes if o.view == "sex")
    assert outcome.passed
    root = _parse(disparity_chart_svg(fair, "sex", metrics=["selection_rate"]))
    assert ["".join(v.itertext()) for v in _by_class(root, "verdict")] == ["PASS"]
    (marker,) = _by_class(root, "disparity-marker")
    assert marker.tag == f"{SVG}circle"


def test_interval_rules_fail_when_the_interval_leaves_the_band():
    fair = _report(seed=3, gap=0.0)
    ci = fair["attributes"]["sex"]["disparities"]["selection_rate"]["ci"]["ratio"]
    strict = PolicyRule(
        "strict", "disparities.selection_rate.ratio", lower=ci["lower"] + 0.01, use_interval=True
    )
    assert fair["attributes"]["sex"]["disparities"]["selection_rate"]["ratio"] > strict.lower
    root = _parse(disparity_chart_svg(fair, "sex", metrics=["selection_rate"], policy=[strict]))
    assert ["".join(v.itertext()) for v in _by_class(root, "verdict")] == ["FAIL"]
    assert any("strict: FAIL" in title for title in _titles(root))


def test_null_disparity_renders_na_with_reason(report):
    doctored = copy.deepcopy(report)
    entry = doctored["intersection"]["disparities"]["accuracy"]
    entry["ratio"] = None
    entry.setdefault("null_reasons", {})["ratio"] = "ratio undefined: the highest value is 0"
    root = _parse(disparity_chart_svg(doctored, "intersection"))
    assert len(_by_class(root, "disparity-marker")) == len(DEFAULT_CHART_METRICS) - 1
    (na,) = _by_class(root, "na-label")
    assert "the highest value is 0" in "".join(na.itertext())


def test_difference_measure_uses_difference_rules(report):
    rule = PolicyRule("gap", "disparities.selection_rate.difference", upper=0.1)
    root = _parse(disparity_chart_svg(report, "intersection", measure="difference", policy=[rule]))
    x = _scale(root)
    (band,) = _by_class(root, "pass-band", "rect")
    assert float(band.get("x")) == pytest.approx(x(0.0), abs=0.01)  # no lower bound: the band starts at 0
    assert float(band.get("x")) + float(band.get("width")) == pytest.approx(x(0.1), abs=0.01)
    assert _by_class(root, "guide-band") == []  # the four-fifths guide is a ratio convention only


# ------------------------------------------------------------------------------------------- page and output


def test_report_charts_is_deterministic_and_json_round_trip_safe(report):
    charts = report_charts(report, "intersection")
    assert list(charts) == [*DEFAULT_CHART_METRICS, "disparity"]
    for svg in charts.values():
        _parse(svg)
    assert report_charts(json.loads(json.dumps(report)), "intersection") == charts
    assert report_charts(report) == charts  # the intersection is the default view
    assert len(_by_class(_parse(charts["selection_rate"]), "threshold-line")) == 2
    assert _by_class(_parse(charts["accuracy"]), "threshold-line") == []


def test_weasyprint_renders_the_charts_without_warnings(report, caplog):
    weasyprint = pytest.importorskip("weasyprint")
    charts = report_charts(report, "intersection")
    html = "<html><body>" + "".join(f"<div>{svg}</div>" for svg in charts.values()) + "</body></html>"
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf.startswith(b"%PDF")
    # Font subsetting advice is about the host's HarfBuzz, not about the charts; anything else is a finding.
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and not record.getMessage().startswith("Using fontTools instead")
    ]
    assert warnings == []


def test_simultaneous_intervals_use_the_bonferroni_bounds(report):
    interval = report["intersection"]["disparities"]["selection_rate"]["ci"]["ratio"]["bonferroni"]
    root = _parse(disparity_chart_svg(report, "intersection", metrics=["selection_rate"], simultaneous=True))
    x = _scale(root)
    (whisker,) = _by_class(root, "ci-whisker", "path")
    start, end = whisker.get("d").split("M")[1].split("H")
    assert (float(start.split()[0]), float(end)) == pytest.approx(
        (x(interval["lower"]), x(interval["upper"])), abs=0.01
    )
    assert any("Bonferroni" in text for text in _texts(root))


def test_reports_without_bootstrap_missing_groups_and_weights():
    rng = np.random.default_rng(5)
    n = 400
    region = np.array(["north", None, "south", "east"], dtype=object)[rng.integers(0, 4, n)]
    table = build_count_table(
        y_true=rng.integers(0, 2, n),
        y_pred=rng.integers(0, 2, n),
        sensitive_features={"region": region},
        sample_weight=rng.gamma(2.0, 1.0, n),
        on_missing="group",
    )
    report = analyze(table)  # a FairnessReport object, no bootstrap
    disparity = _parse(disparity_chart_svg(report, "region"))
    assert _by_class(disparity, "ci-whisker") == []
    assert any("no bootstrap intervals" in text for text in _texts(disparity))
    chart = _parse(metric_chart_svg(report, "region", "selection_rate"))
    assert any(title.startswith("region=(missing)") for title in _titles(chart))
    assert len(_by_class(chart, "group-marker")) == 4
    assert any("sample weights" in text for text in _texts(chart))


def test_chart_code_is_split_by_concern_into_small_modules():
    """Text measurement, SVG primitives and report reading live apart, no module over ~400 lines."""
    from pathlib import Path

    import governance.fairness.charts as charts

    package = Path(charts.__file__).parent
    sizes = {path.name: len(path.read_text().splitlines()) for path in package.glob("*.py")}
    assert {"text.py", "svg.py", "reading.py", "report_charts.py"} <= set(sizes), sizes
    assert max(sizes.values()) <= 400, sizes
