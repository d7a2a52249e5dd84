"""Finding normalization: GuardDuty, Security Hub (ASFF) and CloudTrail -> one Finding model.

Pure domain code (no AWS SDK or Slack imports). Public API lives in the submodules:
model.Finding, normalize.normalize / normalize_text, cloudtrail_rules.load_rules / default_rules.
"""
