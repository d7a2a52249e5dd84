"""Storage of the scheduling domain (core/scheduling): its tables and the repositories that implement core's ports."""
