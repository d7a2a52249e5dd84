"""Storage of the communications domain (core/communications): its tables and the repositories that implement core's ports."""
