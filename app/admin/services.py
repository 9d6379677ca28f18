"""Site administration: organizations with their Owners, and who administers the site."""
import secrets

from sqlalchemy import func, select

from app.audit.services import record
from app.auth.models import User
from app.auth.services import create_user, normalize_email, user_by_email
from app.errors import Refused
from app.extensions import db
from app.orgs.models import Organization, OrgMember
from app.orgs.services import create_org
from app.security.roles import Role


def organizations_overview():
    """Every organization with its Owner's e-mail and how many people (not deactivated) belong to it."""
    owner_email = (
        select(User.email)
        .join(OrgMember, OrgMember.user_id == User.id)
        .where(OrgMember.org_id == Organization.id, OrgMember.role == Role.OWNER)
        .scalar_subquery()
    )
    member_count = (
        select(func.count(OrgMember.id))
        .where(OrgMember.org_id == Organization.id, OrgMember.role != Role.DEACTIVATED)
        .scalar_subquery()
    )
    return db.session.execute(
        select(Organization, owner_email.label("owner_email"), member_count.label("member_count"))
        .order_by(func.lower(Organization.name), Organization.id)
    ).all()


def create_org_with_owner(actor, name, owner_email, owner_name="", slug=None):
    """Create an organization and, when the Owner has no account yet, the account.

    Returns ``(org, owner, one_time_password)``; the password is None for an existing account and is never
    stored in clear, so the caller shows it once.
    """
    try:
        email = normalize_email(owner_email)
    except Refused as exc:
        raise Refused(exc.message, "owner_email") from None
    owner = user_by_email(email)
    password = None
    if owner is None:
        password = secrets.token_urlsafe(12)
        owner = create_user(actor, email, name=owner_name, password=password)
    elif not owner.is_active:
        raise Refused(f"The account {email} is disabled; it cannot own an organization.", "owner_email")
    org = create_org(actor, name, owner, slug=slug)
    return org, owner, password


def site_admins():
    return db.session.execute(
        select(User).where(User.is_site_admin.is_(True)).order_by(func.lower(User.email))
    ).scalars().all()


def grant_site_admin(actor, email):
    """Make an existing account a site administrator (it gains no organization by it)."""
    user = user_by_email(email)
    if user is None:
        raise Refused(f"No account has the e-mail {(email or '').strip()}. Create it first, e.g. as an Owner.", "email")
    if user.is_site_admin:
        raise Refused(f"{user.email} is already a site administrator.", "email")
    if not user.is_active:
        raise Refused(f"The account {user.email} is disabled.", "email")
    user.is_site_admin = True
    db.session.flush()
    record(actor, None, "user.site_admin_granted", target=user,
           data={"before": {"site_admin": False}, "after": {"site_admin": True}})
    return user


def revoke_site_admin(actor, user):
    """Take the flag away; nobody revokes themself, and an active site administrator always remains."""
    if not user.is_site_admin:
        raise Refused(f"{user.email} is not a site administrator.")
    if actor is not None and user.id == actor.id:
        raise Refused("You cannot revoke your own site administration; ask another site administrator.")
    others = db.session.execute(
        select(func.count(User.id)).where(
            User.is_site_admin.is_(True), User.is_active_account.is_(True), User.id != user.id
        )
    ).scalar()
    if not others:
        raise Refused(f"{user.email} is the last site administrator; grant the role to someone else first.")
    user.is_site_admin = False
    db.session.flush()
    record(actor, None, "user.site_admin_revoked", target=user,
           data={"before": {"site_admin": True}, "after": {"site_admin": False}})
    return user
