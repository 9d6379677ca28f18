"""Project visibility per role and the project role that overrides an Annotator's or Reviewer's."""
import pytest

from app.orgs.models import Workspace, WorkspaceMember
from app.projects.access import visible_projects_query
from app.projects.models import Project, ProjectMember, ProjectRole
from app.security.permissions import can
from app.security.roles import Role


@pytest.fixture
def setup(db, dummy_org, people):
    from app.orgs.services import member_of

    shared = db.session.query(Workspace).filter_by(org_id=dummy_org.id, is_sandbox=False).first()
    sandbox = Workspace(org_id=dummy_org.id, name="Sandbox", is_sandbox=True, created_by_id=people["manager"].id)
    db.session.add(sandbox)
    db.session.flush()

    def project(title, workspace, published=True):
        p = Project(org_id=dummy_org.id, workspace_id=workspace.id, title=title, is_published=published)
        db.session.add(p)
        db.session.flush()
        return p

    projects = {
        "published": project("published", shared),
        "draft": project("draft", shared, published=False),
        "sandboxed": project("sandboxed", sandbox),
    }
    db.session.commit()
    members = {who: member_of(dummy_org, people[who]) for who in ("owner", "admin", "manager", "reviewer", "annotator")}
    return shared, projects, members


def _visible(db, org, user, member):
    return {p.title for p in db.session.execute(visible_projects_query(org, user, member)).scalars()}


def test_visibility_before_anyone_is_added(db, dummy_org, people, setup):
    _, _, members = setup
    assert _visible(db, dummy_org, people["owner"], members["owner"]) == {"published", "draft"}
    assert _visible(db, dummy_org, people["admin"], members["admin"]) == {"published", "draft"}
    assert _visible(db, dummy_org, people["manager"], members["manager"]) == {"sandboxed"}
    assert _visible(db, dummy_org, people["annotator"], members["annotator"]) == set()


def test_workspace_members_see_published_projects_managers_see_all(db, dummy_org, people, setup):
    shared, _, members = setup
    for who in ("manager", "annotator", "reviewer"):
        db.session.add(WorkspaceMember(workspace_id=shared.id, user_id=people[who].id))
    db.session.commit()
    assert _visible(db, dummy_org, people["manager"], members["manager"]) == {"published", "draft", "sandboxed"}
    assert _visible(db, dummy_org, people["annotator"], members["annotator"]) == {"published"}


def test_project_role_overrides_annotator_and_reviewer_only(db, dummy_org, people, setup):
    _, projects, members = setup
    project = projects["published"]
    overrides = (("annotator", ProjectRole.REVIEWER), ("reviewer", ProjectRole.ANNOTATOR), ("manager", ProjectRole.ANNOTATOR))
    for who, role in overrides:
        db.session.add(ProjectMember(project_id=project.id, user_id=people[who].id, role=role))
    db.session.commit()
    assert can(people["annotator"], members["annotator"], "review.decide", project)
    assert not can(people["annotator"], members["annotator"], "review.decide", projects["draft"])
    assert not can(people["reviewer"], members["reviewer"], "review.decide", project)
    assert can(people["manager"], members["manager"], "projects.manage", project)  # never downgraded


def test_unpublished_project_is_hidden_from_its_annotators(db, dummy_org, people, setup):
    _, projects, members = setup
    db.session.add(ProjectMember(project_id=projects["draft"].id, user_id=people["annotator"].id))
    db.session.commit()
    assert not can(people["annotator"], members["annotator"], "labeling.annotate", projects["draft"])
    projects["draft"].is_published = True
    db.session.commit()
    assert can(people["annotator"], members["annotator"], "labeling.annotate", projects["draft"])
    assert Role.ANNOTATOR == members["annotator"].role
