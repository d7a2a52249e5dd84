"""Communications and escalation: the stakeholder plan (who is told what, when), templated
updates, paging, and regulatory notification clocks. `hooks` follows the incident
lifecycle's events (a declaration, a change); everything else is reached from there,
from `/incident notify|page|stakeholders|notified|determined`, and from the clock."""
