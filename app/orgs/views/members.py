"""The Members page: the table with search, per-row and bulk role changes, invitations and the join link."""
from flask import abort, current_app, flash, g, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.errors import Refused
from app.extensions import db
from app.mail import send
from app.orgs import services
from app.orgs.forms import BulkRoleForm, InviteForm, MemberFilterForm, MemberRoleForm
from app.orgs.models import Invitation, OrgMember
from app.orgs.views import bp
from app.security.decorators import require
from app.web.forms import apply_refusal
from app.web.htmx import hx_redirect, render, wants_partial

PER_PAGE = 25
PAGE = "orgs/members.html"


def _filters():
    """The table's search and role filter, from the query string (also on the POSTs that re-render it)."""
    form = MemberFilterForm(formdata=request.args)
    form.validate()
    return form


def _filter_args(filters):
    """The valid filters, for the page links and the bulk form's URL."""
    return {"q": None if filters.q.errors else (filters.q.data or "").strip() or None,
            "role": None if filters.role.errors else filters.role.data or None}


def _members_page(filters):
    args = _filter_args(filters)
    query = services.search_members(g.org, args["q"], args["role"])
    query = query.options(selectinload(OrgMember.user).selectinload(User.identities), selectinload(OrgMember.created_by))
    page = request.args.get("page", 1, type=int)
    return db.paginate(query, page=max(page, 1), per_page=PER_PAGE, error_out=False)


def _table_context(filters=None, bulk_form=None, notice=None, selected_ids=(), row_errors=None):
    filters = filters or _filters()
    args = _filter_args(filters)
    return {
        "filters": filters,
        "members": _members_page(filters),
        "filter_args": args,
        "page_url": lambda number: url_for("orgs.members", org_slug=g.org.slug, page=number, **args),
        "bulk_form": bulk_form or BulkRoleForm(formdata=None),
        "notice": notice,
        "selected_ids": set(selected_ids),
        "row_errors": row_errors or {},
    }


def _invites_context(invite_form=None, sent_links=None):
    return {
        "invite_form": invite_form or InviteForm(formdata=None),
        "sent_links": sent_links or [],
        "invitations": db.session.execute(services.pending_invitations(g.org)).scalars().all(),
    }


def _join_link_context():
    link = services.join_link(current_user, g.org)
    return {"join_url": url_for("auth.join_link", token=link.link_token, _external=True), "join_link_reset": False}


def _page_context(invite_form=None, sent_links=None, **table):
    """Everything the whole page needs; ``table`` overrides parts of the members table."""
    context = _table_context(**table)
    context.update(_invites_context(invite_form, sent_links))
    context.update(_join_link_context())
    return context


def _status(form):
    return 422 if form.errors or form.form_errors else 200


@bp.route("/members")
@require("members.view")
def members():
    """The members table; htmx searches, filters and page links get only the table."""
    context = _table_context() if wants_partial() else _page_context()
    return render(PAGE, "orgs/_members_table.html", status=_status(context["filters"]), **context)


@bp.route("/members/<int:member_id>/role", methods=["POST"])
@require("members.change_role", load=OrgMember, arg="member_id")
def member_role(member):
    """Change one member's role (deactivation included); htmx gets the row back."""
    form = MemberRoleForm()
    try:
        services.change_role(current_user, g.org, member, form.role.data)
    except Refused as exc:
        apply_refusal(form, exc)
        message = " ".join(form.role.errors + form.form_errors)
        if wants_partial():
            return render(PAGE, "orgs/_member_row.html", status=422, m=member, row_errors={member.id: message},
                          selected_ids=set())
        return render(PAGE, status=422, **_page_context(row_errors={member.id: message}))
    if wants_partial():
        return render(PAGE, "orgs/_member_row.html", m=member, row_errors={}, selected_ids=set())
    flash(f"{member.user.display_name} is now {member.role.label}.", "success")
    return hx_redirect(url_for("orgs.members", org_slug=g.org.slug))


def _members_in_org(ids):
    """The members with these ids, all inside the current organization (any other id is a 404)."""
    ids = set(ids)
    if not ids:
        return []
    found = db.session.execute(
        select(OrgMember).where(OrgMember.org_id == g.org.id, OrgMember.id.in_(ids))
    ).scalars().all()
    if len(found) != len(ids):
        abort(404)
    return sorted(found, key=lambda m: m.user.email)


@bp.route("/members/roles", methods=["POST"])
@require("members.change_role")
def members_bulk_role():
    """Give every ticked member the same role, or nobody when one of them is refused."""
    form = BulkRoleForm()
    selected = form.member_ids.data or []
    if form.validate():
        chosen = _members_in_org(selected)
        try:
            services.change_roles(current_user, g.org, chosen, form.role.data)
        except Refused as exc:
            apply_refusal(form, exc)
        else:
            many = len(chosen) != 1
            label = chosen[0].role.label
            notice = f"{len(chosen)} member{'s now have' if many else ' now has'} the role {label}."
            if wants_partial():
                return render(PAGE, "orgs/_members_table.html", **_table_context(notice=notice))
            flash(notice, "success")
            return hx_redirect(url_for("orgs.members", org_slug=g.org.slug, **_filter_args(_filters())))
    if form.member_ids.errors and not form.form_errors:
        form.form_errors.extend(form.member_ids.errors)
    if wants_partial():
        return render(PAGE, "orgs/_members_table.html", status=422,
                      **_table_context(bulk_form=form, selected_ids=selected))
    return render(PAGE, status=422, **_page_context(bulk_form=form, selected_ids=selected))


def _send_invitation(invitation, link):
    """E-mail one invitation; False when no mail server is configured or it failed (the page shows the link)."""
    body = (f"{current_user.display_name} invites you to {g.org.name} on Tessera as {invitation.role.label}.\n\n"
            f"Accept the invitation here: {link}\n\n"
            f"The link works once and expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC.")
    try:
        return send(invitation.email, f"Join {g.org.name} on Tessera", body)
    except OSError:  # smtplib's errors and refused connections alike
        current_app.logger.exception("Could not e-mail the invitation to %s", invitation.email)
        return False


@bp.route("/members/invite", methods=["POST"])
@require("members.invite")
def invite():
    """Invite people by e-mail; the links are also shown once, for sites without a mail server."""
    form = InviteForm()
    if form.validate():
        try:
            issued = services.invite_by_email(current_user, g.org, form.emails.data, form.role.data)
        except Refused as exc:
            apply_refusal(form, exc)
        else:
            sent_links = []
            for invitation, token in issued:
                link = url_for("auth.invite_accept", token=token, _external=True)
                sent_links.append({"invitation": invitation, "url": link, "sent": _send_invitation(invitation, link)})
            if wants_partial():
                return render(PAGE, "orgs/_invites.html", **_invites_context(sent_links=sent_links))
            return render(PAGE, **_page_context(sent_links=sent_links))
    if wants_partial():
        return render(PAGE, "orgs/_invites.html", status=422, **_invites_context(invite_form=form))
    return render(PAGE, status=422, **_page_context(invite_form=form))


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@require("members.invite", load=Invitation, arg="invitation_id")
def invitation_revoke(invitation):
    """Withdraw an e-mail invitation that was not accepted yet."""
    if invitation.kind != Invitation.KIND_EMAIL:
        abort(404)
    services.revoke_invitation(current_user, g.org, invitation)
    if wants_partial():
        return render(PAGE, "orgs/_invite_list.html", **_invites_context())
    flash(f"The invitation to {invitation.email} was withdrawn.", "success")
    return hx_redirect(url_for("orgs.members", org_slug=g.org.slug))


@bp.route("/members/join-link/reset", methods=["POST"])
@require("members.invite")
def join_link_reset():
    """Replace the join link; the old one stops working at once."""
    services.reset_join_link(current_user, g.org)
    context = _join_link_context() if wants_partial() else _page_context()
    context["join_link_reset"] = True
    return render(PAGE, "orgs/_join_link.html", **context)
