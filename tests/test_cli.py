"""Operators' commands, run through Flask's CLI runner against the test database."""
import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEntry
from app.auth.models import User
from app.orgs.models import Organization, OrgMember
from app.security.roles import Role


@pytest.fixture
def cli(app, db):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=list(args), catch_exceptions=False)

    return invoke


def test_seed_demo_fills_an_empty_database_once(cli, db):
    db.session.execute(text("DELETE FROM users"))  # the test database may hold other tests' rows
    result = cli("seed-demo")
    assert result.exit_code == 0, result.output
    assert "owner@demo.local" in result.output
    demo = db.session.execute(select(Organization).where(Organization.slug == "demo")).scalar_one()
    roles = sorted(m.role.value for m in db.session.execute(select(OrgMember).where(OrgMember.org_id == demo.id)).scalars())
    assert roles == ["admin", "annotator", "manager", "owner", "reviewer"]
    # ...and a published project with tasks its Annotator can label at once
    from app.labeling.distribution import next_task
    from app.projects.models import Project

    project = db.session.execute(select(Project).where(Project.org_id == demo.id)).scalar_one()
    annotator = db.session.execute(select(OrgMember).where(OrgMember.org_id == demo.id,
                                                          OrgMember.role == "annotator")).scalar_one().user
    assert project.is_published and next_task(project, annotator).task is not None
    # The printed one-time password signs in.
    line = next(line for line in result.output.splitlines() if "owner@demo.local" in line)
    from app.auth.services import authenticate

    assert authenticate("owner@demo.local", line.split()[-1]) is not None
    again = cli("seed-demo")
    assert "nothing seeded" in again.output


def test_create_org_and_user_commands(cli, db):
    result = cli("create-org", "Northwind", "boss@northwind.example.com", "--slug", "northwind")
    assert result.exit_code == 0, result.output
    assert "one-time password" in result.output
    result = cli("create-user", "ann@northwind.example.com", "northwind", "annotator", "--password", "long enough pw")
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).where(User.email == "ann@northwind.example.com")).scalar_one()
    assert user.memberships[0].role == Role.ANNOTATOR


def test_create_user_refuses_unknown_role_and_duplicate(cli, dummy_org, people):
    result = cli("create-user", "x@example.com", "acme", "superuser")
    assert result.exit_code == 1 and "Unknown role" in result.output
    result = cli("create-user", people["admin"].email.upper(), "acme", "annotator")
    assert result.exit_code == 1 and "already exists" in result.output


def test_create_user_refuses_owner_role(cli, dummy_org):
    result = cli("create-user", "second-owner@example.com", "acme", "owner")
    assert result.exit_code == 1 and "exactly one Owner" in result.output


def test_reset_password(cli, people):
    from app.auth.services import authenticate

    result = cli("reset-password", people["annotator"].email, "--password", "a brand new password")
    assert result.exit_code == 0
    assert authenticate(people["annotator"].email, "a brand new password") is not None


def test_create_site_admin_promotes_existing_account(cli, people):
    result = cli("create-site-admin", people["reviewer"].email)
    assert result.exit_code == 0
    assert people["reviewer"].is_site_admin


def test_audit_verify_passes_then_names_an_edited_entry(cli, db, people):
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "intact" in result.output

    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "member.added").order_by(AuditEntry.id)
    ).scalars().first()
    # An edit made by hand in the database, outside the application.
    db.session.execute(text("UPDATE audit_entries SET actor_email = 'someone-else@example.com' WHERE id = :id"), {"id": entry.id})
    db.session.expire_all()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "TAMPERED" in result.output
    assert f"entry #{entry.id} " in result.output and "content was changed" in result.output


def test_audit_verify_names_a_deleted_entry(cli, db, people):
    entries = db.session.execute(
        select(AuditEntry).where(AuditEntry.chain == f"org:{people['other_org'].id}").order_by(AuditEntry.seq)
    ).scalars().all()
    victim_id, victim_seq = entries[1].id, entries[1].seq
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": victim_id})
    db.session.expire_all()
    result = cli("audit", "verify", "--org", "other")
    assert result.exit_code == 1
    assert f"entries {victim_seq}..{victim_seq} are missing" in result.output


def test_audit_verify_notices_the_last_entry_removed(cli, db, people):
    chain = f"org:{people['other_org'].id}"
    last = db.session.execute(
        select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq.desc())
    ).scalars().first()
    last_id = last.id
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": last_id})
    db.session.expire_all()
    result = cli("audit", "verify", "--org", "other")
    assert result.exit_code == 1 and "missing" in result.output
