"""Playbooks: YAML checklists per finding type or category, walked phase by phase."""
