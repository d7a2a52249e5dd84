"""The audit chain moved to core.audit.chain (it covers more than containment now); these
names stay importable from here."""

from core.audit.chain import GENESIS, AuditRecord, Verdict, canonical, link, verify  # noqa: F401
