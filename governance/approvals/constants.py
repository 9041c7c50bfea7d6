"""Defaults and limits of approvals."""

from __future__ import annotations

from typing import Any

# One current policy per EU AI Act risk tier, seeded by migration 0002 and after every migrate
# (a flushed test database keeps working); admins revise them into new versions.
DEFAULT_POLICIES: dict[str, dict[str, Any]] = {
    "minimal": {
        "required_roles": {"model_risk_reviewer": 1},
        "required_roles_when_phi": {"clinical_safety_reviewer": 1},
        "require_passing_bias_report": False,
        "bias_report_max_age_days": None,
        "validity_days": 365,
        "approvable": True,
    },
    "limited": {
        "required_roles": {"model_risk_reviewer": 1},
        "required_roles_when_phi": {"clinical_safety_reviewer": 1},
        "require_passing_bias_report": True,
        "bias_report_max_age_days": 180,
        "validity_days": 365,
        "approvable": True,
    },
    "high": {
        "required_roles": {"model_risk_reviewer": 1, "privacy_officer": 1},
        "required_roles_when_phi": {"clinical_safety_reviewer": 1},
        "require_passing_bias_report": True,
        "bias_report_max_age_days": 90,
        "validity_days": 180,
        "approvable": True,
    },
    # EU AI Act Art. 5: no reviewer quorum can approve a prohibited practice.
    "prohibited": {
        "required_roles": {"model_risk_reviewer": 1},
        "required_roles_when_phi": {},
        "require_passing_bias_report": False,
        "bias_report_max_age_days": None,
        "validity_days": 0,
        "approvable": False,
    },
}
