import io

from sqlalchemy import select

from app.labeling_config import TEMPLATES
from app.projects.models import Project
from tests.conftest import hx


def _url(project, tail=""):
    return f"/o/acme/projects/{project.id}{tail}"


def test_projects_list_shows_only_visible_projects(
    db, owner_client, annotator_client, dummy_project, create_project, dummy_org, people
):
    hidden = create_project(dummy_org, people["owner"], title="Unpublished")
    page = owner_client.get("/o/acme/projects").get_data(as_text=True)
    assert "Sentiment" in page and "Unpublished" in page
    # the Annotator is in no workspace or project yet
    assert "Sentiment" not in annotator_client.get("/o/acme/projects").get_data(as_text=True)
    partial = owner_client.get("/o/acme/projects?q=unpub", headers=hx())
    body = partial.get_data(as_text=True)
    assert "HX-Request" in partial.headers["Vary"]
    assert "<html" not in body and "Unpublished" in body and "Sentiment" not in body
    assert hidden.id


def test_create_from_a_template_opens_the_configuration(db, owner_client, dummy_org):
    from app.orgs.models import Workspace

    workspace = db.session.execute(
        select(Workspace).where(Workspace.org_id == dummy_org.id, Workspace.name == "Default")
    ).scalar_one()
    template = next(t for t in TEMPLATES if "Rectangle" in t.config_xml)
    response = owner_client.post(
        "/o/acme/projects", data={"title": "Boxes", "workspace": workspace.id, "template": template.key}, headers=hx()
    )
    project = db.session.execute(select(Project).where(Project.title == "Boxes")).scalar_one()
    assert response.headers["HX-Redirect"] == f"/o/acme/projects/{project.id}/settings/labeling"
    assert project.label_config == template.config_xml


def test_create_refuses_a_workspace_the_manager_does_not_manage(db, manager_client, dummy_org):
    from app.orgs.models import Workspace

    default = db.session.execute(
        select(Workspace).where(Workspace.org_id == dummy_org.id, Workspace.name == "Default")
    ).scalar_one()
    response = manager_client.post("/o/acme/projects", data={"title": "Mine", "workspace": default.id}, headers=hx())
    assert response.status_code == 422
    assert "workspace" in response.get_data(as_text=True).lower()
    assert db.session.execute(select(Project).where(Project.title == "Mine")).first() is None


def test_general_settings_save_and_refuse(db, owner_client, dummy_project):
    bad = owner_client.post(
        _url(dummy_project, "/settings/general"),
        data={"title": "", "color": "#123456", "workspace": dummy_project.workspace_id},
        headers=hx(),
    )
    assert bad.status_code == 422
    assert "Give the project a title" in bad.get_data(as_text=True)
    ok = owner_client.post(
        _url(dummy_project, "/settings/general"),
        data={"title": "Renamed", "color": "#123456", "workspace": dummy_project.workspace_id, "description": "d"},
        headers=hx(),
    )
    assert ok.status_code == 200 and ok.headers["HX-Redirect"].endswith("/settings")
    db.session.refresh(dummy_project)
    assert (dummy_project.title, dummy_project.color, dummy_project.is_published) == ("Renamed", "#123456", False)


def test_annotation_settings(db, owner_client, dummy_project):
    data = {
        "reservation_minutes": "30",
        "assignment": "manual",
        "ordering": "random",
        "skip_queue": "ignore",
        "require_skip_comment": "y",
        "instructions": "**Read** me",
    }
    response = owner_client.post(_url(dummy_project, "/settings/annotation"), data=data, headers=hx())
    assert response.status_code == 200
    assert "Saved." in response.get_data(as_text=True)
    assert "settings:saved" in response.headers["HX-Trigger"]
    db.session.refresh(dummy_project)
    assert dummy_project.reservation_minutes == 30 and dummy_project.require_skip_comment
    assert dummy_project.allow_skip is False  # an unticked box is off
    overview = owner_client.get(_url(dummy_project)).get_data(as_text=True)
    assert "<strong>Read</strong> me" in overview
    bad = owner_client.post(
        _url(dummy_project, "/settings/annotation"), data={**data, "reservation_minutes": "1441"}, headers=hx()
    )
    assert bad.status_code == 422 and "1 to 1440" in bad.get_data(as_text=True)


def test_quality_settings(db, owner_client, dummy_project):
    data = {
        "overlap": "3",
        "overlap_percentage": "50",
        "limit_count": "",
        "limit_percent": "20",
        "agreement_metric": "exact",
        "agreement_threshold": "70",
        "review_requeue": "remove",
    }
    assert owner_client.post(_url(dummy_project, "/settings/quality"), data=data, headers=hx()).status_code == 200
    db.session.refresh(dummy_project)
    assert (dummy_project.overlap, dummy_project.limit_count, dummy_project.limit_percent) == (3, None, 20)
    assert dummy_project.agreement_settings == {"metric": "exact", "threshold": 70}
    bad = owner_client.post(_url(dummy_project, "/settings/quality"), data={**data, "agreement_metric": "vibes"}, headers=hx())
    assert bad.status_code == 422


def test_labeling_preview_follows_the_configuration(db, owner_client, dummy_project):
    preview = owner_client.post(
        _url(dummy_project, "/settings/labeling/preview"),
        data={"label_config": dummy_project.label_config.replace("Positive", "Glowing")},
        headers=hx(),
    )
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Glowing" in body and "<html" not in body
    broken = owner_client.post(
        _url(dummy_project, "/settings/labeling/preview"), data={"label_config": "<View><Chioces/></View>"}, headers=hx()
    ).get_data(as_text=True)
    assert "Line 1" in broken and "Chioces" in broken


def test_labeling_save_refuses_with_the_located_error_and_keeps_the_text(db, owner_client, dummy_project):
    bad = '<View>\n  <Text name="text" value="$text"/>\n  <Choices name="c" toName="txt"><Choice value="A"/></Choices>\n</View>'
    response = owner_client.post(_url(dummy_project, "/settings/labeling"), data={"label_config": bad}, headers=hx())
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Line 3" in body and "txt" in body
    assert "toName=&#34;txt&#34;" in body or "toName=&quot;txt&quot;" in body  # the typed text is kept in the editor
    db.session.refresh(dummy_project)
    assert 'toName="txt"' not in dummy_project.label_config


def test_template_picker_fills_the_editor_without_saving(db, owner_client, dummy_project):
    template = TEMPLATES[-1]
    page = owner_client.get(_url(dummy_project, f"/settings/labeling?template={template.key}")).get_data(as_text=True)
    assert template.title in page
    db.session.refresh(dummy_project)
    assert dummy_project.label_config != template.config_xml


def test_members_section(db, owner_client, dummy_project, people):
    added = owner_client.post(
        _url(dummy_project, "/settings/members"), data={"user": people["annotator"].id, "role": "reviewer"}, headers=hx()
    )
    assert added.status_code == 200 and people["annotator"].email in added.get_data(as_text=True)
    again = owner_client.post(_url(dummy_project, "/settings/members"), data={"user": people["annotator"].id}, headers=hx())
    assert again.status_code == 422 and "already" in again.get_data(as_text=True)
    outsider = owner_client.post(_url(dummy_project, "/settings/members"), data={"user": people["outsider"].id}, headers=hx())
    assert outsider.status_code == 422


def test_danger_zone(db, owner_client, dummy_project):
    from app.tasks.importing import import_tasks

    import_tasks(None, dummy_project, io.BytesIO(b'{"text": "a"}\n{"text": "b"}\n'), filename="t.jsonl")
    db.session.commit()
    wrong = owner_client.post(_url(dummy_project, "/tasks/drop"), data={"drop-confirm": "nope"}, headers=hx())
    assert wrong.status_code == 422
    dropped = owner_client.post(_url(dummy_project, "/tasks/drop"), data={"drop-confirm": "Sentiment"}, headers=hx())
    assert dropped.status_code == 200
    from app.projects.services import count_tasks

    assert count_tasks(dummy_project) == 0
    assert owner_client.post(_url(dummy_project, "/delete"), data={"confirm": "sentiment"}, headers=hx()).status_code == 422
    deleted = owner_client.post(_url(dummy_project, "/delete"), data={"confirm": "Sentiment"}, headers=hx())
    assert deleted.headers["HX-Redirect"] == "/o/acme/projects"


def test_upload_imports_or_names_the_bad_line(db, owner_client, dummy_project):
    from app.projects.services import count_tasks

    bad = owner_client.post(
        _url(dummy_project, "/import"),
        headers=hx(),
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(b'{"text": "a"}\n{"text": \n'), "tasks.jsonl")},
    )
    assert bad.status_code == 422
    assert "Line 2" in bad.get_data(as_text=True) and count_tasks(dummy_project) == 0
    good = owner_client.post(
        _url(dummy_project, "/import"),
        headers=hx(),
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(b"text\nhello\nworld\n"), "tasks.csv")},
    )
    assert good.status_code == 200 and "Imported 2 tasks" in good.get_data(as_text=True)
    assert count_tasks(dummy_project) == 2


def test_export_download_streams_a_file(db, owner_client, dummy_project):
    from app.tasks.importing import import_tasks

    import_tasks(None, dummy_project, io.BytesIO(b'{"text": "a"}\n'), filename="t.jsonl")
    db.session.commit()
    response = owner_client.get(_url(dummy_project, "/export/download?format=JSONL&tasks=all"))
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert '"text": "a"' in response.get_data(as_text=True) or '"text":"a"' in response.get_data(as_text=True)
