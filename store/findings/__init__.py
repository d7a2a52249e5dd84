"""Storage of the findings domain (core/findings): its tables and the repositories that implement core's ports."""
