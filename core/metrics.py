"""Response metrics, under the name they have always had; they live beside the incident
they measure, in core/incidents/metrics.py (the postmortem reads them there)."""

from core.incidents.metrics import (COMMANDER, CONTAINED_PHASES, METRICS, RECOVERED_PHASES, SLAS, Measured,
                                    Summary, acknowledged_at, commander, contained_at, detect_time, evidence_at,
                                    group, human, measure, recovered_at, spans, summarize, with_verification)

__all__ = ["COMMANDER", "CONTAINED_PHASES", "METRICS", "RECOVERED_PHASES", "SLAS", "Measured", "Summary",
           "acknowledged_at", "commander", "contained_at", "detect_time", "evidence_at", "group", "human",
           "measure", "recovered_at", "spans", "summarize", "with_verification"]
