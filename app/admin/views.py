"""Site administration: organizations, their Owners, site administrators."""
from flask import Blueprint, abort, flash, url_for
from flask_login import current_user

from app.admin import services
from app.admin.forms import OrgCreateForm, SiteAdminGrantForm
from app.auth.models import User
from app.errors import Refused
from app.extensions import db
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
