"""Plugins for an organization: the request's state machine, the multi-organization rule, the switch, who edits."""
import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.errors import Refused
from app.notifications.models import Notification
from app.orgs import services as orgs
from app.plugins import access
from app.plugins.models import PluginAccessRequest
from app.security.permissions import can
from app.security.roles import Role

REASON = "We want to check answers before they are saved."


@pytest.fixture
def site_admin(create_user):
    return create_user(email="root@tessera.example.com", is_site_admin=True)


@pytest.fixture
def pending(db, people, dummy_org, dummy_project, site_admin):
    request = access.request_access(people["manager"], dummy_org, REASON, project=dummy_project)
    db.session.commit()
    return request


def _audit(db, action):
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars().all()


def _notes(db, kind):
    return db.session.execute(select(Notification).where(Notification.kind == kind).order_by(Notification.id)).scalars().all()


def _recipients(db, kind):
    return {n.user_id for n in _notes(db, kind)}


def _make_multi_org(people, role=Role.ANNOTATOR, who="annotator"):
    """Make ``who`` of Acme a working member of the other organization too."""
    return orgs.add_member(people["outsider"], people["other_org"], people[who], role)


def _turn_on(db, people, dummy_org, site_admin):
    request = access.request_access(people["manager"], dummy_org, REASON)
    access.approve(site_admin, request)
    db.session.commit()
    return request


# Asking ---------------------------------------------------------------------------------------------------

def test_request_is_pending_audited_and_notified_to_site_admins(db, pending, people, dummy_org, dummy_project, site_admin):
    assert pending.state == "pending" and pending.requested_by_id == people["manager"].id
    assert pending.project_id == dummy_project.id and pending.reason == REASON
    assert access.latest_request(dummy_org).id == pending.id and not access.plugins_on(dummy_org)
    entry = _audit(db, "plugins.access_requested")[-1]
    assert entry.actor_id == people["manager"].id and entry.org_id == dummy_org.id
    assert entry.data["after"] == {"state": "pending", "reason": REASON}
    notes = _notes(db, "plugins.access_requested")
    assert {n.user_id for n in notes} == {site_admin.id}
    assert REASON in notes[0].message and notes[0].link == "/admin/plugin-requests"


@pytest.mark.parametrize("reason,message", [("", "Give a reason"), ("   ", "Give a reason"), ("x" * 2001, "2000")])
def test_request_needs_a_reason(db, people, dummy_org, reason, message):
    with pytest.raises(Refused) as refused:
        access.request_access(people["manager"], dummy_org, reason)
    assert message in refused.value.message and refused.value.field == "reason"
    assert access.latest_request(dummy_org) is None and not _audit(db, "plugins.access_requested")


def test_second_request_is_refused_while_one_is_pending(db, pending, people, dummy_org):
    with pytest.raises(Refused, match="already pending.*" + people["manager"].email):
        access.request_access(people["admin"], dummy_org, "Again")
    assert len(_audit(db, "plugins.access_requested")) == 1


def test_request_is_refused_while_plugins_are_on(db, people, dummy_org, site_admin):
    _turn_on(db, people, dummy_org, site_admin)
    with pytest.raises(Refused, match="already on"):
        access.request_access(people["owner"], dummy_org, REASON)


@pytest.mark.parametrize("who", ["reviewer", "annotator", "pending", "deactivated", "outsider"])
def test_only_managers_and_up_ask(db, people, dummy_org, who):
    with pytest.raises(Refused, match="Manager, Administrator or Owner"):
        access.request_access(people[who], dummy_org, REASON)


@pytest.mark.parametrize("who", ["owner", "admin", "manager"])
def test_managers_and_up_ask(db, people, dummy_org, who):
    assert access.request_access(people[who], dummy_org, REASON).state == "pending"


# Withdrawing ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["manager", "admin", "owner"])
def test_requester_owner_and_admin_withdraw(db, pending, people, site_admin, who):
    access.withdraw(people[who], pending)
    assert pending.state == "withdrawn" and pending.decided_by_id == people[who].id and pending.decided_at
    entry = _audit(db, "plugins.access_withdrawn")[-1]
    assert entry.data == {"before": {"state": "pending"}, "after": {"state": "withdrawn"}}
    assert _recipients(db, "plugins.access_withdrawn") == {site_admin.id}


def test_another_manager_cannot_withdraw(db, pending, dummy_org, add_member):
    other_manager = add_member(dummy_org, Role.MANAGER).user
    assert not access.may_withdraw(other_manager, pending)
    with pytest.raises(Refused, match="Only the person who asked"):
        access.withdraw(other_manager, pending)
    assert pending.state == "pending" and not _audit(db, "plugins.access_withdrawn")


@pytest.mark.parametrize("decide", ["withdraw", "approve", "reject"])
def test_only_a_pending_request_can_be_withdrawn(db, pending, people, site_admin, decide):
    {"withdraw": lambda: access.withdraw(people["manager"], pending),
     "approve": lambda: access.approve(site_admin, pending),
     "reject": lambda: access.reject(site_admin, pending, "No")}[decide]()
    state = pending.state
    with pytest.raises(Refused, match="Only a pending request can be withdrawn"):
        access.withdraw(people["manager"], pending)
    assert pending.state == state


def test_after_withdrawing_one_asks_again(db, pending, people, dummy_org):
    access.withdraw(people["manager"], pending)
    again = access.request_access(people["manager"], dummy_org, "Now really")
    assert access.latest_request(dummy_org).id == again.id and again.state == "pending"


# Deciding -------------------------------------------------------------------------------------------------

def test_approval_switches_plugins_on_audits_and_notifies(db, pending, people, dummy_org, site_admin):
    access.approve(site_admin, pending, note="Enjoy")
    assert pending.state == "approved" and pending.decided_by_id == site_admin.id and pending.decision_reason == "Enjoy"
    assert access.plugins_on(dummy_org) and dummy_org.plugins_enabled_at is not None
    entry = _audit(db, "plugins.access_approved")[-1]
    assert entry.actor_id == site_admin.id and entry.org_id == dummy_org.id and entry.data["note"] == "Enjoy"
    assert entry.data["after"] == {"state": "approved", "plugins_on": True}
    # the requester and the organization's Owners and Admins; nobody else
    assert _recipients(db, "plugins.access_approved") == {people["manager"].id, people["owner"].id, people["admin"].id}


def test_rejection_needs_a_reason_and_is_notified(db, pending, people, dummy_org, site_admin):
    with pytest.raises(Refused, match="Give a reason") as refused:
        access.reject(site_admin, pending, "  ")
    assert refused.value.field == "reason" and pending.state == "pending"
    access.reject(site_admin, pending, "Tell us which checks first.")
    assert pending.state == "rejected" and pending.decision_reason == "Tell us which checks first."
    assert not access.plugins_on(dummy_org)
    assert _audit(db, "plugins.access_rejected")[-1].data["reason"] == "Tell us which checks first."
    assert _recipients(db, "plugins.access_rejected") == {people["manager"].id, people["owner"].id, people["admin"].id}
    notes = _notes(db, "plugins.access_rejected")
    assert "Tell us which checks first." in notes[0].message and notes[0].link == "/o/acme/settings/plugins"


def test_a_rejected_organization_asks_again(db, pending, people, dummy_org, site_admin):
    access.reject(site_admin, pending, "Not yet")
    again = access.request_access(people["admin"], dummy_org, "Here is why")
    assert again.id != pending.id and access.latest_request(dummy_org).id == again.id


@pytest.mark.parametrize("who", ["owner", "admin", "manager"])
def test_only_site_admins_decide(db, pending, people, who):
    with pytest.raises(Refused, match="site administrator"):
        access.approve(people[who], pending)
    with pytest.raises(Refused, match="site administrator"):
        access.reject(people[who], pending, "No")
    assert pending.state == "pending" and not access.plugins_on(pending.org)


@pytest.mark.parametrize("first", ["approve", "reject", "withdraw"])
def test_a_decided_request_cannot_be_decided_again(db, pending, people, site_admin, first):
    {"approve": lambda: access.approve(site_admin, pending),
     "reject": lambda: access.reject(site_admin, pending, "No"),
     "withdraw": lambda: access.withdraw(people["manager"], pending)}[first]()
    state = pending.state
    with pytest.raises(Refused, match="Only a pending request can be approved"):
        access.approve(site_admin, pending)
    with pytest.raises(Refused, match="Only a pending request can be rejected"):
        access.reject(site_admin, pending, "No")
    assert pending.state == state


# The multi-organization rule at approval -------------------------------------------------------------------

def test_approval_is_refused_while_a_member_works_elsewhere(db, pending, people, dummy_org, site_admin):
    _make_multi_org(people, who="annotator")
    _make_multi_org(people, Role.MANAGER, who="reviewer")
    assert [u.email for u in access.multi_org_members(dummy_org)] == sorted(
        [people["annotator"].email, people["reviewer"].email])
    with pytest.raises(Refused) as refused:
        access.approve(site_admin, pending)
    message = refused.value.message
    assert people["annotator"].email in message and people["reviewer"].email in message
    assert "deactivate each of them in one of the organizations" in message
    assert people["manager"].email not in message and "Other" not in message
    assert pending.state == "pending" and not access.plugins_on(dummy_org) and not _audit(db, "plugins.access_approved")
    # resolved: deactivated in one of the two organizations each
    orgs.change_role(people["outsider"], people["other_org"], orgs.member_of(people["other_org"], people["annotator"]),
                     Role.DEACTIVATED)
    orgs.change_role(people["owner"], dummy_org, orgs.member_of(dummy_org, people["reviewer"]), Role.DEACTIVATED)
    access.approve(site_admin, pending)
    assert access.plugins_on(dummy_org)


@pytest.mark.parametrize("role", [Role.PENDING, Role.DEACTIVATED])
def test_non_working_memberships_elsewhere_do_not_count(db, pending, people, dummy_org, site_admin, role):
    _make_multi_org(people, role)
    assert access.multi_org_members(dummy_org) == []
    access.approve(site_admin, pending)
    assert access.plugins_on(dummy_org)


def test_non_working_members_here_do_not_count(db, pending, people, dummy_org, site_admin):
    # Acme's pending and deactivated people work in the other organization: they cannot open Acme's pages
    _make_multi_org(people, who="pending")
    _make_multi_org(people, who="deactivated")
    access.approve(site_admin, pending)
    assert access.plugins_on(dummy_org)


# The multi-organization rule while plugins are on -----------------------------------------------------------

@pytest.fixture
def plugins_on(db, people, dummy_org, site_admin):
    _turn_on(db, people, dummy_org, site_admin)
    return dummy_org


def test_add_member_is_refused_for_someone_working_elsewhere(db, plugins_on, people, dummy_org):
    with pytest.raises(Refused) as refused:
        orgs.add_member(people["owner"], dummy_org, people["outsider"], Role.ANNOTATOR)
    assert people["outsider"].email in refused.value.message and "deactivate" in refused.value.message
    assert orgs.member_of(dummy_org, people["outsider"]) is None
    with pytest.raises(Refused):
        access.check_member_allowed(dummy_org, people["outsider"])


def test_add_member_is_allowed_while_plugins_are_off(db, people, dummy_org):
    orgs.add_member(people["owner"], dummy_org, people["outsider"], Role.ANNOTATOR)
    assert orgs.member_of(dummy_org, people["outsider"]).role == Role.ANNOTATOR


def test_add_member_with_no_other_organization_is_allowed(db, plugins_on, dummy_org, create_user):
    newcomer = create_user()
    access.check_member_allowed(dummy_org, newcomer)
    assert orgs.add_member(None, dummy_org, newcomer, Role.ANNOTATOR).role == Role.ANNOTATOR


def test_invite_is_refused_for_someone_working_elsewhere(db, plugins_on, people, dummy_org):
    with pytest.raises(Refused, match="deactivate"):
        orgs.invite_by_email(people["owner"], dummy_org, people["outsider"].email, "annotator")
    assert db.session.execute(orgs.pending_invitations(dummy_org)).first() is None


def test_invitation_acceptance_is_refused_once_plugins_are_on(db, people, dummy_org, site_admin):
    (invitation, token), = orgs.invite_by_email(people["owner"], dummy_org, people["outsider"].email, "annotator")
    _turn_on(db, people, dummy_org, site_admin)
    with pytest.raises(Refused, match="deactivate"):
        orgs.accept_invitation(token, user=people["outsider"])
    assert orgs.member_of(dummy_org, people["outsider"]) is None


def test_invitation_acceptance_by_a_new_account_is_allowed(db, plugins_on, people, dummy_org):
    (invitation, token), = orgs.invite_by_email(people["owner"], dummy_org, "new@example.com", "annotator")
    member = orgs.accept_invitation(token, email="new@example.com", name="New", password="correct horse battery")
    assert member.role == Role.ANNOTATOR


def test_reactivation_is_refused_for_someone_working_elsewhere(db, plugins_on, people, dummy_org):
    _make_multi_org(people, who="deactivated")
    member = orgs.member_of(dummy_org, people["deactivated"])
    with pytest.raises(Refused, match="deactivate"):
        orgs.change_role(people["owner"], dummy_org, member, Role.ANNOTATOR)
    with pytest.raises(Refused, match="deactivate"):
        orgs.change_roles(people["owner"], dummy_org, [member], Role.ANNOTATOR)
    assert member.role == Role.DEACTIVATED


def test_a_pending_member_gets_no_role_while_working_elsewhere(db, plugins_on, people, dummy_org):
    _make_multi_org(people, who="pending")
    member = orgs.member_of(dummy_org, people["pending"])
    with pytest.raises(Refused, match="deactivate"):
        orgs.change_role(people["owner"], dummy_org, member, Role.REVIEWER)
    assert member.role == Role.PENDING


def test_role_changes_between_working_roles_are_not_checked(db, plugins_on, people, dummy_org):
    member = orgs.member_of(dummy_org, people["annotator"])
    orgs.change_role(people["owner"], dummy_org, member, Role.REVIEWER)
    assert member.role == Role.REVIEWER


def test_joining_elsewhere_is_refused_for_a_member_of_an_organization_with_plugins(db, plugins_on, people):
    """The other direction: Acme has plugins on, so its annotator cannot start working in another organization."""
    with pytest.raises(Refused) as refused:
        orgs.add_member(people["outsider"], people["other_org"], people["annotator"], Role.ANNOTATOR)
    assert people["annotator"].email in refused.value.message
    assert "Acme" not in refused.value.message  # the other organization is not named to this one
    assert orgs.member_of(people["other_org"], people["annotator"]) is None


# The switch -----------------------------------------------------------------------------------------------

def test_switch_off_and_back_on(db, plugins_on, people, dummy_org):
    access.switch_off(people["admin"], dummy_org)
    assert not access.plugins_on(dummy_org)
    assert _audit(db, "plugins.disabled")[-1].actor_id == people["admin"].id
    assert _recipients(db, "plugins.disabled") == {people["owner"].id}  # Owners and Admins, less the actor
    access.switch_on(people["owner"], dummy_org)
    assert access.plugins_on(dummy_org)
    assert _audit(db, "plugins.enabled")[-1].data["before"] == {"plugins_enabled_at": None}
    assert _recipients(db, "plugins.enabled") == {people["admin"].id}


def test_switch_refusals(db, plugins_on, people, dummy_org):
    with pytest.raises(Refused, match="already on"):
        access.switch_on(people["owner"], dummy_org)
    for who in ("manager", "reviewer", "annotator", "outsider"):
        with pytest.raises(Refused, match="Owner or Administrator"):
            access.switch_off(people[who], dummy_org)
    assert access.plugins_on(dummy_org)
    access.switch_off(people["owner"], dummy_org)
    with pytest.raises(Refused, match="already off"):
        access.switch_off(people["owner"], dummy_org)
    with pytest.raises(Refused, match="Owner or Administrator"):
        access.switch_on(people["manager"], dummy_org)
    assert len(_audit(db, "plugins.disabled")) == 1 and not _audit(db, "plugins.enabled")


def test_switch_on_needs_an_earlier_approval(db, pending, people, dummy_org, site_admin):
    with pytest.raises(Refused, match="never been approved"):
        access.switch_on(people["owner"], dummy_org)
    access.reject(site_admin, pending, "No")
    with pytest.raises(Refused, match="never been approved"):
        access.switch_on(people["owner"], dummy_org)
    assert not access.plugins_on(dummy_org)


def test_switch_on_is_refused_while_a_member_works_elsewhere(db, plugins_on, people, dummy_org):
    access.switch_off(people["owner"], dummy_org)
    _make_multi_org(people, who="manager")  # allowed: plugins are off now
    with pytest.raises(Refused) as refused:
        access.switch_on(people["owner"], dummy_org)
    assert people["manager"].email in refused.value.message and "deactivate" in refused.value.message
    assert not access.plugins_on(dummy_org)


# Who may edit plugins -------------------------------------------------------------------------------------

EDITORS = {
    "manager": {"owner": True, "admin": True, "manager": True, "reviewer": False, "annotator": False},
    "admin": {"owner": True, "admin": True, "manager": False, "reviewer": False, "annotator": False},
}


@pytest.mark.parametrize("setting", ["manager", "admin"])
@pytest.mark.parametrize("who", ["owner", "admin", "manager", "reviewer", "annotator"])
def test_plugins_edit_follows_the_permission(db, people, dummy_org, dummy_project, setting, who):
    from app.orgs.models import Workspace
    from app.projects.services import add_project_member

    # everyone can see the project, so only the permission decides
    workspace = db.session.get(Workspace, dummy_project.workspace_id)
    orgs.add_workspace_member(people["owner"], dummy_org, workspace, people["manager"])
    for role in ("reviewer", "annotator"):
        add_project_member(people["owner"], dummy_project, people[role])
    if setting != dummy_org.plugin_editors:
        access.set_plugin_editors(people["owner"], dummy_org, setting)
    member = orgs.member_of(dummy_org, people[who])
    assert can(people[who], member, "projects.view", dummy_project)
    assert can(people[who], member, "plugins.edit", dummy_project) is EDITORS[setting][who]


def test_permissions_change_is_owner_only_and_audited(db, people, dummy_org):
    assert dummy_org.plugin_editors == "manager"  # the default
    for who in ("admin", "manager"):
        with pytest.raises(Refused, match="Only the Owner"):
            access.set_plugin_editors(people[who], dummy_org, "admin")
    with pytest.raises(Refused, match="Choose one of") as refused:
        access.set_plugin_editors(people["owner"], dummy_org, "everyone")
    assert refused.value.field == "plugin_editors" and dummy_org.plugin_editors == "manager"
    access.set_plugin_editors(people["owner"], dummy_org, "admin")
    assert dummy_org.plugin_editors == "admin"
    entry = _audit(db, "org.permissions_changed")[-1]
    assert entry.data == {"before": {"plugin_editors": "manager"}, "after": {"plugin_editors": "admin"}}
    access.set_plugin_editors(people["owner"], dummy_org, "admin")  # unchanged: no second entry
    assert len(_audit(db, "org.permissions_changed")) == 1


def test_requests_for_admin_list_pending_first(db, people, dummy_org, create_org, site_admin):
    first = access.request_access(people["manager"], dummy_org, REASON)
    access.reject(site_admin, first, "No")
    other = create_org(name="Beta", slug="beta")
    waiting = access.request_access(orgs.owner_of(other).user, other, "Please")
    again = access.request_access(people["manager"], dummy_org, "Again")
    listed = access.requests_for_admin()
    assert {r.id for r in listed[:2]} == {waiting.id, again.id} and listed[-1].id == first.id
    assert db.session.execute(select(PluginAccessRequest)).scalars().all()
