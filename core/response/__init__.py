"""Response actions, whatever their family (`/contain`, `/evidence`, `/remediate`): the
catalog of specs, a run's Job, its Plan and Outcome, and the Catalog port aws/actions
implements. Below containment (which runs them) and playbooks (whose steps propose them),
so neither needs the other for the words they share."""
