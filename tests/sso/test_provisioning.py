"""Provisioning shared by SAML, SCIM and LDAP: groups to role, workspaces and project roles."""
import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import AuthIdentity
from app.db import utcnow
from app.errors import Refused
from app.orgs.models import OrgMember, WorkspaceMember
from app.orgs.services import create_workspace, member_of
from app.projects.models import ProjectMember
from app.security.roles import Role
from app.sso import provisioning
from app.sso.models import GroupMapping
from app.sso.provisioning import Mapping, Profile, Rule


def _map(db, org, group, kind, **values):
    row = GroupMapping(org_id=org.id, group_name=group, kind=kind, **values)
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def mapped(db, dummy_org, people, create_project):
    """Acme maps "labelers" to Annotator, "leads" to Manager, "vision" to a workspace and a project as reviewer."""
    vision = create_workspace(people["owner"], dummy_org, "Vision")
    project = create_project(dummy_org, people["owner"], title="Boxes", workspace=vision)
    _map(db, dummy_org, "labelers", "role", role=Role.ANNOTATOR)
    _map(db, dummy_org, "leads", "role", role=Role.MANAGER)
    _map(db, dummy_org, "gone", "role", role=Role.DEACTIVATED)
    _map(db, dummy_org, "vision", "workspace", workspace_id=vision.id)
    _map(db, dummy_org, "vision", "project", project_id=project.id, project_role="reviewer")
    db.session.commit()
    return {"workspace": vision, "project": project}


def _sign_in(org, groups, email="new.person@corp.example", identifier=None, **names):
    profile = Profile(email=email, first_name=names.get("first", "Ada"), last_name=names.get("last", "Lovelace"),
                      groups=groups)
    return provisioning.sign_in(org, profile, provider=f"saml:{org.id}", identifier=identifier or email)


def test_the_highest_mapped_role_wins():
    mapping = Mapping([Rule("a", "role", Role.ANNOTATOR), Rule("m", "role", Role.MANAGER), Rule("r", "role", Role.REVIEWER)])
    assert mapping.resolve(["a", "r"]).role == Role.REVIEWER
    assert mapping.resolve(["a", "m", "r"]).role == Role.MANAGER
    assert mapping.resolve(["unknown"]).role is None
    assert mapping.resolve(None).role is None


def test_project_roles_prefer_the_stronger_mapping():
    mapping = Mapping([Rule("a", "project", project_id=1, project_role="annotator"),
                       Rule("b", "project", project_id=1, project_role="reviewer"),
                       Rule("c", "project", project_id=2, project_role=None)])
    assert mapping.resolve(["a", "b", "c"]).project_roles == {1: "reviewer", 2: None}
    assert mapping.resolve(["a"]).project_roles == {1: "annotator"}


def test_first_sign_in_creates_account_membership_workspace_and_project_role(db, dummy_org, mapped):
    user, member = _sign_in(dummy_org, ["labelers", "vision"])
    db.session.commit()
    assert (user.email, user.name, user.first_name, user.last_name) == (
        "new.person@corp.example", "Ada Lovelace", "Ada", "Lovelace")
    assert user.password_hash is None
    assert member.role == Role.ANNOTATOR
    assert db.session.execute(select(WorkspaceMember).where(
        WorkspaceMember.user_id == user.id, WorkspaceMember.workspace_id == mapped["workspace"].id)).scalar_one()
    link = db.session.execute(select(ProjectMember).where(
        ProjectMember.user_id == user.id, ProjectMember.project_id == mapped["project"].id)).scalar_one()
    assert link.role.value == "reviewer"
    identity = db.session.execute(select(AuthIdentity).where(AuthIdentity.user_id == user.id)).scalar_one()
    assert (identity.provider, identity.identifier) == (f"saml:{dummy_org.id}", "new.person@corp.example")
    actions = [e.action for e in db.session.execute(
        select(AuditEntry).where(AuditEntry.org_id == dummy_org.id).order_by(AuditEntry.seq)).scalars()]
    for expected in ("user.created", "sso.identity_linked", "member.added", "workspace.member_added",
                     "project.member_added", "auth.login_succeeded"):
        assert expected in actions


def test_later_sign_in_follows_the_groups(db, dummy_org, mapped):
    user, _ = _sign_in(dummy_org, ["labelers", "vision"])
    db.session.commit()
    user, member = _sign_in(dummy_org, ["leads"], first="Augusta")
    db.session.commit()
    assert member.role == Role.MANAGER
    assert user.name == "Augusta Lovelace"
    # the mapped workspace and project are left, since no group of theirs maps to them any more
    assert db.session.execute(select(WorkspaceMember).where(WorkspaceMember.user_id == user.id)).first() is None
    assert db.session.execute(select(ProjectMember).where(ProjectMember.user_id == user.id)).first() is None


def test_unmapped_workspaces_are_left_alone(db, dummy_org, mapped, people):
    from app.orgs.services import add_workspace_member

    user, _ = _sign_in(dummy_org, ["labelers"])
    manual = create_workspace(people["owner"], dummy_org, "Hand-picked")
    add_workspace_member(people["owner"], dummy_org, manual, user)
    db.session.commit()
    _sign_in(dummy_org, ["labelers"])
    assert db.session.execute(select(WorkspaceMember).where(
        WorkspaceMember.user_id == user.id, WorkspaceMember.workspace_id == manual.id)).scalar_one()


def test_groups_without_a_role_keep_the_role(db, dummy_org, mapped):
    _sign_in(dummy_org, ["leads"])
    db.session.commit()
    _, member = _sign_in(dummy_org, ["vision"])
    assert member.role == Role.MANAGER


def test_managing_roles_in_tessera_keeps_them(db, dummy_org, mapped):
    _sign_in(dummy_org, ["labelers"])
    provisioning.settings_of(dummy_org).manage_roles_in_tessera = True
    db.session.commit()
    user, member = _sign_in(dummy_org, ["leads", "vision"], first="Changed")
    assert member.role == Role.ANNOTATOR
    assert user.first_name == "Changed"  # names still follow the identity provider
    assert db.session.execute(select(WorkspaceMember).where(WorkspaceMember.user_id == user.id)).first() is None


def test_no_mapped_group_is_refused_and_creates_nothing(db, dummy_org, mapped):
    with pytest.raises(Refused, match="None of your groups gives you a role in Acme"):
        _sign_in(dummy_org, ["strangers"], email="nobody@corp.example")
    from app.auth.services import user_by_email

    assert user_by_email("nobody@corp.example") is None


def test_deactivated_member_is_refused_unless_the_groups_give_a_role(db, dummy_org, mapped, people):
    deactivated = people["deactivated"]
    with pytest.raises(Refused, match="deactivated"):
        _sign_in(dummy_org, ["vision"], email=deactivated.email)
    _, member = _sign_in(dummy_org, ["labelers"], email=deactivated.email)
    assert member.role == Role.ANNOTATOR  # the identity provider is the source of roles


def test_a_deactivating_group_refuses_and_changes_nothing(db, dummy_org, mapped, people):
    with pytest.raises(Refused, match="deactivate"):
        _sign_in(dummy_org, ["gone"], email=people["annotator"].email)
    assert member_of(dummy_org, people["annotator"]).role == Role.ANNOTATOR


def test_disabled_account_is_refused(db, dummy_org, mapped, people):
    people["annotator"].is_active_account = False
    with pytest.raises(Refused, match="disabled"):
        _sign_in(dummy_org, ["labelers"], email=people["annotator"].email)


def test_the_owner_keeps_ownership(db, dummy_org, mapped, people):
    _, member = _sign_in(dummy_org, ["labelers"], email=people["owner"].email)
    assert member.role == Role.OWNER


def test_plugin_rule_refuses_a_member_of_another_organization(db, dummy_org, mapped, people):
    dummy_org.plugins_enabled_at = utcnow()
    db.session.commit()
    outsider = people["outsider"]  # works (as Owner) in another organization
    with pytest.raises(Refused, match="another organization|other organization|Plugins|plugins"):
        _sign_in(dummy_org, ["labelers"], email=outsider.email)
    assert member_of(dummy_org, outsider) is None


def test_an_identity_belongs_to_one_account(db, dummy_org, mapped, people):
    _sign_in(dummy_org, ["labelers"], email="first@corp.example", identifier="id-1")
    db.session.commit()
    # the same identifier later arrives with another address: it still means the first account
    user, _ = _sign_in(dummy_org, ["labelers"], email="renamed@corp.example", identifier="id-1")
    assert user.email == "first@corp.example"


def test_deprovision_keeps_the_membership_deactivated(db, dummy_org, people):
    member = db.session.execute(select(OrgMember).where(
        OrgMember.org_id == dummy_org.id, OrgMember.user_id == people["annotator"].id)).scalar_one()
    provisioning.deprovision(dummy_org, member)
    assert member.role == Role.DEACTIVATED and member.deprovisioned_at is not None
    owner = member_of(dummy_org, people["owner"])
    with pytest.raises(Refused, match="Owner"):
        provisioning.deprovision(dummy_org, owner)


def test_the_members_list_shows_who_the_identity_provider_knows(db, dummy_org, mapped, people, client_for):
    user, _ = _sign_in(dummy_org, ["labelers"])
    # an identity with another organization's provider is not Acme's business
    provisioning.link_identity(people["other_org"], people["annotator"], f"saml:{people['other_org'].id}", "x")
    db.session.commit()
    page = client_for(people["owner"]).get(f"/o/{dummy_org.slug}/members").get_data(as_text=True)
    row = page[page.index(f'id="member-{member_of(dummy_org, user).id}"'):]
    badge = '<span class="badge" title="Known to the organization\'s identity provider (SSO)">SSO</span>'
    assert badge in row[:row.index("</tr>")]
    other = page[page.index(f'id="member-{member_of(dummy_org, people["annotator"]).id}"'):]
    assert ">SSO</span>" not in other[:other.index("</tr>")]
