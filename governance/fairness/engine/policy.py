"""Pure policy evaluation: does a fairness report stay inside the bands the governance policy sets?

A rule names a value inside a report view by a dotted path (e.g. ``disparities.selection_rate.ratio`` or
``fairness_metrics.equalized_odds_difference``) and a pass band ``[lower, upper]`` (either side optional,
bounds inclusive). It is checked in every view it applies to (the intersection and each attribute by default).
A ``null`` value fails closed, carrying the report's reason: "we could not measure it" must never read as
"it is fine". With ``use_interval=True`` the whole bootstrap confidence interval must lie in the band.

The default policy is the four-fifths rule: the selection-rate ratio (min / max over groups, i.e. fairlearn's
demographic parity ratio) must lie in [0.8, 1.25].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from governance.fairness.engine.errors import FairnessInputError
from governance.fairness.engine.report import FairnessReport
from governance.fairness.engine.views import INTERSECTION


@dataclass(frozen=True)
class PolicyRule:
    """One threshold: ``lower <= value(metric) <= upper`` in each of ``views`` (``None`` = all views)."""

    name: str
    metric: str
    lower: float | None = None
    upper: float | None = None
    views: tuple[str, ...] | None = None
    use_interval: bool = False

    def __post_init__(self) -> None:
        if self.lower is None and self.upper is None:
            raise FairnessInputError(f"policy.{self.name}", "needs a lower or an upper bound")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise FairnessInputError(
                f"policy.{self.name}", f"lower bound {self.lower} exceeds upper bound {self.upper}"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyRule:
        """Build a rule from stored policy JSON (unknown keys are rejected to catch typos)."""
        unknown = set(data) - {"name", "metric", "lower", "upper", "views", "use_interval"}
        if unknown:
            raise FairnessInputError("policy", f"unknown rule field(s) {sorted(unknown)}")
        views = data.get("views")
        return cls(
            name=str(data["name"]),
            metric=str(data["metric"]),
            lower=None if data.get("lower") is None else float(data["lower"]),
            upper=None if data.get("upper") is None else float(data["upper"]),
            views=None if views is None else tuple(str(view) for view in views),
            use_interval=bool(data.get("use_interval", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form (inverse of :meth:`from_dict`)."""
        data = asdict(self)
        data["views"] = None if self.views is None else list(self.views)
        return data


FOUR_FIFTHS_RULE = PolicyRule("four_fifths_rule", "disparities.selection_rate.ratio", lower=0.8, upper=1.25)
DEFAULT_POLICY: tuple[PolicyRule, ...] = (FOUR_FIFTHS_RULE,)


@dataclass(frozen=True)
class RuleOutcome:
    """The verdict of one rule in one view, with the number it was judged on and why."""

    rule: str
    view: str
    metric: str
    value: float | None
    passed: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


@dataclass(frozen=True)
class PolicyEvaluation:
    """All rule outcomes; the policy passes only when every outcome passes."""

    outcomes: tuple[RuleOutcome, ...]

    @property
    def passed(self) -> bool:
        """True when every rule passed in every view it applies to."""
        return all(outcome.passed for outcome in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        """JSON form, e.g. for the deploy gate's audit record."""
        return {"passed": self.passed, "outcomes": [outcome.to_dict() for outcome in self.outcomes]}


def evaluate_policy(
    report: FairnessReport | Mapping[str, Any], rules: Sequence[PolicyRule] = DEFAULT_POLICY
) -> PolicyEvaluation:
    """Judge ``report`` (a :class:`FairnessReport` or its JSON) against ``rules``."""
    data = report.to_dict() if isinstance(report, FairnessReport) else report
    views: dict[str, Mapping[str, Any]] = {INTERSECTION: data["intersection"], **data.get("attributes", {})}
    outcomes = []
    for rule in rules:
        for view_name in rule.views if rule.views is not None else tuple(views):
            view = views.get(view_name)
            if view is None:
                outcomes.append(
                    RuleOutcome(rule.name, view_name, rule.metric, None, False, "view not in the report")
                )
                continue
            outcomes.append(_judge(rule, view_name, view))
    return PolicyEvaluation(tuple(outcomes))


def _judge(rule: PolicyRule, view_name: str, view: Mapping[str, Any]) -> RuleOutcome:
    *parents, leaf = rule.metric.split(".")
    node: Any = view
    for part in parents:
        node = node.get(part) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping) or leaf not in node:
        return RuleOutcome(
            rule.name, view_name, rule.metric, None, False, f"metric {rule.metric!r} is not in the report"
        )
    value = node[leaf]
    if value is None:
        why = node.get("null_reasons", {}).get(leaf, "no reason given")
        return RuleOutcome(
            rule.name, view_name, rule.metric, None, False, f"value is null (fails closed): {why}"
        )
    if not isinstance(value, int | float) or isinstance(value, bool):
        return RuleOutcome(rule.name, view_name, rule.metric, None, False, f"{rule.metric!r} is not a number")
    low, high = float(value), float(value)
    described = f"{float(value):.6g}"
    if rule.use_interval:
        interval = node.get("ci", {}).get(leaf)
        if not interval or interval.get("lower") is None or interval.get("upper") is None:
            return RuleOutcome(
                rule.name,
                view_name,
                rule.metric,
                float(value),
                False,
                "rule needs a confidence interval; none in the report",
            )
        low, high = float(interval["lower"]), float(interval["upper"])
        described = f"interval [{low:.6g}, {high:.6g}]"
    if rule.lower is not None and low < rule.lower:
        return RuleOutcome(
            rule.name,
            view_name,
            rule.metric,
            float(value),
            False,
            f"{described} is below the lower bound {rule.lower}",
        )
    if rule.upper is not None and high > rule.upper:
        return RuleOutcome(
            rule.name,
            view_name,
            rule.metric,
            float(value),
            False,
            f"{described} is above the upper bound {rule.upper}",
        )
    band = f"[{'-inf' if rule.lower is None else rule.lower}, {'inf' if rule.upper is None else rule.upper}]"
    return RuleOutcome(rule.name, view_name, rule.metric, float(value), True, f"{described} is within {band}")
