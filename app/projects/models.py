"""Projects: what to label (the configuration), how work is handed out, and who takes part."""
import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import OrgScoped, TimestampMixin, UTCDateTime, utcnow
from app.extensions import db


def _enum(cls, name):
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=30)


class Assignment(enum.StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class Ordering(enum.StrEnum):
    BY_ID = "id"
    RANDOM = "random"
    UNCERTAINTY = "uncertainty"


class SkipQueue(enum.StrEnum):
    REQUEUE_TO_ME = "requeue_to_me"
    REQUEUE_TO_OTHERS = "requeue_to_others"
    IGNORE = "ignore"


class ProjectRole(enum.StrEnum):
    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"


class Project(OrgScoped, TimestampMixin, db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="RESTRICT"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: "#rrggbb"
    color: Mapped[str] = mapped_column(String(7), nullable=False, default="#3451b2")
    #: Label Studio-compatible XML
    label_config: Mapped[str] = mapped_column(Text, nullable=False, default="<View></View>")
    #: Markdown, rendered and sanitised for display
    instructions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    show_instructions: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: annotators and reviewers see only published projects
    is_published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    # Annotation settings
    assignment: Mapped[Assignment] = mapped_column(_enum(Assignment, "project_assignment"), nullable=False,
                                                   default=Assignment.AUTO)
    ordering: Mapped[Ordering] = mapped_column(_enum(Ordering, "project_ordering"), nullable=False, default=Ordering.BY_ID)
    #: minutes a task stays reserved for the annotator who opened it (1..1440)
    reservation_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=1440)
    skip_queue: Mapped[SkipQueue] = mapped_column(_enum(SkipQueue, "project_skip_queue"), nullable=False,
                                                  default=SkipQueue.REQUEUE_TO_OTHERS)
    allow_skip: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    require_skip_comment: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    allow_empty_annotations: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    reveal_preannotations: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    show_dm_to_annotators: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    # Quality settings
    #: annotations per task by distinct people (the model product's maximum_annotations)
    overlap: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    #: share of tasks that must reach the overlap (overlap_cohort_percentage)
    overlap_percentage: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    show_overlap_first: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: per-annotator limits; the smaller of the two wins when both are set
    limit_count: Mapped[int | None] = mapped_column(Integer)
    limit_percent: Mapped[int | None] = mapped_column(Integer)
    #: agreement methodology, metrics per control, threshold... validated by the projects service
    agreement_settings: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    #: reviewing options, reject behaviour, review instructions
    review_settings: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    #: the first imported prediction set's version
    model_version: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    workspace = relationship("Workspace")
    created_by = relationship("User")


class ProjectMember(TimestampMixin, db.Model):
    """A person added to a project; ``role`` overrides the organization role of Annotators and Reviewers."""

    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: null keeps the organization role
    role: Mapped[ProjectRole | None] = mapped_column(_enum(ProjectRole, "project_role"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    project = relationship("Project")
    user = relationship("User", foreign_keys=[user_id])
