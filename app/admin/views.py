"""Site administration: organizations, their Owners, site administrators."""
from flask import Blueprint, abort, flash, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.admin import services
from app.admin.forms import OrgCreateForm, SiteAdminGrantForm
from app.auth.models import User
from app.errors import Refused
from app.extensions import db
from app.plugins import access
from app.plugins.models import PluginAccessRequest
from app.security.decorators import require
from app.web.forms import submit
from app.web.htmx import hx_redirect, render

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _orgs_page(form=None, created=None, status=200):
    return render("admin/orgs.html", "admin/_orgs.html", status=status, rows=services.organizations_overview(),
                  form=form or OrgCreateForm(formdata=None), created=created)


@bp.route("/")
@require("site.admin")
def orgs():
    """Every organization on this instance, and the form that creates one with its Owner."""
    return _orgs_page()


@bp.route("/orgs", methods=["POST"])
@require("site.admin")
def org_create():
    """Create an organization; a new Owner account's one-time password is shown on this response only."""
    form = OrgCreateForm()
    ok, created = submit(form, lambda: services.create_org_with_owner(
        current_user, form.name.data, form.owner_email.data, form.owner_name.data, slug=form.slug.data))
    if ok:
        org, owner, password = created
        return _orgs_page(created={"org": org, "owner": owner, "password": password})
    return _orgs_page(form=form, status=422)


def _site_admins_page(form=None, problem=None, status=200):
    return render("admin/site_admins.html", "admin/_site_admins.html", status=status, admins=services.site_admins(),
                  form=form or SiteAdminGrantForm(formdata=None), problem=problem)


@bp.route("/site-admins")
@require("site.admin")
def site_admins():
    """The people who run this instance."""
    return _site_admins_page()


@bp.route("/site-admins", methods=["POST"])
@require("site.admin")
def site_admin_grant():
    form = SiteAdminGrantForm()
    ok, user = submit(form, lambda: services.grant_site_admin(current_user, form.email.data))
    if ok:
        flash(f"{user.email} is now a site administrator.", "success")
        return hx_redirect(url_for("admin.site_admins"))
    return _site_admins_page(form=form, status=422)


@bp.route("/site-admins/<int:user_id>/revoke", methods=["POST"])
@require("site.admin")
def site_admin_revoke(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    try:
        services.revoke_site_admin(current_user, user)
    except Refused as exc:
        return _site_admins_page(problem=exc.message, status=422)
    flash(f"{user.email} is no longer a site administrator.", "success")
    return hx_redirect(url_for("admin.site_admins"))


# Plugin access requests ------------------------------------------------------------------------------------

class PluginApproveForm(FlaskForm):
    request_id = HiddenField(validators=[DataRequired("Choose a request.")])
    note = TextAreaField("Note (optional)", validators=[Length(max=access.REASON_MAX)])


class PluginRejectForm(FlaskForm):
    request_id = HiddenField(validators=[DataRequired("Choose a request.")])
    reason = TextAreaField("Reason (the organization sees it)",
                           validators=[DataRequired("Give a reason for the rejection."), Length(max=access.REASON_MAX)])


def _plugin_requests_page(status=200, problem=None):
    """``problem``: {"request_id", "message", "blocking": [(user, other organizations)]} for a refused decision."""
    return render("admin/plugin_requests.html", "admin/_plugin_requests.html", status=status,
                  requests=access.requests_for_admin(), problem=problem)


def _form_request(form):
    """The request the form names: None when it names none, a 404 when it does not exist."""
    raw = form.request_id.data or ""
    if not raw.isdigit():
        return None
    found = db.session.get(PluginAccessRequest, int(raw))
    if found is None:
        abort(404)
    return found


def _problem(plugin_request, form, message, blocking=False):
    """What the page shows above the refused request; ``blocking`` lists the multi-organization members."""
    if message is None:
        errors = list(form.form_errors) + [e for field_errors in form.errors.values() for e in field_errors]
        message = " ".join(dict.fromkeys(errors)) or "Choose a request."
    shared = []
    if blocking and message is not None and plugin_request is not None and plugin_request.state == "pending":
        org = plugin_request.org
        shared = [(user, access.other_orgs_of(user, org)) for user in access.multi_org_members(org)]
    return {"request_id": getattr(plugin_request, "id", None), "message": message, "blocking": shared}


@bp.route("/plugin-requests")
@require("plugins.approve_access")
def plugin_requests():
    """Organizations asking for plugins, the pending ones first, with approve and reject forms."""
    return _plugin_requests_page()


def _decide(form, decide, done, blocking=False):
    """Validate, make the decision, redirect; or re-render the list (422) with the problem by its request."""
    plugin_request = _form_request(form)
    message = None
    if form.validate_on_submit() and plugin_request is not None:
        try:
            decide(plugin_request)
        except Refused as exc:
            message = exc.message
        else:
            flash(done(plugin_request), "success")
            return hx_redirect(url_for("admin.plugin_requests"))
    return _plugin_requests_page(status=422, problem=_problem(plugin_request, form, message, blocking=blocking))


@bp.route("/plugin-requests/approve", methods=["POST"])
@require("plugins.approve_access")
def plugin_request_approve():
    """Approve a pending request (its id in the form), with an optional note: plugins go on at once."""
    form = PluginApproveForm()
    return _decide(form, lambda r: access.approve(current_user, r, form.note.data),
                   lambda r: f"Plugins are on for {r.org.name}.", blocking=True)


@bp.route("/plugin-requests/reject", methods=["POST"])
@require("plugins.approve_access")
def plugin_request_reject():
    """Reject a pending request (its id in the form) with a reason the organization sees."""
    form = PluginRejectForm()
    return _decide(form, lambda r: access.reject(current_user, r, form.reason.data),
                   lambda r: f"The request of {r.org.name} was rejected.")
