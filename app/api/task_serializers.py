"""Tasks, annotations and predictions as the model product's API shapes them (api-compat §3, §4, §7)."""
from app.api.serializers import iso


def annotation(a):
    return {
        "id": a.id, "completed_by": a.completed_by_id, "result": a.result, "was_cancelled": a.was_cancelled,
        "ground_truth": a.ground_truth, "created_at": iso(a.created_at), "updated_at": iso(a.updated_at),
        "draft_created_at": iso(a.draft_created_at), "lead_time": a.lead_time, "prediction": {},
        "result_count": len(a.result or []), "unique_id": a.unique_id, "import_id": a.import_id,
        "last_action": a.last_action, "bulk_created": False, "task": a.task_id, "project": a.project_id,
        "updated_by": a.updated_by_id, "parent_prediction": a.parent_prediction_id,
        "parent_annotation": a.parent_annotation_id, "last_created_by": None,
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
