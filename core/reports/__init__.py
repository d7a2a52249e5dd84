"""The IR program report: a period's response metrics, volumes, drills, follow-through and
containment, as numbers (drawn elsewhere: the top-level `reports` package)."""
