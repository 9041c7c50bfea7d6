"""Enumerations of the inventory domain (EU AI Act and GDPR vocabulary where one exists)."""

from django.db import models


class RiskTier(models.TextChoices):
    """EU AI Act risk categories."""

    MINIMAL = "minimal", "Minimal risk"
    LIMITED = "limited", "Limited risk (transparency obligations)"
    HIGH = "high", "High risk (Annex III)"
    PROHIBITED = "prohibited", "Prohibited practice (Art. 5)"


class LawfulBasis(models.TextChoices):
    """GDPR Art. 6(1) lawful bases for processing personal data."""

    CONSENT = "consent", "Art. 6(1)(a) consent"
    CONTRACT = "contract", "Art. 6(1)(b) contract"
    LEGAL_OBLIGATION = "legal_obligation", "Art. 6(1)(c) legal obligation"
    VITAL_INTERESTS = "vital_interests", "Art. 6(1)(d) vital interests"
    PUBLIC_TASK = "public_task", "Art. 6(1)(e) public task"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Art. 6(1)(f) legitimate interests"


class SpecialCategory(models.TextChoices):
    """GDPR Art. 9(1) special categories of personal data."""

    RACIAL_OR_ETHNIC_ORIGIN = "racial_or_ethnic_origin", "Racial or ethnic origin"
    POLITICAL_OPINIONS = "political_opinions", "Political opinions"
    RELIGIOUS_OR_PHILOSOPHICAL_BELIEFS = (
        "religious_or_philosophical_beliefs",
        "Religious or philosophical beliefs",
    )
    TRADE_UNION_MEMBERSHIP = "trade_union_membership", "Trade union membership"
    GENETIC = "genetic", "Genetic data"
    BIOMETRIC = "biometric", "Biometric data for identification"
    HEALTH = "health", "Data concerning health"
    SEX_LIFE_OR_ORIENTATION = "sex_life_or_orientation", "Sex life or sexual orientation"


class Art9Condition(models.TextChoices):
    """GDPR Art. 9(2) conditions that lift the ban on processing special categories."""

    EXPLICIT_CONSENT = "explicit_consent", "9(2)(a) explicit consent"
    EMPLOYMENT = "employment_social_security", "9(2)(b) employment and social security law"
    VITAL_INTERESTS = "vital_interests", "9(2)(c) vital interests"
    NOT_FOR_PROFIT = "not_for_profit", "9(2)(d) not-for-profit body"
    MADE_PUBLIC = "made_public", "9(2)(e) manifestly made public"
    LEGAL_CLAIMS = "legal_claims", "9(2)(f) legal claims"
    SUBSTANTIAL_PUBLIC_INTEREST = "substantial_public_interest", "9(2)(g) substantial public interest"
    HEALTH_OR_SOCIAL_CARE = "health_or_social_care", "9(2)(h) health or social care"
    PUBLIC_HEALTH = "public_health", "9(2)(i) public health"
    RESEARCH = "archiving_research_statistics", "9(2)(j) archiving, research, statistics"


class DatasetUsage(models.TextChoices):
    """How a model version used a dataset version."""

    TRAINING = "training", "Training"
    VALIDATION = "validation", "Validation"
    EVALUATION = "evaluation", "Evaluation"
