"""The browser view's pages and forms. Each view parses the request, calls one core
function with the signed-in person's Slack id, and renders; core decides everything."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from core.browser import changes, views
from core.browser.health import read as read_health
from core.errors import FirebreakError, NotFound
from core.incidents.model import PHASES
from core.services import Services
from web.ui.auth import login_required
from web.ui.report import ReportCharts

NOTE_LIMIT = 4000


def blueprint(services: Services, charts: ReportCharts) -> Blueprint:
    pages = Blueprint("pages", __name__)
    _reading(pages, services)
    _forms(pages, services)
    _program(pages, services, charts)
    return pages


def _reading(pages: Blueprint, services: Services) -> None:
    """The incident list and an incident's page."""
    cfg = services.config

    @pages.get("/")
    def index():
        return redirect(url_for("pages.incidents"))

    @pages.get("/incidents")
    @login_required
    def incidents():
        filters = views.Filters.of(request.args)
        found = views.incident_list(services, g.person.user_id, filters)
        return render_template("incidents.html", incidents=found, filters=filters, phases=PHASES,
                               severities=[s.name for s in cfg.incidents.severities],
                               categories=list(cfg.incidents.categories))

    @pages.get("/incidents/<int:incident_id>")
    @login_required
    def incident(incident_id: int):
        page = request.args.get("page", "1")
        shown = views.incident_page(services, g.person.user_id, incident_id, page=int(page) if page.isdigit() else 1,
                                    per_page=cfg.ui.timeline_page_size)
        return render_template("incident.html", view=shown, i=shown.incident, verdicts=None)



def _forms(pages: Blueprint, services: Services) -> None:
    """What a responder changes: each form posts, core decides, the incident's page shows
    the outcome (or why not)."""
    cfg = services.config

    @pages.post("/incidents/<int:incident_id>/note")
    @login_required
    def note(incident_id: int):
        text = request.form.get("text", "")[:NOTE_LIMIT]
        return _change(incident_id, "Note added.",
                       lambda: changes.add_note(services, incident_id, actor=g.person.user_id, text=text))

    @pages.post("/incidents/<int:incident_id>/phase")
    @login_required
    def phase(incident_id: int):
        wanted = request.form.get("phase", "")
        return _change(incident_id, f"Phase changed to {wanted}.",
                       lambda: changes.change_phase(services, incident_id, actor=g.person.user_id, phase=wanted))

    @pages.post("/requests/<int:request_id>/<any(approve, deny):decision>")
    @login_required
    def decide(request_id: int, decision: str):
        found = services.repos.containment.get(request_id)
        if found is None:
            abort(404)
        approve = decision == "approve"
        reason = request.form.get("reason", "").strip()[:500] or None
        return _change(found.incident_id, lambda request: f"{found.label}: {request.state}.",
                       lambda: changes.decide_request(services, request_id, actor=g.person.user_id, approve=approve,
                                                      note=reason))

    @pages.post("/incidents/<int:incident_id>/evidence/verify")
    @login_required
    def verify_evidence(incident_id: int):
        from core.evidence import custody

        shown = views.incident_page(services, g.person.user_id, incident_id, page=1, per_page=cfg.ui.timeline_page_size)
        try:
            verdicts = custody.verify(services, incident_id)
        except FirebreakError as exc:
            flash(exc.message, "error")
            verdicts = None
        return render_template("incident.html", view=shown, i=shown.incident, verdicts=verdicts)



def _program(pages: Blueprint, services: Services, charts: ReportCharts) -> None:
    """The program report and the bot's health."""

    @pages.get("/report")
    @login_required
    def report():
        period_text = request.args.get("period", "").strip()[:40]
        shown = charts.page(services, g.person.user_id, period_text)
        return render_template("report.html", shown=shown)

    @pages.get("/report/<period_label>/<name>.png")
    @login_required
    def chart(period_label: str, name: str):
        png = charts.png(services, g.person.user_id, period_label, name)
        if png is None:
            abort(404)
        return png, 200, {"Content-Type": "image/png", "Cache-Control": "private, max-age=300"}

    @pages.get("/health")
    @login_required
    def health():
        views.require_responder(services, g.person.user_id)
        return render_template("health.html", health=read_health(services), database=services.db.ping())


def _change(incident_id: int, done, act):
    """Run `act`; flash `done` (or `done(result)`: what is stored now) or why it was refused."""
    try:
        result = act()
    except NotFound:
        raise  # an incident this person may not see: as if it did not exist
    except FirebreakError as exc:  # refused (two-person rule, approver lists, phase order): say why
        flash(exc.message, "error")
    else:
        flash(done(result) if callable(done) else done, "ok")
    return redirect(url_for("pages.incident", incident_id=incident_id))
