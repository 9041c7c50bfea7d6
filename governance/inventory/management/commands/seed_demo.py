"""``manage.py seed_demo``: realistic demo data for the embedded mode. Safe to run again.

Teams, people, models, versions, cards, datasets, artifacts hashed and signed, bias reports: all made
through the services, inline, so the demo works before any worker starts. The approval history is the
approvals app's ``seed_demo_approvals``, called by name (inventory does not import approvals).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from governance.accounts.models import Membership, Team
from governance.accounts.principal import cli_principal
from governance.accounts.roles import Role
from governance.accounts.services import team_create
from governance.inventory import lifecycle, services
from governance.inventory.artifacts import artifact_hash_request, artifact_hash_run
from governance.inventory.models import ArtifactHashJob, DatasetVersion, ModelVersion, RegisteredModel

DEFAULT_WEB_BIND = "127.0.0.1:8000"
"""The Procfile's default for ``WEB_BIND``."""

DEMO_USERS: list[tuple[str, str, Role | None, str | None]] = [
    # username, full name, role, team
    ("admin", "Demo Administrator", Role.ADMIN, None),
    ("alice", "Alice Moreau (credit data scientist)", Role.SUBMITTER, "credit-risk"),
    ("carlos", "Carlos Ruiz (clinical ML engineer)", Role.SUBMITTER, "clinical-ml"),
    ("rita", "Rita Okafor (model risk reviewer)", Role.MODEL_RISK_REVIEWER, None),
    ("pavel", "Pavel Novak (privacy officer / DPO)", Role.PRIVACY_OFFICER, None),
    ("clara", "Clara Bianchi (clinical safety reviewer)", Role.CLINICAL_SAFETY_REVIEWER, None),
    ("audrey", "Audrey Lin (internal audit)", Role.AUDITOR, None),
]


# The features each demo model reads; its small deterministic "model" file holds one weight per feature.
FEATURES: dict[str, list[str]] = {
    "credit-scoring": ["income", "age", "employment_years", "debt_to_income", "open_credit_lines"],
    "readmission-risk": [
        "age",
        "prior_admissions_12m",
        "length_of_stay",
        "charlson_index",
        "discharged_home",
    ],
    "bed-occupancy-forecast": ["occupancy_lag_1", "occupancy_lag_7", "weekday", "month", "electives_booked"],
}
POSTCODE_FEATURES = ["postcode_district_default_rate", "postcode_district_income"]  # credit-scoring 1.1.1
DEMO_VERSIONS: list[tuple[str, str]] = [
    ("credit-scoring", "1.0.0"),
    ("credit-scoring", "1.1.0"),
    ("credit-scoring", "1.1.1"),
    ("readmission-risk", "2025.06.1"),
    ("bed-occupancy-forecast", "2025.07.0"),
]
CREDIT_FAIRNESS = {
    "y_true": "default_12m",
    "y_pred": "declined",
    "score": "risk_score",
    "sensitive_features": ["sex", "age_band"],
    "min_group_size": 30,
}
READMISSION_FAIRNESS = {
    "y_true": "readmitted_30d",
    "y_pred": "flagged",
    "score": "risk_score",
    "sensitive_features": ["sex", "race"],
    "min_group_size": 30,
}


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _features(model: str, version: str) -> list[str]:
    extra = POSTCODE_FEATURES if (model, version) == ("credit-scoring", "1.1.1") else []
    return FEATURES[model] + extra


def demo_artifact(model: str, version: str) -> str:
    """Write a version's small deterministic "model" (JSON weights) where workers may read; its file:// URI.

    Under the first of ``WORKER_READABLE_ROOTS`` (by default ``var/shared``), so the real hashing
    service can hash and sign it; the same bytes on every run, so the digest never changes.
    """
    path = (
        Path(settings.WORKER_READABLE_ROOTS[0]).resolve() / "demo-artifacts" / model / version / "model.json"
    )
    seed = hashlib.sha256(f"{model}@{version}".encode()).digest()
    features = _features(model, version)
    content = json.dumps(
        {
            "format": "demo-model-weights/1",
            "model": model,
            "version": version,
            "intercept": round((seed[0] - 128) / 64, 4),
            "weights": {name: round((seed[i + 1] - 128) / 128, 4) for i, name in enumerate(features)},
        },
        indent=2,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != content + "\n":
        path.write_text(content + "\n")
    return path.as_uri()


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
    help = (
        "Create demo teams, users, models, versions, cards, datasets, signed artifacts, bias reports "
        "and approvals in every state (idempotent)."
    )

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
        hashed = ""  # one hash for the one shared password: PBKDF2 once, not once per user
        User = get_user_model()
        for username, full_name, role, team_slug in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                first, _, last = full_name.partition(" ")
                hashed = hashed or make_password(password)
                user = User.objects.create(
                    username=username,
                    password=hashed,
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
        self._credit_postcode(actor)
        self._readmission(actor, teams["clinical-ml"])
        self._bed_occupancy(actor, teams["clinical-ml"])
        self._artifacts(actor)
        self._fairness(actor)
        # Submissions, decisions, a model's own policy and an expiry: the approvals app's half of the demo.
        call_command("seed_demo_approvals", stdout=self.stdout)
        if not options["quiet_login"]:
            base = served_url()
            where = (
                f"Admin: {base}/admin/  API docs: {base}/api/docs/"
                if base
                else f"The web server listens on {os.environ['WEB_BIND']}; browse through its proxy."
            )
            self.stdout.write(
                f"\nDemo data ready. {where}\n"
                f"Log in as admin (or alice, carlos, rita, pavel, clara, audrey) with password: {password}\n"
                f"(the password is kept in {settings.VAR_DIR / 'demo_password'})\n"
                "Approvals: credit-scoring 1.0.0 approved (rita, pavel), 1.1.1 rejected (rita); "
                "readmission-risk 2025.06.1 awaiting rita and pavel;\n"
                "bed-occupancy-forecast 2025.07.0 expired (its pilot policy's validity is over).\n"
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
            self._credit_version(actor, model, train, version, auc, "42 application features")

    def _credit_postcode(self, actor: Any) -> None:
        """credit-scoring 1.1.1: better AUC from postcode-district features (the reviewer will reject it)."""
        model = RegisteredModel.objects.get(name="credit-scoring")
        if ModelVersion.objects.filter(model=model, version="1.1.1").exists():
            return
        train = DatasetVersion.objects.get(dataset__name="loan-applications", version="2024-q4")
        self._credit_version(
            actor, model, train, "1.1.1", 0.806, "42 application features and 2 postcode-district aggregates"
        )

    def _credit_version(
        self, actor: Any, model: RegisteredModel, train: DatasetVersion, version: str, auc: float, inputs: str
    ) -> None:
        mv = services.model_version_create(
            actor=actor,
            model=model,
            version=version,
            artifact_uri=demo_artifact(model.name, version),  # digest recorded by the hashing service
            framework="xgboost 2.1",
            training_run_ref=f"mlflow://runs/credit-{version}",
            metrics={"auc": auc, "ks": 0.41},
            datasets=[(train, "training")],
        )
        self._card(
            actor,
            mv,
            f"Gradient-boosted trees over {inputs}.",
            "Applicants with thin credit files are scored with less confidence.",
            [
                {"name": "Sex"},
                {"name": "Ethnicity (monitoring only, not a model input)"},
                {"name": "Age band"},
            ],
            auc,
        )

    def _artifacts(self, actor: Any) -> None:
        """Every demo version's artifact hashed and signed by the real service, inline (before workers start).

        A database seeded before the demo had artifact files gets them now: a draft's made-up
        ``s3://`` URI and digest are replaced by the file's (through the update service).
        """
        from governance.accounts.principal import worker_principal

        worker = worker_principal("artifact_hash")
        for name, version in DEMO_VERSIONS:
            mv = ModelVersion.objects.get(model__name=name, version=version)
            if ArtifactHashJob.objects.filter(
                model_version=mv, status=ArtifactHashJob.Status.SUCCEEDED
            ).exists():
                continue
            uri = demo_artifact(name, version)
            if mv.artifact_uri != uri:
                if not lifecycle.is_editable(mv.status):
                    continue  # frozen by a review someone started by hand: leave it as it is
                mv = services.model_version_update(
                    actor=actor, model_version=mv, artifact_uri=uri, artifact_digest=""
                )
            job = artifact_hash_run(
                job_id=artifact_hash_request(actor=actor, model_version=mv).pk, actor=worker
            )
            if job.status != ArtifactHashJob.Status.SUCCEEDED:
                raise CommandError(f"Hashing the demo artifact of {mv} failed: {job.error}")

    def _fairness(self, actor: Any) -> None:
        """Bias reports on synthetic predictions (deterministic): credit-scoring 1.1.0's fails on purpose
        (younger applicants are declined more often than their risk says); the others pass."""
        self._bias_report(actor, "credit-scoring", "1.1.0", _demo_predictions_csv, CREDIT_FAIRNESS)
        for version, seed in (("1.0.0", 2023), ("1.1.1", 2025)):
            fair = partial(_demo_predictions_csv, 10_000, seed=seed, fair=True)
            self._bias_report(actor, "credit-scoring", version, fair, CREDIT_FAIRNESS)
        self._bias_report(
            actor, "readmission-risk", "2025.06.1", _readmission_predictions_csv, READMISSION_FAIRNESS
        )

    def _bias_report(
        self, actor: Any, model: str, version: str, csv: Callable[[], str], config: dict[str, Any]
    ) -> None:
        from governance.accounts.principal import worker_principal
        from governance.fairness.models import FairnessCheck
        from governance.fairness.services import (
            fairness_check_create,
            fairness_check_plan,
            fairness_chunk_count,
        )

        mv = ModelVersion.objects.get(model__name=model, version=version)
        if FairnessCheck.objects.filter(model_version=mv).exists():
            return
        path = settings.VAR_DIR / "demo" / f"{model}-{version}-predictions.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(csv())
        check = fairness_check_create(
            actor=actor,
            model_version=mv,
            input_path=path,
            input_name=path.name,
            input_format="csv",
            config={"model_version": mv.pk, **config},
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
            artifact_uri=demo_artifact(model.name, "2025.06.1"),  # digest recorded by the hashing service
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

    def _bed_occupancy(self, actor: Any, team: Team) -> None:
        """A minimal-risk forecast on aggregate counts (no personal data), run as a supervised pilot."""
        if RegisteredModel.objects.filter(name="bed-occupancy-forecast").exists():
            return
        dataset = services.dataset_create(
            actor=actor, team=team, name="ward-occupancy", description="Daily occupied beds per ward."
        )
        counts = services.dataset_version_create(
            actor=actor,
            dataset=dataset,
            version="2025-06",
            uri="s3://clinical-data/ward-occupancy/2025-06/",
            digest=_digest("ward-occupancy-2025-06"),
            row_count=21_900,
            schema={"ward": "category", "date": "date", "occupied_beds": "int", "electives_booked": "int"},
            contains_personal_data=False,
        )
        model = services.registered_model_create(
            actor=actor,
            team=team,
            name="bed-occupancy-forecast",
            risk_tier="minimal",
            intended_use="Forecast occupied beds per ward for the next 7 days to plan staffing; no decision "
            "about any patient.",
            domain="hospital operations",
            tags=["forecasting", "pilot"],
        )
        mv = services.model_version_create(
            actor=actor,
            model=model,
            version="2025.07.0",
            artifact_uri=demo_artifact(model.name, "2025.07.0"),  # digest recorded by the hashing service
            framework="statsmodels 0.14",
            training_run_ref="mlflow://runs/beds-2025-07",
            metrics={"mape": 0.084},
            datasets=[(counts, "training")],
        )
        self._card(
            actor,
            mv,
            "Seasonal ARIMA per ward with booked elective admissions as a regressor.",
            "Not reliable during outbreaks or ward closures; planners override it then.",
            [{"name": "Ward"}, {"name": "Season"}],
            0.084,
            metric="mape",
        )

    def _card(
        self,
        actor: Any,
        mv: ModelVersion,
        architecture: str,
        limitation: str,
        factors: list[dict[str, str]],
        value: float,
        metric: str = "auc",
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
            quantitative_analysis={"performance_metrics": [{"type": metric, "value": str(value)}]},
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


def _demo_predictions_csv(rows: int = 20_000, *, seed: int = 2024, fair: bool = False) -> str:
    """Synthetic credit decisions where younger applicants are declined more often than their risk says
    (``fair``: every group has the same risk and is scored alike, so the four-fifths rule passes)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    young_risk, young_bump = (0.1, 0.0) if fair else (0.18, 0.12)
    sex = rng.choice(["female", "male"], rows)
    age = rng.choice(["18-25", "26-40", "41-65", "65+"], rows, p=[0.15, 0.4, 0.35, 0.1])
    default = (rng.random(rows) < np.where(age == "18-25", young_risk, 0.1)).astype(int)
    score = np.clip(
        0.25 * default + rng.normal(0.3, 0.15, rows) + np.where(age == "18-25", young_bump, 0.0), 0, 1
    )
    declined = (score >= 0.5).astype(int)
    lines = ["sex,age_band,default_12m,declined,risk_score"]
    lines += [
        f"{s},{a},{d},{p},{r:.4f}" for s, a, d, p, r in zip(sex, age, default, declined, score, strict=True)
    ]
    return "\n".join(lines) + "\n"


def _readmission_predictions_csv(rows: int = 10_000, *, seed: int = 2025) -> str:
    """Synthetic readmission flags with the same risk and scoring in every sex and race group."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], rows)
    race = rng.choice(["white", "black", "hispanic", "asian"], rows, p=[0.55, 0.2, 0.15, 0.1])
    readmitted = (rng.random(rows) < 0.14).astype(int)
    score = np.clip(0.3 * readmitted + rng.normal(0.25, 0.12, rows), 0, 1)
    flagged = (score >= 0.4).astype(int)
    lines = ["sex,race,readmitted_30d,flagged,risk_score"]
    lines += [
        f"{s},{r},{y},{p},{q:.4f}"
        for s, r, y, p, q in zip(sex, race, readmitted, flagged, score, strict=True)
    ]
    return "\n".join(lines) + "\n"
