"""``manage.py seed_demo``: realistic demo data for the embedded mode. Safe to run again."""

from __future__ import annotations

import hashlib
import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from governance.accounts.models import Membership, Team
from governance.accounts.principal import cli_principal
from governance.accounts.roles import Role
from governance.accounts.services import team_create
from governance.inventory import services
from governance.inventory.models import ModelVersion, RegisteredModel

DEFAULT_WEB_BIND = "127.0.0.1:8000"
"""The Procfile's default for ``WEB_BIND``."""

DEMO_USERS: list[tuple[str, str, Role | None, str | None]] = [
    # username, full name, role, team
    ("admin", "Demo Administrator", Role.ADMIN, None),
    ("alice", "Alice Moreau (credit data scientist)", Role.SUBMITTER, "credit-risk"),
    ("carlos", "Carlos Ruiz (clinical ML engineer)", Role.SUBMITTER, "clinical-ml"),
    ("rita", "Rita Okafor (model risk reviewer)", Role.MODEL_RISK_REVIEWER, None),
    ("pavel", "Pavel Novak (privacy officer / DPO)", Role.PRIVACY_OFFICER, None),
    ("audrey", "Audrey Lin (internal audit)", Role.AUDITOR, None),
]


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def demo_password() -> str:
    """One random password for all demo users, kept in var/ (never in code or the repository)."""
    path = settings.VAR_DIR / "demo_password"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(12))
    return path.read_text().strip()


def served_url() -> str | None:
    """The base URL ``make run`` serves: the Procfile binds gunicorn to ``WEB_BIND`` (default 127.0.0.1:8000).

    Parsed as gunicorn parses ``--bind``; a wildcard address is browsed on loopback. ``None`` for a unix
    socket or file descriptor, which only a proxy in front of it can turn into a URL.
    """
    from gunicorn.util import parse_address

    address = parse_address(os.environ.get("WEB_BIND") or DEFAULT_WEB_BIND)
    if not isinstance(address, tuple):
        return None
    host, port = str(address[0] or ""), address[1]
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class Command(BaseCommand):
    help = "Create demo teams, users, models, versions, cards and datasets (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-login", action="store_true", help="Do not print the demo login.")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_principal("seed_demo")
        teams = {
            slug: Team.objects.filter(slug=slug).first() or team_create(actor=actor, slug=slug, name=name)
            for slug, name in [("credit-risk", "Credit Risk Analytics"), ("clinical-ml", "Clinical ML")]
        }
        password = demo_password()
        User = get_user_model()
        for username, full_name, role, team_slug in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                first, _, last = full_name.partition(" ")
                user = User.objects.create_user(
                    username=username,
                    password=password,
                    first_name=first,
                    last_name=last.split(" (")[0],
                    email=f"{username}@example.org",
                    is_staff=True,
                    is_superuser=(role == Role.ADMIN),
                )
            if role is not None:
                user.groups.add(Group.objects.get(name=role.value))
            if team_slug:
                Membership.objects.get_or_create(user=user, team=teams[team_slug])

        self._credit(actor, teams["credit-risk"])
        self._readmission(actor, teams["clinical-ml"])
        self._fairness(actor)
        if not options["quiet_login"]:
            base = served_url()
            where = (
                f"Admin: {base}/admin/  API docs: {base}/api/docs/"
                if base
                else f"The web server listens on {os.environ['WEB_BIND']}; browse through its proxy."
            )
            self.stdout.write(
                f"\nDemo data ready. {where}\n"
                f"Log in as admin (or alice, carlos, rita, pavel, audrey) with password: {password}\n"
                f"(the password is kept in {settings.VAR_DIR / 'demo_password'})\n"
            )

    def _credit(self, actor: Any, team: Team) -> None:
        if RegisteredModel.objects.filter(name="credit-scoring").exists():
            return
        dataset = services.dataset_create(
            actor=actor,
            team=team,
            name="loan-applications",
            description="Consumer loan applications 2019-2024.",
        )
        train = services.dataset_version_create(
            actor=actor,
            dataset=dataset,
            version="2024-q4",
            uri="s3://credit-data/loan-applications/2024-q4/",
            digest=_digest("loan-applications-2024-q4"),
            row_count=1_204_331,
            schema={
                "income": "float",
                "age": "int",
                "employment_years": "int",
                "sex": "category",
                "ethnicity": "category",
                "default_12m": "bool",
            },
            contains_personal_data=True,
            special_categories=["racial_or_ethnic_origin"],
            art9_condition="substantial_public_interest",
            lawful_basis="contract",
            purpose="Creditworthiness assessment and bias monitoring of the scoring model.",
            retention_days=2555,
            data_subject_regions=["EU", "DE", "FR"],
            dpia_reference="DPIA-2024-017",
        )
        model = services.registered_model_create(
            actor=actor,
            team=team,
            name="credit-scoring",
            risk_tier="high",
            intended_use="Estimate 12-month default probability for consumer loan applications; a human "
            "underwriter makes the final decision.",
            domain="consumer credit",
            tags=["eu-ai-act-annex-iii-5b", "gradient-boosting"],
        )
        for version, auc in (("1.0.0", 0.781), ("1.1.0", 0.794)):
            mv = services.model_version_create(
                actor=actor,
                model=model,
                version=version,
                artifact_uri=f"s3://models/credit-scoring/{version}/model.onnx",
                artifact_digest=_digest(f"credit-scoring-{version}"),
                framework="xgboost 2.1",
                training_run_ref=f"mlflow://runs/credit-{version}",
                metrics={"auc": auc, "ks": 0.41},
                datasets=[(train, "training")],
            )
            self._card(
                actor,
                mv,
                "Gradient-boosted trees over 42 application features.",
                "Applicants with thin credit files are scored with less confidence.",
                [
                    {"name": "Sex"},
                    {"name": "Ethnicity (monitoring only, not a model input)"},
                    {"name": "Age band"},
                ],
                auc,
            )

    def _fairness(self, actor: Any) -> None:
        """A bias report for credit-scoring 1.1.0 on synthetic predictions (deterministic, 20,000 rows)."""
        from governance.accounts.principal import worker_principal
        from governance.fairness.models import FairnessCheck
        from governance.fairness.services import (
            fairness_check_create,
            fairness_check_plan,
            fairness_chunk_count,
        )

        mv = ModelVersion.objects.get(model__name="credit-scoring", version="1.1.0")
        if FairnessCheck.objects.filter(model_version=mv).exists():
            return
        path = settings.VAR_DIR / "demo" / "credit-scoring-1.1.0-predictions.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_demo_predictions_csv())
        check = fairness_check_create(
            actor=actor,
            model_version=mv,
            input_path=path,
            input_name=path.name,
            input_format="csv",
            config={
                "model_version": mv.pk,
                "y_true": "default_12m",
                "y_pred": "declined",
                "score": "risk_score",
                "sensitive_features": ["sex", "age_band"],
                "min_group_size": 30,
            },
        )
        worker = worker_principal("seed_demo")
        for index in fairness_check_plan(check_id=check.pk):  # inline: the demo works before workers start
            fairness_chunk_count(check_id=check.pk, index=index, actor=worker)

    def _readmission(self, actor: Any, team: Team) -> None:
        if RegisteredModel.objects.filter(name="readmission-risk").exists():
            return
        dataset = services.dataset_create(
            actor=actor, team=team, name="ehr-encounters", description="Inpatient encounters from the EHR."
        )
        ehr = services.dataset_version_create(
            actor=actor,
            dataset=dataset,
            version="2025-06",
            uri="s3://clinical-data/ehr-encounters/2025-06/",
            digest=_digest("ehr-encounters-2025-06"),
            row_count=386_112,
            schema={
                "age": "int",
                "sex": "category",
                "race": "category",
                "diagnoses": "list[icd10]",
                "readmitted_30d": "bool",
            },
            contains_personal_data=True,
            special_categories=["health", "racial_or_ethnic_origin"],
            art9_condition="health_or_social_care",
            contains_phi=True,
            lawful_basis="public_task",
            purpose="Predict 30-day readmission to target discharge follow-up.",
            retention_days=3650,
            data_subject_regions=["US"],
            dpia_reference="DPIA-CLIN-2025-004",
        )
        model = services.registered_model_create(
            actor=actor,
            team=team,
            name="readmission-risk",
            risk_tier="high",
            intended_use="Flag inpatients at high risk of 30-day readmission for a follow-up call.",
            domain="hospital care",
            tags=["hipaa", "clinical-decision-support"],
        )
        mv = services.model_version_create(
            actor=actor,
            model=model,
            version="2025.06.1",
            artifact_uri="s3://models/readmission-risk/2025.06.1/",
            artifact_digest=_digest("readmission-2025.06.1"),
            framework="scikit-learn 1.5",
            training_run_ref="mlflow://runs/readmit-2025-06",
            metrics={"auc": 0.72, "brier": 0.11},
            datasets=[(ehr, "training")],
        )
        self._card(
            actor,
            mv,
            "Logistic regression over diagnoses, prior utilisation and vitals.",
            "Not validated for paediatric patients.",
            [{"name": "Race"}, {"name": "Sex"}, {"name": "Payer type"}],
            0.72,
        )

    def _card(
        self,
        actor: Any,
        mv: ModelVersion,
        architecture: str,
        limitation: str,
        factors: list[dict[str, str]],
        auc: float,
    ) -> None:
        services.model_card_create(
            actor=actor,
            model_version=mv,
            model_details={
                "name": mv.model.name,
                "overview": mv.model.intended_use,
                "owners": [{"name": mv.model.team.name, "contact": f"{mv.model.team.slug}@example.org"}],
                "version": {"name": mv.version, "date": "2025-06-30"},
                "licenses": [{"identifier": "proprietary"}],
            },
            model_parameters={
                "model_architecture": architecture,
                "data": [
                    {"name": link.dataset_version.dataset.name, "link": link.dataset_version.uri}
                    for link in mv.dataset_links.select_related("dataset_version__dataset")
                ],
            },
            quantitative_analysis={"performance_metrics": [{"type": "auc", "value": str(auc)}]},
            considerations={
                "users": [{"description": "Trained staff who review every flagged case."}],
                "use_cases": [{"description": mv.model.intended_use}],
                "limitations": [{"description": limitation}],
                "ethical_considerations": [
                    {
                        "name": "Disparate error rates across protected groups",
                        "mitigation_strategy": "Fairness check on every version; four-fifths rule gate.",
                    }
                ],
            },
            factors=factors,
            caveats="Re-validate at least yearly and after any change in the population served.",
        )


def _demo_predictions_csv(rows: int = 20_000) -> str:
    """Synthetic credit decisions where younger applicants are declined more often than their risk says."""
    import numpy as np

    rng = np.random.default_rng(2024)
    sex = rng.choice(["female", "male"], rows)
    age = rng.choice(["18-25", "26-40", "41-65", "65+"], rows, p=[0.15, 0.4, 0.35, 0.1])
    default = (rng.random(rows) < np.where(age == "18-25", 0.18, 0.1)).astype(int)
    score = np.clip(0.25 * default + rng.normal(0.3, 0.15, rows) + np.where(age == "18-25", 0.12, 0.0), 0, 1)
    declined = (score >= 0.5).astype(int)
    lines = ["sex,age_band,default_12m,declined,risk_score"]
    lines += [
        f"{s},{a},{d},{p},{r:.4f}" for s, a, d, p, r in zip(sex, age, default, declined, score, strict=True)
    ]
    return "\n".join(lines) + "\n"
