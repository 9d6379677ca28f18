"""The organization's request for plugins, project plugin stacks with their revisions, and annotator pauses."""
import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import OrgScoped, TimestampMixin, UTCDateTime, utcnow
from app.extensions import db


class RequestState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class PluginMode(enum.StrEnum):
    SANDBOXED = "sandboxed"
    TRUSTED = "trusted"


class PluginAccessRequest(OrgScoped, TimestampMixin, db.Model):
    """An organization asking a site administrator to switch plugins on."""

    __tablename__ = "plugin_access_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the project whose plugin panel it was asked from, if any
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    #: pending, approved, rejected, withdrawn
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=RequestState.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a rejection's reason (required), an approval's note (optional)
    decision_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    org = relationship("Organization")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


class Plugin(OrgScoped, TimestampMixin, db.Model):
    """One entry of a project's plugin stack; its code lives in its revisions."""

    __tablename__ = "plugins"
    __table_args__ = (Index("ix_plugins_project_id_position", "project_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    #: execution order within the project, 0 first
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: sandboxed (the default) or trusted (runs in the page; only an Owner sets it)
    mode: Mapped[str] = mapped_column(String(20), nullable=False, default=PluginMode.SANDBOXED)
    #: https origins the plugin may fetch from or import
    allowlist: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: the gallery entry it was inserted from, if any
    gallery_path: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    project = relationship("Project")
    revisions = relationship("PluginRevision", back_populates="plugin", cascade="all, delete-orphan",
                             passive_deletes=True, order_by="PluginRevision.number")


class PluginRevision(db.Model):
    """One saved version of a plugin's code; the highest number is the current one."""

    __tablename__ = "plugin_revisions"
    __table_args__ = (UniqueConstraint("plugin_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plugin_id: Mapped[int] = mapped_column(ForeignKey("plugins.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    code: Mapped[str] = mapped_column(Text, nullable=False, default="")
    message: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    plugin = relationship("Plugin", back_populates="revisions")
    author = relationship("User")


class AnnotatorPause(TimestampMixin, db.Model):
    """An annotator stopped from labeling a project until a manager resumes them."""

    __tablename__ = "annotator_pauses"
    __table_args__ = (Index("ix_annotator_pauses_project_id_user_id", "project_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    #: CUSTOM_SCRIPT (a plugin), MANUAL, ANNOTATION_LIMIT...
    reason: Mapped[str] = mapped_column(String(30), nullable=False)
    verbose_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    paused_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: null while the pause holds
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
