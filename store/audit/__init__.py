"""Storage of the audit domain (core/audit): its tables and the repositories that implement core's ports."""
