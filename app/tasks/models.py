"""Tasks, their annotations and predictions, imports, and manual assignments."""
import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, case
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, utcnow
from app.extensions import db


class Task(TimestampMixin, db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("project_id", "inner_id"),
        Index("ix_tasks_project_id_id", "project_id", "id"),
        # the Data Manager's sorts page through these with a keyset cursor
        Index("ix_tasks_project_id_total_annotations", "project_id", "total_annotations", "id"),
        Index("ix_tasks_project_id_updated_at", "project_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    #: 1..N within the project
    inner_id: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[dict] = mapped_column(JSON, nullable=False)
    meta: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    #: false: Annotators and Reviewers cannot skip it (Managers and above still can)
    allow_skip: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("task_imports.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Counters kept by the services, so the Data Manager sorts and filters without aggregating.
    #: submitted annotations, skips excluded
    total_annotations: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: skips
    cancelled_annotations: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_predictions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: the project's overlap is reached
    is_labeled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    annotations = relationship("Annotation", back_populates="task", cascade="all, delete-orphan", passive_deletes=True)
    predictions = relationship("Prediction", back_populates="task", cascade="all, delete-orphan", passive_deletes=True)
    project = relationship("Project")


def required_annotations(inner_id, overlap, percentage):
    """How many annotations a task needs: the overlap on ``percentage``% of tasks, one on the others.

    Which tasks get the overlap is derived from the inner id (37 is coprime with 100, so any 100 consecutive
    tasks spread evenly), so nothing has to be rewritten when the percentage changes. Works on Python values
    and on SQL expressions alike.
    """
    if isinstance(inner_id, int):
        return overlap if (inner_id * 37) % 100 < percentage else 1
    return case(((inner_id * 37) % 100 < percentage, overlap), else_=1)


class Annotation(TimestampMixin, db.Model):
    __tablename__ = "annotations"
    __table_args__ = (Index("ix_annotations_project_id_completed_by_id", "project_id", "completed_by_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Label Studio's result format: [{id, from_name, to_name, type, value: {...}}]
    result: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: a skip
    was_cancelled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    ground_truth: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: seconds spent
    lead_time: Mapped[float | None] = mapped_column(Float)
    #: submitted, updated, accepted, rejected, fixed_and_accepted, imported
    last_action: Mapped[str | None] = mapped_column(String(30))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("task_imports.id", ondelete="SET NULL"))
    parent_prediction_id: Mapped[int | None] = mapped_column(ForeignKey("predictions.id", ondelete="SET NULL"))
    parent_annotation_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id", ondelete="SET NULL"))
    draft_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: why the annotator skipped (projects can require it)
    comment: Mapped[str | None] = mapped_column(Text)
    unique_id: Mapped[str] = mapped_column(String(36), nullable=False, default=lambda: str(uuid.uuid4()))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    task = relationship("Task", back_populates="annotations")
    project = relationship("Project")
    completed_by = relationship("User", foreign_keys=[completed_by_id])


class Prediction(TimestampMixin, db.Model):
    __tablename__ = "predictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True)
    model_version: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    score: Mapped[float | None] = mapped_column(Float)
    result: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    task = relationship("Task", back_populates="predictions")
    project = relationship("Project")


class TaskImport(TimestampMixin, db.Model):
    """One import: who, when, which file, how many of each."""

    __tablename__ = "task_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str | None] = mapped_column(String(300))
    #: json, jsonl, csv, tsv, api
    format: Mapped[str] = mapped_column(String(10), nullable=False)
    task_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    annotation_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    prediction_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: seconds
    duration: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)


class TaskAssignment(TimestampMixin, db.Model):
    """Manual distribution: who should annotate (or review) a task."""

    __tablename__ = "task_assignments"
    __table_args__ = (UniqueConstraint("task_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: annotate or review
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="annotate")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
