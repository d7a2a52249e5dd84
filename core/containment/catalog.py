"""The response-action catalog under the name containment has always used for it; it lives
in core/response/catalog.py (shared with playbooks, which must not import containment)."""

from core.response.catalog import (FAMILIES, INSTANCE, OPTIONS_FOR_ALL, SPECS, ActionSpec, AwsCallRecorder,
                                   Catalog, Family, Job, Outcome, Plan, family_of, specs_of)

__all__ = ["FAMILIES", "INSTANCE", "OPTIONS_FOR_ALL", "ActionSpec", "Family", "family_of", "SPECS",
           "specs_of", "Job", "Plan", "Outcome", "Catalog", "AwsCallRecorder"]
