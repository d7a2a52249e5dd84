"""/contain, /evidence and /remediate (tables built from the catalog), the request cards and
their Approve / Deny buttons, and requests from playbook steps and finding menus."""

from __future__ import annotations

from functools import partial


def register(app, services, intake) -> None:
    from handlers import ids
    from handlers.containment import actions, slash

    for name in (ids.COMMAND_CONTAIN, ids.COMMAND_EVIDENCE, ids.COMMAND_REMEDIATE):
        app.command(name)(partial(slash.response_command, intake=intake))
    app.action(ids.ACTION_CONTAIN_FROM_FINDING)(partial(actions.from_finding_chosen, intake=intake))
    app.action(ids.ACTION_CONTAIN_FROM_PLAYBOOK)(partial(actions.from_playbook_pressed, intake=intake))
    app.action(ids.ACTION_CONTAIN_APPROVE)(partial(actions.approve_pressed, intake=intake))
    app.action(ids.ACTION_CONTAIN_DENY)(partial(actions.deny_pressed, intake=intake))
    app.action(ids.ACTION_CONTAIN_PLAN_APPROVE)(partial(actions.plan_approve_pressed, intake=intake))
    app.action(ids.ACTION_CONTAIN_PLAN_DENY)(partial(actions.plan_deny_pressed, intake=intake))
    app.view(ids.VIEW_CONTAIN_DENY)(partial(actions.deny_submitted, intake=intake))


def register_work(routes) -> None:
    from handlers.containment import work

    work.register(routes)
