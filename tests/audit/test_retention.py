"""Retention: the setting on the audit page, its audit entry, and purging that keeps the chain verifiable."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry, AuditHead, chain_key
from app.audit.services import purge, record, set_retention, verify_chain
from app.db import utcnow
from app.errors import Refused
from app.orgs.models import Organization
from tests.conftest import hx

RETENTION = "/o/acme/audit/retention"


def _changes(db):
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == "audit.retention_changed")
                              .order_by(AuditEntry.seq)).scalars().all()


@pytest.mark.parametrize("who,status", [("owner", 200), ("admin", 200), ("manager", 403), ("reviewer", 403),
                                        ("outsider", 404)])
def test_retention_by_role(client_for, people, who, status):
    assert client_for(people[who]).post(RETENTION, data={"audit_retention_days": "90"}, headers=hx()).status_code == status


def test_set_and_clear_retention_with_audit(db, org_admin_client, people, dummy_org):
    response = org_admin_client.post(RETENTION, data={"audit_retention_days": "90"}, headers=hx())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "Saved." in html and 'value="90"' in html
    assert db.session.get(Organization, dummy_org.id).audit_retention_days == 90
    response = org_admin_client.post(RETENTION, data={"audit_retention_days": ""})
    assert response.status_code == 303 and response.headers["Location"] == "/o/acme/audit"
    db.session.expire_all()
    assert db.session.get(Organization, dummy_org.id).audit_retention_days is None
    changes = _changes(db)
    assert [c.data for c in changes] == [
        {"before": {"retention_days": None}, "after": {"retention_days": 90}},
        {"before": {"retention_days": 90}, "after": {"retention_days": None}},
    ]
    assert changes[0].actor_id == people["admin"].id and changes[0].target_label == dummy_org.name
    # Saving the same value again changes nothing and records nothing.
    org_admin_client.post(RETENTION, data={"audit_retention_days": ""}, headers=hx())
    assert len(_changes(db)) == 2


@pytest.mark.parametrize("value,message", [
    ("29", "between 30 and 3650"), ("3651", "between 30 and 3650"), ("-5", "between 30 and 3650"),
    ("a year", "Not a valid integer"),
])
def test_retention_refusals_are_422(db, owner_client, dummy_org, value, message):
    response = owner_client.post(RETENTION, data={"audit_retention_days": value}, headers=hx())
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and 'id="audit-retention"' in html
    assert 'aria-invalid="true"' in html
    assert db.session.get(Organization, dummy_org.id).audit_retention_days is None
    assert _changes(db) == []
    # Without htmx, the whole audit page comes back with the message.
    page = owner_client.post(RETENTION, data={"audit_retention_days": value})
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True) and message in page.get_data(as_text=True)


def test_retention_needs_the_csrf_token(db, owner_client, dummy_org):
    assert owner_client.post(RETENTION, data={"audit_retention_days": "90"}, csrf=False).status_code == 400
    assert db.session.get(Organization, dummy_org.id).audit_retention_days is None


def test_service_checks_the_range(people, dummy_org):
    with pytest.raises(Refused) as refused:
        set_retention(people["owner"], dummy_org, 10)
    assert refused.value.field == "audit_retention_days"
    assert set_retention(people["owner"], dummy_org, 30).audit_retention_days == 30


def test_purge_keeps_the_chain_verifiable(db, people, dummy_org):
    chain = chain_key(dummy_org.id)
    later = utcnow() + timedelta(days=100)
    # The organization's first entries are "old" when purging a hundred days from now; these two are recent then.
    kept = [record(people["owner"], dummy_org, "org.updated", data={"n": n}, now=later) for n in range(2)]
    old_count = db.session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.chain == chain)
                                   ).scalar() - len(kept)
    db.session.commit()
    assert verify_chain(chain).ok

    deleted = purge(None, dummy_org, older_than_days=30, now=later + timedelta(days=1))
    db.session.commit()
    assert deleted == old_count
    remaining = db.session.execute(select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)
                                   ).scalars().all()
    assert [e.id for e in remaining[:2]] == [e.id for e in kept]
    assert remaining[-1].action == "audit.purged" and remaining[-1].data["deleted"] == old_count
    report = verify_chain(chain)
    assert report.ok and report.checked == 3
    assert db.session.get(AuditHead, chain).anchor_seq == old_count
    # Nothing else is old enough the next time.
    assert purge(None, dummy_org, older_than_days=30, now=later + timedelta(days=1)) == 0


def test_purge_uses_the_org_setting(db, people, dummy_org):
    assert purge(None, dummy_org) == 0  # no retention set: keep forever
    set_retention(people["owner"], dummy_org, 30)
    assert purge(None, dummy_org, now=utcnow() + timedelta(days=31)) > 0
    assert verify_chain(chain_key(dummy_org.id)).ok


def test_purge_then_edit_is_still_detected(db, owner_client, people, dummy_org):
    later = utcnow() + timedelta(days=100)
    entry = record(people["owner"], dummy_org, "org.updated", data={"n": 1}, now=later)
    purge(None, dummy_org, older_than_days=30, now=later + timedelta(days=1))
    db.session.commit()
    assert "Chain intact (2 entries)" in owner_client.get("/o/acme/audit").get_data(as_text=True)
    entry.data = {"n": 2}
    db.session.commit()
    assert "does not verify" in owner_client.get("/o/acme/audit").get_data(as_text=True)
