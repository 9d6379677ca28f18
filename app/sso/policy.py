"""Who may still sign in with a password once an organization requires single sign-on."""
from sqlalchemy import select

from app.extensions import db
from app.orgs.models import Organization, OrgMember
from app.security.roles import WORKING_ROLES, Role
from app.sso.models import SsoSettings


def password_refusal(user):
    """Why ``user`` may not sign in with a password, or None.

    An organization that requires single sign-on refuses its members' passwords; its Owner keeps the password
    as the break-glass way in (an identity provider can break), and so do the operators (site administrators).
    """
    if user is None or user.is_site_admin:
        return None
    names = db.session.execute(
        select(Organization.name)
        .join(SsoSettings, SsoSettings.org_id == Organization.id)
        .join(OrgMember, OrgMember.org_id == Organization.id)
        .where(OrgMember.user_id == user.id, OrgMember.role.in_(WORKING_ROLES - {Role.OWNER}),
               SsoSettings.enabled.is_(True), SsoSettings.require_sso.is_(True))
        .order_by(Organization.name)
    ).scalars().all()
    if not names:
        return None
    return (f"{', '.join(names)} requires single sign-on. Use “Sign in with single sign-on” and your company "
            f"account instead of a password.")
