"""What labeling adds to tasks and annotations: reservations, drafts and the versions of each annotation."""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, utcnow
from app.extensions import db


class TaskReservation(db.Model):
    """A task handed to an annotator by the stream: nobody else gets it until it expires or they answer."""

    __tablename__ = "task_reservations"
    __table_args__ = (
        UniqueConstraint("task_id", "user_id"),
        Index("ix_task_reservations_project_id_expires_at", "project_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class AnnotationDraft(TimestampMixin, db.Model):
    """Unsaved work: one per person and task, seen by nobody else; gone once they submit or skip."""

    __tablename__ = "annotation_drafts"
    __table_args__ = (UniqueConstraint("task_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the annotation being edited; null for a new one
    annotation_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    #: as the editor holds it: not validated until it is submitted
    result: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    lead_time: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    task = relationship("Task")
    project = relationship("Project")
    user = relationship("User")


class AnnotationVersion(db.Model):
    """One saved state of an annotation (submitted, updated or skipped), kept so earlier answers stay viewable."""

    __tablename__ = "annotation_versions"
    __table_args__ = (Index("ix_annotation_versions_annotation_id_id", "annotation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), nullable=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True)
    #: submitted, updated or skipped
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    result: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    lead_time: Mapped[float | None] = mapped_column(Float)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    created_by = relationship("User")
