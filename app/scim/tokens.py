"""The organization's SCIM bearer tokens: created by the Owner, shown once, stored as SHA-256, revocable."""
import secrets
from datetime import timedelta

from sqlalchemy import select

from app.audit.services import record
from app.auth.services import token_digest
from app.db import utcnow
from app.errors import Refused
from app.extensions import db
from app.orgs.models import Organization
from app.sso.models import ScimToken

#: how stale ``last_used_at`` may get before a request writes it again
TOUCH_INTERVAL = timedelta(minutes=1)


def create_token(actor, org, name="SCIM token"):
    """Return (row, token); the token itself is never stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise Refused("Give the token a name, such as the identity provider that will use it.", "name")
    token = "scim_" + secrets.token_urlsafe(32)
    row = ScimToken(org_id=org.id, name=name[:100], token_hash=token_digest(token), prefix=token[:12], created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record(actor, org, "scim.token_created", target=("scim_token", row.id, row.name), data={"prefix": row.prefix})
    return row, token


def revoke_token(actor, org, row):
    if row.org_id != org.id:
        raise Refused("That token belongs to another organization.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.flush()
        record(actor, org, "scim.token_revoked", target=("scim_token", row.id, row.name), data={"prefix": row.prefix})
    return row


def tokens_of(org):
    return db.session.execute(
        ScimToken.for_org(org).order_by(ScimToken.revoked_at.is_not(None), ScimToken.created_at.desc())
    ).scalars().all()


def org_for_authorization(header):
    """The organization whose live token the ``Authorization: Bearer ...`` header carries, or None."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    row = db.session.execute(select(ScimToken).where(ScimToken.token_hash == token_digest(token))).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > TOUCH_INTERVAL:
        row.last_used_at = now
    return db.session.get(Organization, row.org_id)
