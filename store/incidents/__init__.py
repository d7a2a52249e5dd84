"""Storage of the incidents domain (core/incidents): its tables and the repositories that implement core's ports."""
