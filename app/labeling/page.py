"""What the labeling page shows for one task: the interface, and the state the editor starts from.

The state's shape is the contract in docs/labeling-page.md; the plugin runtime reads the same objects.
"""
from flask import g, url_for
from flask_login import current_user
from sqlalchemy import exists, or_, select

from app.api.serializers import iso
from app.db import utcnow
from app.extensions import db
from app.labeling import services
from app.labeling.models import AnnotationDraft, TaskReservation
from app.labeling_config import render_preview
from app.projects.access import role_in_project
from app.security.permissions import can
from app.tasks.models import Annotation, Prediction, TaskAssignment
from app.web.markdown import render_markdown


def manages(project):
    """Managers and above open any task and see, and may edit, every annotation."""
    return can(current_user, g.member, "tasks.manage", project)


def may_open(project, task):
    """Annotators and Reviewers open the tasks that are theirs: answered, drafted, reserved or assigned to
    them, or any task when the project shows them the Data Manager."""
    if manages(project) or can(current_user, g.member, "tasks.view", project):
        return True
    user_id = current_user.id
    return db.session.scalar(select(or_(
        exists().where(TaskReservation.task_id == task.id, TaskReservation.user_id == user_id,
                       TaskReservation.expires_at > utcnow()),
        exists().where(Annotation.task_id == task.id, Annotation.completed_by_id == user_id),
        exists().where(AnnotationDraft.task_id == task.id, AnnotationDraft.user_id == user_id),
        exists().where(TaskAssignment.task_id == task.id, TaskAssignment.user_id == user_id),
    )))


def may_edit(project, annotation):
    return annotation.completed_by_id == current_user.id or manages(project)


def may_draft_for(project, annotation_id):
    """A draft of an edit is kept only for an annotation the person may edit."""
    annotation = db.session.get(Annotation, annotation_id) if annotation_id is not None else None
    return annotation is None or may_edit(project, annotation)


def stream_url(project, task=None, **params):
    if task is not None:
        params["task"] = task.id
    return url_for("labeling.stream", org_slug=g.org.slug, project_id=project.id, **params)


def _annotation_state(project, annotation):
    author = annotation.completed_by
    return {
        "id": annotation.id, "result": annotation.result,
        "completed_by": {"id": author.id, "email": author.email} if author else None,
        "mine": annotation.completed_by_id == current_user.id, "editable": may_edit(project, annotation),
        "was_cancelled": annotation.was_cancelled, "lead_time": annotation.lead_time,
        "created_at": iso(annotation.created_at), "updated_at": iso(annotation.updated_at),
        "update_url": url_for("labeling.update", org_slug=g.org.slug, project_id=project.id,
                              annotation_id=annotation.id),
        "history_url": url_for("labeling.history", org_slug=g.org.slug, project_id=project.id,
                               annotation_id=annotation.id),
    }


def _visible_annotations(project, task):
    query = select(Annotation).where(Annotation.task_id == task.id)
    if not manages(project):
        query = query.where(Annotation.completed_by_id == current_user.id)
    return db.session.scalars(query.order_by(Annotation.id)).all()


def _plugins_state(project):
    """The project's enabled plugins in stack order, when the organization has plugins on.

    The code is not in the state: trusted plugins load as same-origin script files (which the page's policy
    allows without eval) and sandboxed ones are fetched as JSON and posted into their frame; both URLs name the
    revision, so a browser caches each revision once and the state stays small on every task swap.
    """
    from app.plugins.models import Plugin, PluginRevision
    from app.plugins.runtime_views import code_url, valid_origin
    from app.web.csp import allow_connect

    if g.org is None or g.org.plugins_enabled_at is None:
        return []
    rows = db.session.execute(
        select(Plugin, db.func.max(PluginRevision.number))
        .join(PluginRevision, PluginRevision.plugin_id == Plugin.id)
        .where(Plugin.project_id == project.id, Plugin.org_id == g.org.id, Plugin.enabled.is_(True))
        .group_by(Plugin.id).order_by(Plugin.position, Plugin.id)
    ).all()
    out = []
    for plugin, number in rows:
        allowlist = [o for o in (plugin.allowlist or []) if valid_origin(o)]
        entry = {"id": plugin.id, "title": plugin.title, "mode": plugin.mode, "allowlist": allowlist,
                 "revision": number, "code_url": code_url(project, plugin, number)}
        if plugin.mode == "trusted":
            allow_connect(allowlist)
        else:
            entry["frame_url"] = url_for("plugin_runtime.sandbox", allow=allowlist)
        out.append(entry)
    return out


def state(project, task, stream, message=None, selected=None):
    """The editor's starting point (docs/labeling-page.md)."""
    role = role_in_project(g.member, project)
    cfg = services.config_of(project.label_config)
    base = {
        "project": {
            "id": project.id, "title": project.title, "parsed_label_config": cfg.as_parsed_label_config(),
            "allow_skip": bool(task is not None and services.may_skip(project, task, role)),
            "require_skip_comment": project.require_skip_comment, "allow_empty": project.allow_empty_annotations,
            "reveal_predictions": project.reveal_preannotations,
            "show_instructions": project.show_instructions and bool(project.instructions.strip()),
        },
        "user": {"id": current_user.id, "email": current_user.email, "role": role.api_code},
        "stream": stream, "message": message, "task": None, "annotations": [], "selected": None, "draft": None,
        "predictions": [], "readonly": False, "urls": {"next": stream_url(project)},
        "plugins": _plugins_state(project),
    }
    if task is None:
        return base
    annotations = _visible_annotations(project, task)
    own = next((a for a in annotations if a.completed_by_id == current_user.id and not a.was_cancelled), None)
    chosen = selected or own
    draft = services.draft_of(task, current_user)
    predictions = db.session.scalars(select(Prediction).where(Prediction.task_id == task.id)
                                     .order_by(Prediction.score.desc().nulls_last(), Prediction.id)).all()
    base.update({
        "task": {"id": task.id, "inner_id": task.inner_id, "data": task.data},
        "annotations": [_annotation_state(project, a) for a in annotations],
        "selected": chosen.id if chosen else None,
        "readonly": bool(chosen and not may_edit(project, chosen)),
        "draft": {"id": draft.id, "result": draft.result, "lead_time": draft.lead_time,
                  "annotation_id": draft.annotation_id, "updated_at": iso(draft.updated_at)} if draft else None,
        "predictions": [{"id": p.id, "model_version": p.model_version, "score": p.score, "result": p.result}
                        for p in predictions],
    })
    args = {"org_slug": g.org.slug, "project_id": project.id, "task_id": task.id}
    base["urls"].update(submit=url_for("labeling.submit", **args), skip=url_for("labeling.skip", **args),
                        draft=url_for("labeling.save_draft", **args),
                        self=stream_url(project, task) if stream else stream_url(project, task, single=1))
    return base


def context(project, task, stream, message=None, selected=None):
    """Everything labeling/page.html and labeling/_task.html render."""
    interface = render_preview(services.config_of(project.label_config), task.data) if task is not None else ""
    return {
        "project": project, "task": task, "interface": interface, "org_slug": g.org.slug, "message": message,
        "state": state(project, task, stream, message, selected),
        "instructions_html": render_markdown(project.instructions) if project.instructions.strip() else "",
    }
