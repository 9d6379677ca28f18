"""The organization's Settings page: its name, and the Owner's transfer of ownership."""
from flask import flash, g, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from app.auth.models import User
from app.errors import Refused
from app.extensions import db
from app.orgs import services
from app.orgs.forms import OrgSettingsForm, TransferOwnershipForm
from app.orgs.models import OrgMember
from app.orgs.views import bp
from app.security.decorators import require
from app.security.permissions import can
from app.security.roles import WORKING_ROLES, Role
from app.web.forms import apply_refusal, invalid_status, submit
from app.web.htmx import hx_redirect, render


def _transfer_form(form=None):
    """The transfer form, its choices being the organization's active members other than the Owner."""
    form = form or TransferOwnershipForm(formdata=None)
    candidates = db.session.execute(
        select(OrgMember).join(User, User.id == OrgMember.user_id)
        .where(OrgMember.org_id == g.org.id, OrgMember.role.in_(WORKING_ROLES - {Role.OWNER}))
        .order_by(func.lower(User.email))
    ).scalars().all()
    form.member_id.choices = [SelectChoice("", "Choose a member")] + [
        SelectChoice(str(m.id), f"{m.user.display_name} <{m.user.email}> ({m.role.label})") for m in candidates
    ]
    return form


def _page(settings_form=None, transfer_form=None, status=200):
    transfer = None
    if can(current_user, g.member, "org.transfer_ownership"):
        transfer = _transfer_form(transfer_form)
    return render("orgs/settings.html", status=status, form=settings_form or OrgSettingsForm(obj=g.org),
                  transfer=transfer)


@bp.route("/settings", methods=["GET", "POST"])
@require("org.settings")
def settings():
    """Rename the organization (its short name stays, since every URL carries it)."""
    form = OrgSettingsForm(obj=g.org)
    ok, _ = submit(form, lambda: services.rename_org(current_user, g.org, form.name.data))
    if ok:
        flash("Saved.", "success")
        return hx_redirect(url_for("orgs.settings", org_slug=g.org.slug))
    return _page(settings_form=form, status=invalid_status(form))


@bp.route("/settings/transfer-ownership", methods=["POST"])
@require("org.transfer_ownership")
def transfer_ownership():
    """The Owner hands the organization to an active member and becomes an Admin."""
    form = _transfer_form(TransferOwnershipForm())
    if form.validate():
        new_owner = db.session.execute(
            OrgMember.for_org(g.org).where(OrgMember.id == int(form.member_id.data))
        ).scalar_one()
        try:
            services.transfer_ownership(current_user, g.org, new_owner)
        except Refused as exc:
            apply_refusal(form, exc)
        else:
            flash(f"{new_owner.user.display_name} now owns {g.org.name}; you are an Administrator.", "success")
            return hx_redirect(url_for("orgs.settings", org_slug=g.org.slug))
    return _page(transfer_form=form, status=422)
