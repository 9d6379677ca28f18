"""Who may still sign in with a password once an organization requires single sign-on."""
from sqlalchemy import select

from app.extensions import db
from app.orgs.models import Organization, OrgMember
from app.security.roles import WORKING_ROLES, Role
from app.sso.models import SsoSettings


def password_refusal(user):
    """Why ``user`` may not sign in with a password set in Tessera, or None.

    While LDAP signs people in, only Owners and the operators (site administrators) keep their password, and an
    organization that requires single sign-on refuses its members' passwords except its Owner's: the break-glass
    ways in for when the directory or the identity provider fails.
    """
    if user is None or user.is_site_admin:
        return None
    from app.sso import ldap

    if ldap.enabled() and not _owns_an_organization(user):
        return "Sign in with your directory account: passwords set in Tessera do not work here."
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


def _owns_an_organization(user):
    return db.session.execute(
        select(OrgMember.id).where(OrgMember.user_id == user.id, OrgMember.role == Role.OWNER).limit(1)
    ).first() is not None
