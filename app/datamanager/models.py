"""What each person chose to see in a project's Data Manager."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class DataManagerView(db.Model):
    __tablename__ = "dm_views"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    #: visible column keys, in order
    columns: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: [{"field", "op", "value"}], combined with AND
    filters: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: e.g. "-id", "total_annotations"
    ordering: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
