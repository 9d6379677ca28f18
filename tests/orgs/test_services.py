"""Rules of memberships, roles, ownership, invitations and the join link, at the service level."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.db import utcnow
from app.errors import Refused
from app.orgs import services
from app.orgs.models import OrgMember
from app.security.roles import Role


@pytest.fixture
def member(db, dummy_org):
    """The membership of ``user`` in Acme."""

    def find(user):
        return services.member_of(dummy_org, user)

    return find


def _actions(db, org, action):
    return db.session.execute(
        select(AuditEntry).where(AuditEntry.org_id == org.id, AuditEntry.action == action).order_by(AuditEntry.seq)
    ).scalars().all()


# Role changes ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.ADMIN, Role.ANNOTATOR, Role.DEACTIVATED, Role.PENDING])
def test_owner_cannot_be_demoted_or_deactivated(db, people, dummy_org, member, role):
    owner = member(people["owner"])
    with pytest.raises(Refused, match="Owner's role cannot be changed"):
        services.change_role(people["admin"], dummy_org, owner, role)
    assert owner.role == Role.OWNER


def test_nobody_is_made_owner_by_a_role_change(db, people, dummy_org, member):
    for actor in (people["owner"], people["admin"]):
        target = member(people["manager"])
        with pytest.raises(Refused, match="Nobody can be made Owner") as exc:
            services.change_role(actor, dummy_org, target, "owner")
        assert exc.value.field == "role" and target.role == Role.MANAGER
    assert services.owner_of(dummy_org).user_id == people["owner"].id


def test_self_deactivation_is_refused(db, people, dummy_org, member):
    me = member(people["admin"])
    with pytest.raises(Refused, match="cannot deactivate yourself"):
        services.change_role(people["admin"], dummy_org, me, Role.DEACTIVATED)
    assert me.role == Role.ADMIN


def test_unknown_role_is_refused(db, people, dummy_org, member):
    with pytest.raises(Refused, match="Unknown role 'boss'"):
        services.change_role(people["admin"], dummy_org, member(people["annotator"]), "boss")


def test_role_change_is_audited_with_before_and_after(db, people, dummy_org, member):
    target = member(people["annotator"])
    services.change_role(people["admin"], dummy_org, target, "reviewer")
    services.change_role(people["admin"], dummy_org, target, Role.DEACTIVATED)
    services.change_role(people["admin"], dummy_org, target, Role.MANAGER)
    changed, deactivated, reactivated = (_actions(db, dummy_org, a)[-1] for a in
                                         ("member.role_changed", "member.deactivated", "member.reactivated"))
    assert changed.data == {"before": {"role": "annotator"}, "after": {"role": "reviewer"}}
    assert deactivated.data == {"before": {"role": "reviewer"}, "after": {"role": "deactivated"}}
    assert reactivated.data == {"before": {"role": "deactivated"}, "after": {"role": "manager"}}
    assert changed.target_id == str(people["annotator"].id) and changed.actor_id == people["admin"].id


def test_same_role_changes_nothing(db, people, dummy_org, member):
    before = len(_actions(db, dummy_org, "member.role_changed"))
    services.change_role(people["admin"], dummy_org, member(people["manager"]), "manager")
    assert len(_actions(db, dummy_org, "member.role_changed")) == before


def test_bulk_change_is_all_or_nothing(db, people, dummy_org, member):
    chosen = [member(people[k]) for k in ("annotator", "reviewer", "owner")]
    with pytest.raises(Refused, match=people["owner"].email):
        services.change_roles(people["admin"], dummy_org, chosen, "manager")
    assert [m.role for m in chosen] == [Role.ANNOTATOR, Role.REVIEWER, Role.OWNER]
    assert not _actions(db, dummy_org, "member.role_changed")

    changed = services.change_roles(people["admin"], dummy_org, chosen[:2], "manager")
    assert {m.role for m in changed} == {Role.MANAGER}
    assert len(_actions(db, dummy_org, "member.role_changed")) == 2


def test_bulk_change_runs_membership_guards_before_changing_anyone(db, people, dummy_org, member):
    pending, annotator = member(people["pending"]), member(people["annotator"])
    blocked = people["pending"].id
    guard = lambda org, user, role: "No seats left." if user.id == blocked else None  # noqa: E731
    services.MEMBERSHIP_GUARDS.append(guard)
    try:
        with pytest.raises(Refused, match="No seats left"):
            services.change_roles(people["admin"], dummy_org, [annotator, pending], "reviewer")
    finally:
        services.MEMBERSHIP_GUARDS.remove(guard)
    assert annotator.role == Role.ANNOTATOR and pending.role == Role.PENDING


def test_bulk_change_needs_members_and_refuses_self_deactivation(db, people, dummy_org, member):
    with pytest.raises(Refused, match="Select at least one member"):
        services.change_roles(people["admin"], dummy_org, [], "manager")
    with pytest.raises(Refused, match="cannot deactivate yourself"):
        services.change_roles(people["admin"], dummy_org, [member(people["annotator"]), member(people["admin"])],
                              "deactivated")
    assert member(people["annotator"]).role == Role.ANNOTATOR


def test_search_members_by_text_and_role(db, people, dummy_org, create_user, add_member):
    add_member(dummy_org, Role.ANNOTATOR, user=create_user(email="zed_under@example.com", name="Zed Percent%"))

    def emails(**kw):
        return [m.user.email for m in db.session.execute(services.search_members(dummy_org, **kw)).scalars()]

    assert emails(text="ZED") == ["zed_under@example.com"]
    assert emails(text="percent%") == ["zed_under@example.com"]
    assert emails(text="d_u") == ["zed_under@example.com"]  # "_" is a letter here, not a wildcard
    assert emails(text="%") == ["zed_under@example.com"]
    assert emails(role="deactivated") == [people["deactivated"].email]
    assert len(emails()) == 8
    assert people["outsider"].email not in emails()
    with pytest.raises(Refused, match="Unknown role"):
        emails(role="chief")


# Ownership ------------------------------------------------------------------------------------------------

def test_transfer_only_by_the_owner(db, people, dummy_org, member):
    with pytest.raises(Refused, match="Only the Owner"):
        services.transfer_ownership(people["admin"], dummy_org, member(people["admin"]))
    assert services.owner_of(dummy_org).user_id == people["owner"].id


def test_transfer_makes_the_old_owner_an_admin(db, people, dummy_org, member):
    services.transfer_ownership(people["owner"], dummy_org, member(people["reviewer"]))
    assert member(people["reviewer"]).role == Role.OWNER
    assert member(people["owner"]).role == Role.ADMIN
    entry = _actions(db, dummy_org, "org.owner_transferred")[-1]
    assert entry.data["before"] == {"owner": people["owner"].email, "new_owner_role": "reviewer"}
    assert entry.data["after"] == {"owner": people["reviewer"].email, "previous_owner_role": "admin"}
    owners = db.session.execute(
        select(OrgMember).where(OrgMember.org_id == dummy_org.id, OrgMember.role == Role.OWNER)
    ).scalars().all()
    assert len(owners) == 1


@pytest.mark.parametrize("who", ["pending", "deactivated"])
def test_transfer_only_to_an_active_member(db, people, dummy_org, member, who):
    with pytest.raises(Refused, match="active member") as exc:
        services.transfer_ownership(people["owner"], dummy_org, member(people[who]))
    assert exc.value.field == "member_id"
    assert services.owner_of(dummy_org).user_id == people["owner"].id


# The organization -----------------------------------------------------------------------------------------

def test_rename_org_is_audited(db, people, dummy_org):
    services.rename_org(people["admin"], dummy_org, "  Acme Labs ")
    assert dummy_org.name == "Acme Labs" and dummy_org.slug == "acme"
    entry = _actions(db, dummy_org, "org.updated")[-1]
    assert entry.data == {"before": {"name": "Acme"}, "after": {"name": "Acme Labs"}}
    assert entry.actor_id == people["admin"].id


@pytest.mark.parametrize("name,message", [("   ", "Give the organization a name"), ("x" * 201, "under 200")])
def test_rename_org_refuses_bad_names(db, people, dummy_org, name, message):
    with pytest.raises(Refused, match=message) as exc:
        services.rename_org(people["admin"], dummy_org, name)
    assert exc.value.field == "name" and dummy_org.name == "Acme"


# Invitations and the join link ----------------------------------------------------------------------------

def test_invitation_is_accepted_once_with_its_role(db, people, dummy_org):
    (invitation, token), = services.invite_by_email(people["admin"], dummy_org, "New.Person@Example.com", "reviewer")
    assert invitation.email == "new.person@example.com"
    membership = services.accept_invitation(token, name="New Person", password="a long password")
    assert membership.role == Role.REVIEWER
    with pytest.raises(Refused, match="already been used"):
        services.find_invitation(token)
    assert _actions(db, dummy_org, "invitation.accepted")


def test_expired_invitation_is_refused(db, people, dummy_org):
    (invitation, token), = services.invite_by_email(people["admin"], dummy_org, "late@example.com", "annotator")
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    with pytest.raises(Refused, match="has expired"):
        services.accept_invitation(token, name="Late", password="a long password")


def test_revoked_invitation_is_refused(db, people, dummy_org):
    (invitation, token), = services.invite_by_email(people["admin"], dummy_org, "gone@example.com", "annotator")
    services.revoke_invitation(people["admin"], dummy_org, invitation)
    with pytest.raises(Refused, match="withdrawn"):
        services.accept_invitation(token, name="Gone", password="a long password")
    assert _actions(db, dummy_org, "invitation.revoked")[-1].target_label == "gone@example.com"
    assert invitation not in db.session.execute(services.pending_invitations(dummy_org)).scalars().all()


def test_unknown_invitation_token_is_refused(db):
    with pytest.raises(Refused, match="not valid"):
        services.find_invitation("no-such-token")


def test_invite_refuses_members_and_pending_duplicates(db, people, dummy_org):
    with pytest.raises(Refused, match="already a member") as exc:
        services.invite_by_email(people["admin"], dummy_org, f"fresh@example.com, {people['manager'].email}", "annotator")
    assert exc.value.field == "emails"
    assert not db.session.execute(services.pending_invitations(dummy_org)).scalars().all()  # all or nothing

    services.invite_by_email(people["admin"], dummy_org, "twice@example.com", "annotator")
    with pytest.raises(Refused, match="already has a pending invitation"):
        services.invite_by_email(people["admin"], dummy_org, "TWICE@example.com", "manager")
    # the same address twice in one request is one invitation
    issued = services.invite_by_email(people["admin"], dummy_org, "dup@example.com dup@example.com", "annotator")
    assert len(issued) == 1


@pytest.mark.parametrize("emails,role,message,field", [
    ("", "annotator", "at least one", "emails"),
    ("not-an-address", "annotator", "not a valid e-mail", "emails"),
    ("x@example.com", "owner", "Invitations can give the roles", "role"),
    ("x@example.com", "deactivated", "Invitations can give the roles", "role"),
])
def test_invite_validation(db, people, dummy_org, emails, role, message, field):
    with pytest.raises(Refused, match=message) as exc:
        services.invite_by_email(people["admin"], dummy_org, emails, role)
    assert exc.value.field == field


def test_join_link_joins_as_pending_and_is_dead_after_reset(db, people, dummy_org):
    link = services.join_link(people["admin"], dummy_org)
    assert services.join_link(people["admin"], dummy_org).id == link.id  # stable until reset
    membership = services.accept_invitation(link.link_token, email="linked@example.com", name="L",
                                            password="a long password")
    assert membership.role == Role.PENDING

    new = services.reset_join_link(people["admin"], dummy_org)
    assert new.link_token != link.link_token
    with pytest.raises(Refused, match="reset or withdrawn"):
        services.accept_invitation(link.link_token, email="late@example.com", name="L", password="a long password")
    assert services.find_invitation(new.link_token).id == new.id
    assert _actions(db, dummy_org, "join_link.reset")[-1].data == {"revoked": link.id}


# What roles mean on the organization's pages -------------------------------------------------------------

def test_deactivated_member_keeps_audit_entries_and_gets_404(db, people, dummy_org, member, client_for):
    from app.audit.services import record

    annotator = people["annotator"]
    record(annotator, dummy_org, "user.updated", target=annotator, data={"after": {"name": "A"}})
    services.change_role(people["admin"], dummy_org, member(annotator), "deactivated")
    db.session.commit()
    theirs = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.org_id == dummy_org.id, AuditEntry.target_id == str(annotator.id))
    ).scalars().all()
    assert "user.updated" in theirs and "member.deactivated" in theirs
    assert member(annotator) is not None  # the membership stays, only its role changed
    client = client_for(annotator)
    assert client.get("/o/acme/").status_code == 404
    assert client.get("/o/acme/members").status_code == 404


def test_pending_member_is_redirected_to_the_waiting_page(db, people, client_for):
    client = client_for(people["pending"])
    response = client.get("/o/acme/members")
    assert response.status_code == 302 and response.headers["Location"] == "/o/acme/pending"
