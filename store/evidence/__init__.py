"""Storage of the evidence domain (core/evidence): its tables and the repositories that implement core's ports."""
