"""Tasks, annotations, drafts and predictions as the model product's API shapes them (api-compat §3-§7)."""
from app.api.serializers import iso
from app.db import utcnow

NBSP = "\u00a0"
#: the units of ``ago``, largest first (Django's ``timesince``, which the model product answers with)
_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400), ("hour", 3600),
          ("minute", 60))


def ago(value, now=None):
    """How long ago ``value`` was, as the model product says it: ``"0\u00a0minutes"``, ``"2\u00a0hours, 5\u00a0minutes"``
    (the largest unit, and the next one when it is not zero)."""
    if value is None:
        return None
    seconds = max(0, int(((now or utcnow()) - value).total_seconds()))
    for index, (name, size) in enumerate(_UNITS):
        count, rest = divmod(seconds, size)
        if count:
            parts = [_amount(count, name)]
            if index + 1 < len(_UNITS) and rest // _UNITS[index + 1][1]:
                parts.append(_amount(rest // _UNITS[index + 1][1], _UNITS[index + 1][0]))
            return ", ".join(parts)
    return _amount(0, "minute")


def _amount(count, unit):
    return f"{count}{NBSP}{unit}{'' if count == 1 else 's'}"


def created_username(user):
    """``" admin@example.com, 1"``: the model product's username (empty here), e-mail and id."""
    return f" {user.email}, {user.id}" if user is not None else None


def annotation(a):
    return {
        "id": a.id, "completed_by": a.completed_by_id, "result": a.result, "was_cancelled": a.was_cancelled,
        "ground_truth": a.ground_truth, "created_at": iso(a.created_at), "updated_at": iso(a.updated_at),
        "draft_created_at": iso(a.draft_created_at), "lead_time": a.lead_time, "prediction": {},
        "result_count": len(a.result or []), "unique_id": a.unique_id, "import_id": a.import_id,
        "last_action": a.last_action, "bulk_created": False, "task": a.task_id, "project": a.project_id,
        "updated_by": a.updated_by_id, "parent_prediction": a.parent_prediction_id,
        "parent_annotation": a.parent_annotation_id, "last_created_by": None,
        "created_username": created_username(a.completed_by), "created_ago": ago(a.created_at),
    }


def draft(d):
    """A draft: the unfinished work of its author (nobody else is ever shown it)."""
    return {
        "id": d.id, "user": d.user_id, "task": d.task_id, "annotation": d.annotation_id, "result": d.result,
        "lead_time": d.lead_time, "was_postponed": False, "import_id": None,
        "created_at": iso(d.created_at), "updated_at": iso(d.updated_at),
        "created_username": created_username(d.user), "created_ago": ago(d.created_at),
    }


def prediction(p):
    return {
        "id": p.id, "task": p.task_id, "project": p.project_id, "model_version": p.model_version, "score": p.score,
        "result": p.result, "cluster": None, "neighbors": None, "mislabeling": 0.0,
        "created_at": iso(p.created_at), "updated_at": iso(p.updated_at), "model": None, "model_run": None,
    }


def task(t, overlap=1, full=False):
    """The list shape (``fields=task_only``); ``full`` adds annotations and predictions (``fields=all``)."""
    annotations = list(t.annotations) if full else []
    data = {
        "id": t.id, "inner_id": t.inner_id, "project": t.project_id, "data": t.data, "meta": t.meta or {},
        "created_at": iso(t.created_at), "updated_at": iso(t.updated_at), "is_labeled": t.is_labeled,
        "overlap": overlap, "total_annotations": t.total_annotations,
        "cancelled_annotations": t.cancelled_annotations, "total_predictions": t.total_predictions,
        "annotators": [], "drafts": [], "updated_by": [], "file_upload": None, "storage_filename": None,
        "annotations_results": "", "predictions_results": "", "annotations_ids": "", "predictions_model_versions": "",
        "comment_count": 0, "unresolved_comment_count": 0, "last_comment_updated_at": None, "comment_authors": [],
        "allow_skip": t.allow_skip,
    }
    if full:
        done = [a for a in annotations if not a.was_cancelled]
        lead_times = [a.lead_time for a in done if a.lead_time is not None]
        scores = [p.score for p in t.predictions if p.score is not None]
        data.update({
            "annotations": [annotation(a) for a in annotations],
            "predictions": [prediction(p) for p in t.predictions],
            "annotators": sorted({a.completed_by_id for a in annotations if a.completed_by_id is not None}),
            "annotations_ids": ", ".join(str(a.id) for a in annotations),
            "predictions_model_versions": ", ".join(sorted({p.model_version for p in t.predictions if p.model_version})),
            "completed_at": iso(max((a.created_at for a in done), default=None)),
            "predictions_score": sum(scores) / len(scores) if scores else None,
            "avg_lead_time": sum(lead_times) / len(lead_times) if lead_times else None,
            "draft_exists": False,
        })
    return data


def next_task(t, overlap, annotations, drafts, predictions, queue, lock_id):
    """The task ``GET /api/projects/{id}/next/`` hands out (api-compat §5): the caller's own annotations and
    drafts only, the reservation's id as ``unique_lock_id``, and ``queue`` saying whether it is new or held."""
    return {
        "id": t.id, "inner_id": t.inner_id, "project": t.project_id, "data": t.data, "meta": t.meta or {},
        "predictions": [prediction(p) for p in predictions], "annotations": [annotation(a) for a in annotations],
        "drafts": [draft(d) for d in drafts], "updated_by": [], "unique_lock_id": lock_id,
        "is_labeled": t.is_labeled, "overlap": overlap, "total_annotations": t.total_annotations,
        "cancelled_annotations": t.cancelled_annotations, "total_predictions": t.total_predictions,
        "created_at": iso(t.created_at), "updated_at": iso(t.updated_at), "file_upload": None,
        "comment_count": 0, "unresolved_comment_count": 0, "last_comment_updated_at": None, "comment_authors": [],
        "allow_skip": t.allow_skip, "queue": queue,
    }
