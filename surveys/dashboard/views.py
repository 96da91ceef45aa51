"""Dashboard views: parse the filters, ask the services for a protected report, render."""

from __future__ import annotations

import math

from flask import (
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from surveys import clock, reference
from surveys.dashboard import bp
from surveys.dashboard.auth import sign_in, sign_out, staff_required
from surveys.dashboard.forms import LoginForm, LogoutForm
from surveys.dashboard.reading import reading_session
from surveys.extensions import db, limiter
from surveys.models import Survey
from surveys.models.identity import ADMIN
from surveys.services import staff
from surveys.services.reporting import charts, exports, privacy
from surveys.services.reporting import report as reports

#: The dashboard draws with plotly.js's strict bundle from our own static files: scripts are
#: 'self' only, with no 'unsafe-eval'. plotly.js writes style attributes and <style> rules
#: on the SVG it draws (we tried allowing only an empty <style>: it also sets style
#: attributes), so styles, and styles only, need 'unsafe-inline' on staff pages.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


@bp.after_request
def staff_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # Aggregates are still not for shared caches or the back button of a shared computer.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("dashboard/login.html", form=form, failed=True), 400
        user = staff.authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is None:
            db.session.rollback()
            return render_template("dashboard/login.html", form=form, failed=True), 401
        sign_in(user, current_app.config["STAFF_SESSION_HOURS"])
        db.session.commit()
        return redirect(url_for("dashboard.index"), code=303)
    return render_template("dashboard/login.html", form=form, failed=False)


@bp.post("/logout")
def logout() -> Response:
    if not LogoutForm().validate_on_submit():
        abort(400)
    sign_out()
    db.session.commit()
    return redirect(url_for("dashboard.login"), code=303)


def _surveys() -> list[Survey]:
    return list(reading_session().scalars(select(Survey).order_by(Survey.title)))


def _chosen_survey(surveys: list[Survey]) -> Survey | None:
    slug = request.args.get("survey")
    if not slug:
        return surveys[0] if surveys else None
    for survey in surveys:
        if survey.slug == slug:
            return survey
    raise reports.InvalidView("Choose a survey from the list.")


def _report(keys: set[str] | None = None) -> reports.Report:
    """The published numbers for the request's filters (InvalidView if they are wrong);
    with ``keys``, only those charts."""
    survey = _chosen_survey(_surveys())
    if survey is None:
        raise reports.InvalidView("There are no surveys yet.")
    args = request.args
    geo = args.get("area", "")
    zone = geo.removeprefix("zone:") if geo.startswith("zone:") else None
    state = geo.removeprefix("state:") if geo.startswith("state:") else None
    if geo and zone is None and state is None:
        raise reports.InvalidView("Choose an area from the list.")
    view = reports.make_view(
        survey,
        clock.today(),
        reports.released_weeks(reading_session(), survey.id),
        first_week=args.get("from") or None,
        last_week=args.get("to") or None,
        zone=zone,
        state=state,
        lga_state=args.get("lga_state") or None,
        cross_x=args.get("x") or None,
        cross_y=args.get("y") or None,
    )
    return reports.build_report(
        reading_session(), view, min_cell=current_app.config["DASHBOARD_MIN_CELL"], keys=keys
    )


@bp.get("/")
@staff_required()
def index() -> str | tuple[str, int]:
    surveys = _surveys()
    try:
        report = _report()
    except reports.InvalidView as error:
        return render_template(
            "dashboard/index.html", error=str(error), report=None, **_choices(surveys, None)
        ), 400
    return render_template(
        "dashboard/index.html",
        error=None,
        report=report,
        figures=charts.figures(report),
        exports=exports.available(report),
        consent_rows=_consent_rows(report),
        **_choices(surveys, report),
    )


def _consent_rows(report: reports.Report) -> list[object]:
    """The consent table's rows beside what its chart draws: (row, (label, share, text,
    margin in points))."""
    consent = report.consent
    if report.withheld or consent is None or not consent.available:
        return []
    return list(zip(consent.rows, charts.consent_shares(consent, report.min_cell), strict=True))


def _choices(surveys: list[Survey], report: reports.Report | None) -> dict[str, object]:
    geography = reference.geography()
    view = report.view if report else None
    return {
        "surveys": surveys,
        "view": view,
        "weeks": _week_choices(view),
        "zones": geography.zones,
        "states": reference.state_choices(),
        # The "LGAs of" picker offers the states of the view's area only.
        "lga_states": reports.states_in_area(view.zone, view.state) if view else [],
        # ... and, with JavaScript, follows the area picker before "Show" (dashboard.js).
        "state_zones": {code: s.zone for code, s in geography.states.items()},
        "attributes": {a: reports.ATTRIBUTE_LABELS[a] for a in reports.attributes_of(view.survey)}
        if view
        else {},
        "query": request.args.to_dict(),
        "logout_form": LogoutForm(),
        "chart_config": charts.CONFIG,
        "min_cell": current_app.config["DASHBOARD_MIN_CELL"],
        "budget": _budget_note(),
    }


def _week_choices(view: reports.View | None) -> list[object]:
    """The weeks the filters offer: the released ones, newest first."""
    if view is None:
        return []
    return reports.released_weeks(reading_session(), view.survey.id) or [view.last_week]


def _power_of_ten(value: float) -> str:
    """1e-06 as people write it: 10⁻⁶."""
    superscript = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return "10" + str(round(math.log10(value))).translate(superscript)


def _budget_note() -> dict[str, object]:
    """What the "how we protect people" note says, from the configured budget."""
    budget = privacy.Budget.from_config(current_app.config)
    return {
        "rho": budget.rho,
        "epsilon": privacy.epsilon_for(budget.rho),
        "delta": _power_of_ten(privacy.DELTA),
        "event_rho": budget.event_rho,
        "consent_rho": budget.consent_rho,
    }


@bp.get("/export/<key>.csv")
@staff_required()
def export(key: str) -> Response:
    if key not in exports.EXPORTS:
        abort(404)
    try:
        report = _report({key})
    except reports.InvalidView as error:
        abort(make_response(str(error) + "\n", 400, {"Content-Type": "text/plain; charset=utf-8"}))
    if report.withheld or key not in exports.available(report):
        abort(404)
    response = make_response(exports.to_csv(report, key))
    response.content_type = "text/csv; charset=utf-8"
    filename = (
        f"{report.view.survey.slug}-{key}-{report.view.first_week}-{report.view.last_week}.csv"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/staff")
@staff_required(ADMIN)
def staff_list() -> str:
    return render_template(
        "dashboard/staff.html", people=staff.all_staff(db.session), logout_form=LogoutForm()
    )
