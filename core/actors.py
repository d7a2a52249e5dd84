"""Who acts when no person does: Firebreak itself (automatic declarations, routing, the
clock). Its own module so metrics, drills and findings share it without importing each other."""

SYSTEM_ACTOR = "firebreak"
