"""Projects through the JSON API, in the model product's shapes (api-compat §2)."""
from flask import g, jsonify, request
from flask_login import current_user
from sqlalchemy import func, select

from app.api.pagination import paginate
from app.api.serializers import iso, split_name
from app.api.views import bp, json_body
from app.errors import Refused
from app.extensions import db
from app.orgs.models import Workspace
from app.orgs.services import ensure_sandbox
from app.projects import services
from app.projects.access import visible_projects_query
from app.projects.models import Ordering, Project, SkipQueue
from app.security.decorators import require
from app.security.permissions import can

SAMPLING = {Ordering.BY_ID: "Sequential sampling", Ordering.RANDOM: "Uniform sampling",
            Ordering.UNCERTAINTY: "Uncertainty sampling"}
SKIP_QUEUE = {SkipQueue.REQUEUE_TO_ME: "REQUEUE_FOR_ME", SkipQueue.REQUEUE_TO_OTHERS: "REQUEUE_FOR_OTHERS",
              SkipQueue.IGNORE: "IGNORE_SKIPPED"}

#: the model product's field -> (our setting, from API value, to API value)
FIELDS = {
    "title": ("title", None, None),
    "description": ("description", None, None),
    "color": ("color", None, None),
    "expert_instruction": ("instructions", None, None),
    "show_instruction": ("show_instructions", None, None),
    "show_skip_button": ("allow_skip", None, None),
    "enable_empty_annotation": ("allow_empty_annotations", None, None),
    "maximum_annotations": ("overlap", None, None),
    "is_published": ("is_published", None, None),
    "model_version": ("model_version", None, None),
    "show_overlap_first": ("show_overlap_first", None, None),
    "overlap_cohort_percentage": ("overlap_percentage", None, None),
    "reveal_preannotations_interactively": ("reveal_preannotations", None, None),
    "sampling": ("ordering", {v: k for k, v in SAMPLING.items()}.get, SAMPLING.get),
    "skip_queue": ("skip_queue", {v: k for k, v in SKIP_QUEUE.items()}.get, SKIP_QUEUE.get),
}


def _counters(project):
    from app.tasks.models import Task

    tasks, with_annotations, annotations, skipped, predictions, finished = db.session.execute(
        select(func.count(Task.id), func.count(Task.id).filter(Task.total_annotations > 0),
               func.coalesce(func.sum(Task.total_annotations), 0), func.coalesce(func.sum(Task.cancelled_annotations), 0),
               func.coalesce(func.sum(Task.total_predictions), 0), func.count(Task.id).filter(Task.is_labeled))
        .where(Task.project_id == project.id)
    ).one()
    return {"task_number": tasks, "num_tasks_with_annotations": with_annotations, "total_annotations_number": annotations,
            "skipped_annotations_number": skipped, "total_predictions_number": predictions,
            "finished_task_number": finished, "useful_annotation_number": annotations, "ground_truth_number": 0,
            "queue_total": tasks, "queue_done": finished}


def _creator(user):
    if user is None:
        return None
    first, last = split_name(user)
    return {"id": user.id, "email": user.email, "first_name": first, "last_name": last, "avatar": None}


def serialize(project, counters=True):
    """A project as the model product returns it; counters are null in a create response, as there."""
    from app.labeling_config import ConfigInvalid, parse_config

    try:
        parsed = parse_config(project.label_config).as_parsed_label_config()
    except ConfigInvalid:
        parsed = {}
    creator = project.created_by
    data = {
        "id": project.id, "organization": project.org_id, "workspace": project.workspace_id,
        "label_config": project.label_config, "parsed_label_config": parsed, "config_has_control_tags": bool(parsed),
        "created_by": _creator(creator),
        "created_at": iso(project.created_at), "updated_at": iso(project.updated_at), "is_draft": False,
        "min_annotations_to_start_training": 0, "show_collab_predictions": True, "show_ground_truth_first": False,
        "show_annotation_history": False, "pinned_at": None, "state": None,
        "control_weights": {name: {"overall": 1.0, "type": c["type"], "labels": {label: 1.0 for label in c["labels"]}}
                            for name, c in parsed.items()},
    }
    for api_name, (ours, _, to_api) in FIELDS.items():
        value = getattr(project, ours)
        data[api_name] = to_api(value) if to_api else value
    if counters:
        data.update(_counters(project))
    else:
        data.update(dict.fromkeys(("task_number", "num_tasks_with_annotations", "total_annotations_number",
                                   "skipped_annotations_number", "total_predictions_number", "finished_task_number",
                                   "useful_annotation_number", "ground_truth_number"), None))
        data.update({"queue_total": 0, "queue_done": 0})
    return data


def _settings_from(body):
    """Our settings from an API body; unknown fields are ignored, as the model product ignores them."""
    changes = {}
    for api_name, (ours, from_api, _) in FIELDS.items():
        if api_name in body:
            value = body[api_name]
            if from_api is not None:
                converted = from_api(value)
                if converted is None:
                    raise Refused(f"{value!r} is not a valid choice.", api_name)
                value = converted
            changes[ours] = value
    if "title" in changes and not isinstance(changes["title"], str):
        raise Refused("Give the title as text.", "title")
    return changes


def _api_field(exc):
    """Name a refusal after the model product's field, not ours."""
    ours_to_api = {ours: api for api, (ours, _, _) in FIELDS.items()}
    return Refused(exc.message, ours_to_api.get(exc.field, exc.field))


def _workspace_for_new_project(body):
    """The requested workspace, else Default when the caller manages it, else the caller's sandbox."""
    if body.get("workspace") is not None:
        workspace = db.session.execute(
            select(Workspace).where(Workspace.org_id == g.org.id, Workspace.id == body["workspace"])
        ).scalar_one_or_none() if isinstance(body["workspace"], int) else None
        if workspace is None or not can(current_user, g.member, "workspaces.manage", workspace):
            raise Refused("Choose a workspace you manage.", "workspace")
        return workspace
    default = db.session.execute(
        select(Workspace).where(Workspace.org_id == g.org.id, Workspace.is_sandbox.is_(False)).order_by(Workspace.id)
    ).scalars().first()
    if default is not None and can(current_user, g.member, "workspaces.manage", default):
        return default
    return ensure_sandbox(g.org, current_user)


@bp.route("/api/projects", methods=["GET"])
@require("projects.view")
def project_list():
    """The projects the caller may open, paginated; ``title=`` filters, ``ordering=`` sorts."""
    query = visible_projects_query(g.org, current_user, g.member)
    if request.args.get("title"):
        query = query.where(func.lower(Project.title).contains(request.args["title"].lower(), autoescape=True))
    ordering = request.args.get("ordering", "id")
    column = {"id": Project.id, "created_at": Project.id, "title": Project.title}.get(ordering.lstrip("-"), Project.id)
    query = query.order_by(column.desc() if ordering.startswith("-") else column)
    return jsonify(paginate(query, serialize))


@bp.route("/api/projects", methods=["POST"])
@require("projects.create")
def project_create():
    body = json_body()
    title = body.get("title") or "New project"
    label_config = body.get("label_config") or services.DEFAULT_CONFIG
    if not isinstance(label_config, str):
        raise Refused("Give the configuration as XML text.", "label_config")
    settings = _settings_from(body)
    settings.pop("title", None)
    try:
        project = services.create_project(current_user, g.org, _workspace_for_new_project(body), title,
                                          label_config=label_config, **settings)
    except Refused as exc:
        raise _api_field(exc) from None
    return jsonify(serialize(project, counters=False)), 201


@bp.route("/api/projects/validate", methods=["POST"])
@require("projects.create")
def project_validate():
    """Check a configuration without saving anything: 204, or 400 with every located error."""
    label_config = json_body("label_config")["label_config"]
    if not isinstance(label_config, str):
        raise Refused("Give the configuration as XML text.", "label_config")
    services.parse_label_config(label_config)
    return "", 204


@bp.route("/api/projects/<project_id>", methods=["GET"])
@require("projects.view", load=Project, arg="project_id")
def project_detail(project):
    return jsonify(serialize(project))


@bp.route("/api/projects/<project_id>", methods=["PATCH", "PUT"])
@require("projects.manage", load=Project, arg="project_id")
def project_update(project):
    """Change settings; a new ``label_config`` goes through the same checks as the settings page."""
    body = json_body()
    try:
        if "label_config" in body:
            if not isinstance(body["label_config"], str):
                raise Refused("Give the configuration as XML text.", "label_config")
            services.set_label_config(current_user, project, body["label_config"])
        services.update_project(current_user, project, **_settings_from(body))
    except Refused as exc:
        raise _api_field(exc) from None
    return jsonify(serialize(project))


@bp.route("/api/projects/<project_id>", methods=["DELETE"])
@require("projects.manage", load=Project, arg="project_id")
def project_delete(project):
    services.delete_project(current_user, project, project.title)
    return "", 204


@bp.route("/api/projects/<project_id>/summary", methods=["GET"])
@require("projects.view", load=Project, arg="project_id")
def project_summary(project):
    """Data columns and label counts over the project's tasks and annotations."""
    from app.tasks.models import Task

    columns = {}
    for data in db.session.execute(select(Task.data).where(Task.project_id == project.id).limit(10_000)).scalars():
        for key in data:
            columns[key] = columns.get(key, 0) + 1
    counts = services.label_counts(project)
    return jsonify({"project": project.id, "all_data_columns": columns, "common_data_columns": sorted(columns),
                    "created_annotations": {}, "created_labels": {k: dict(v) for k, v in counts.items()},
                    "created_labels_drafts": {}})
