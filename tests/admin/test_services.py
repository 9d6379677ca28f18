"""Site administration services, where the operator (no actor) is the caller too."""
import pytest
from sqlalchemy import select

from app.admin.services import create_org_with_owner, grant_site_admin, organizations_overview, revoke_site_admin
from app.audit.models import AuditEntry
from app.auth.models import User
from app.errors import Refused


def test_last_site_admin_cannot_be_revoked(db, site_admin):
    with pytest.raises(Refused, match="last site administrator"):
        revoke_site_admin(None, site_admin)
    assert site_admin.is_site_admin


def test_disabled_site_admins_do_not_count_as_remaining(db, site_admin, create_user):
    other = create_user(is_site_admin=True)
    other.is_active_account = False
    db.session.flush()
    with pytest.raises(Refused, match="last site administrator"):
        revoke_site_admin(None, site_admin)
    revoke_site_admin(site_admin, other)
    assert not other.is_site_admin


def test_grant_then_revoke_by_the_operator(db, site_admin, create_user):
    user = create_user()
    grant_site_admin(None, user.email)
    revoke_site_admin(None, user)
    actions = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.target_id == str(user.id), AuditEntry.chain == "site")
    ).scalars().all()
    assert actions[-2:] == ["user.site_admin_granted", "user.site_admin_revoked"]


def test_grant_refuses_disabled_accounts(db, create_user):
    user = create_user()
    user.is_active_account = False
    with pytest.raises(Refused, match="disabled"):
        grant_site_admin(None, user.email)


def test_create_org_with_owner_reports_refusals_on_the_form_fields(db, site_admin, dummy_org):
    with pytest.raises(Refused) as bad_email:
        create_org_with_owner(site_admin, "X", "nope")
    assert bad_email.value.field == "owner_email"
    with pytest.raises(Refused) as taken:
        create_org_with_owner(site_admin, "X", "x@example.com", slug="acme")
    assert taken.value.field == "slug"


def test_overview_counts(db, people, dummy_org):
    rows = {org.slug: (email, count) for org, email, count in organizations_overview()}
    assert rows["acme"] == (people["owner"].email, 6)
    assert rows["other"] == (people["outsider"].email, 1)
    assert db.session.get(User, people["owner"].id) is not None
