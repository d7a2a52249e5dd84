"""Every slash command, action_id, callback_id and event Firebreak registers.

manifest.yml must declare exactly these (tests/handlers/test_manifest.py checks both ways).
"""

COMMAND_INCIDENT = "/incident"
COMMAND_CONTAIN = "/contain"
COMMANDS = (COMMAND_INCIDENT, COMMAND_CONTAIN)

# Interactive components (action_id) and modals (callback_id) arrive with their issues.
ACTIONS: tuple[str, ...] = ()
VIEWS: tuple[str, ...] = ()

EVENT_APP_MENTION = "app_mention"
EVENTS = (EVENT_APP_MENTION,)
