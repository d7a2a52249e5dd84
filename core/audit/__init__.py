"""The audit chain: every act that reaches AWS or changes who may act, in an append-only
chain of entries keyed with FIREBREAK_AUDIT_KEY and anchored outside the database."""
