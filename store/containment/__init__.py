"""Storage of the containment domain (core/containment): its tables and the repositories that implement core's ports."""
