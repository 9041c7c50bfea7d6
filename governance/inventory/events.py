"""Audit actions of the inventory: models, versions and their lifecycle, cards, datasets, artifacts."""

from audit.vocabulary import declare

MODEL_CREATE = declare("model.create", "A model was registered.", required=("after",))
MODEL_UPDATE = declare("model.update", "A model's descriptive fields changed.", required=("changes",))
MODEL_VERSION_CREATE = declare(
    "model_version.create", "A draft model version was registered.", required=("after", "datasets")
)
MODEL_VERSION_UPDATE = declare(
    "model_version.update", "A draft model version's fields changed.", required=("changes",)
)
MODEL_VERSION_LINK_DATASET = declare(
    "model_version.link_dataset",
    "A draft version was linked to a dataset version it used.",
    required=("dataset_version_id", "usage"),
)
MODEL_VERSION_TRANSITION = declare(
    "model_version.transition",
    "A model version's lifecycle status changed (submitted, approved, deployed, expired, ...).",
    required=("from", "to", "reason"),
    optional=("evidence",),
)
MODEL_CARD_CREATE = declare(
    "model_card.create",
    "A model card revision was recorded.",
    required=("model_version_id", "revision", "source", "content"),
)
DATASET_CREATE = declare("dataset.create", "A dataset was registered.", required=("after",))
DATASET_VERSION_CREATE = declare(
    "dataset_version.create",
    "A dataset version and its privacy classification were recorded.",
    required=("after",),
)
DATASET_VERSION_UPDATE = declare(
    "dataset_version.update",
    "A dataset version's classification was corrected (before and after).",
    required=("changes",),
)
# HIPAA 164.312(b): record and examine activity on PHI.
PHI_READ = declare(
    "phi.read", "PHI-classified dataset versions were read.", required=("dataset_version_ids", "channel")
)
ARTIFACT_HASH_REQUESTED = declare(
    "artifact.hash_requested", "Hashing of a version's artifact was requested.", required=("job_id",)
)
ARTIFACT_DIGEST_MISMATCH = declare(
    "artifact.digest_mismatch",
    "The artifact's bytes did not match the declared digest.",
    required=("job_id", "declared", "computed"),
)
ARTIFACT_HASHED = declare(
    "artifact.hashed",
    "The artifact was hashed and its model_signing attestation signed.",
    required=("job_id", "artifact_digest", "manifest_digest", "files"),
)
ARTIFACT_HASH_FAILED = declare(
    "artifact.hash_failed", "Hashing the artifact failed.", required=("job_id", "error")
)
