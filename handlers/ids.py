"""Every slash command, action_id, callback_id and event Firebreak registers.

manifest.yml must declare exactly these (tests/handlers/test_manifest.py checks both ways).
"""

COMMAND_INCIDENT = "/incident"
COMMAND_CONTAIN = "/contain"
COMMAND_INVESTIGATE = "/investigate"
COMMAND_EVIDENCE = "/evidence"
COMMAND_REMEDIATE = "/remediate"
COMMANDS = (COMMAND_INCIDENT, COMMAND_CONTAIN, COMMAND_INVESTIGATE, COMMAND_EVIDENCE, COMMAND_REMEDIATE)

# Incidents
ACTION_INCIDENT_JOIN = "incident_join"
ACTION_TIMELINE_PAGE = "incident_timeline_page"
ACTION_PLAYBOOK_STEP = "playbook_step_done"
ACTION_ITEM_DONE = "action_item_done"
ACTION_PLAYBOOK_ANSWER = "playbook_step_answer"
ACTION_PLAYBOOK_UNDO = "playbook_step_undo"
VIEW_INCIDENT_DECLARE = "incident_declare"
VIEW_POSTMORTEM = "incident_postmortem"
VIEW_PLAYBOOK_ANSWER = "playbook_answer"
VIEW_COMMS_NOTIFY = "incident_notify"  # /incident notify's form (handlers/communications)
INCIDENT_ACTIONS = (ACTION_INCIDENT_JOIN, ACTION_TIMELINE_PAGE, ACTION_PLAYBOOK_STEP, ACTION_ITEM_DONE,
                    ACTION_PLAYBOOK_ANSWER, ACTION_PLAYBOOK_UNDO)
INCIDENT_VIEWS = (VIEW_INCIDENT_DECLARE, VIEW_POSTMORTEM, VIEW_PLAYBOOK_ANSWER, VIEW_COMMS_NOTIFY)

# Findings triage (handlers/triage.py)
ACTION_FINDING_DECLARE = "finding_declare"
ACTION_FINDING_LINK = "finding_link"
ACTION_FINDING_SNOOZE = "finding_snooze"
ACTION_FINDING_DISMISS = "finding_dismiss"
ACTION_FINDING_OPEN = "finding_open"
ACTION_DIGEST_PAGE = "finding_digest_page"
VIEW_FINDING_DISMISS = "finding_dismiss_reason"
FINDING_ACTIONS = (ACTION_FINDING_DECLARE, ACTION_FINDING_LINK, ACTION_FINDING_SNOOZE, ACTION_FINDING_DISMISS,
                   ACTION_FINDING_OPEN, ACTION_DIGEST_PAGE)
VIEW_FINDING_LINK_PRIVATE = "finding_link_private"
FINDING_VIEWS = (VIEW_FINDING_DISMISS, VIEW_FINDING_LINK_PRIVATE)

# Containment (handlers/contain.py)
ACTION_CONTAIN_APPROVE = "contain_approve"
ACTION_CONTAIN_DENY = "contain_deny"
ACTION_CONTAIN_FROM_PLAYBOOK = "contain_from_playbook"
ACTION_CONTAIN_FROM_FINDING = "contain_from_finding"
ACTION_CONTAIN_PLAN_APPROVE = "contain_plan_approve"  # an attack sequence's containment plan, as a whole
ACTION_CONTAIN_PLAN_DENY = "contain_plan_deny"
ACTION_INVESTIGATE_FROM_PLAYBOOK = "investigate_from_playbook"
VIEW_CONTAIN_DENY = "contain_deny_reason"
CONTAIN_VIEWS = (VIEW_CONTAIN_DENY,)
CONTAIN_ACTIONS = (ACTION_CONTAIN_APPROVE, ACTION_CONTAIN_DENY, ACTION_CONTAIN_FROM_PLAYBOOK,
                   ACTION_CONTAIN_FROM_FINDING, ACTION_INVESTIGATE_FROM_PLAYBOOK, ACTION_CONTAIN_PLAN_APPROVE,
                   ACTION_CONTAIN_PLAN_DENY)

ACTIONS: tuple[str, ...] = INCIDENT_ACTIONS + FINDING_ACTIONS + CONTAIN_ACTIONS
VIEWS: tuple[str, ...] = INCIDENT_VIEWS + FINDING_VIEWS + CONTAIN_VIEWS

EVENT_APP_MENTION = "app_mention"
EVENT_REACTION_ADDED = "reaction_added"
EVENT_REACTION_REMOVED = "reaction_removed"
