"""Organizations (tenants), their workspaces, memberships and invitations."""
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import OrgScoped, TimestampMixin, UTCDateTime, utcnow
from app.extensions import db
from app.security.roles import Role

RoleColumn = Enum(Role, name="org_role", values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)


class Organization(TimestampMixin, db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    #: appears in every URL under the organization: /o/<slug>/
    slug: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    #: users and organizations refer to each other, so this link is created after both tables
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL", use_alter=True))
    #: days to keep audit entries; null keeps them forever
    audit_retention_days: Mapped[int | None] = mapped_column(Integer)
    #: when plugins were switched on (through an approved access request); null = off
    plugins_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: who may edit plugins: "manager" (Manager and above, the default) or "admin" (Owner and Admin only)
    plugin_editors: Mapped[str] = mapped_column(String(20), nullable=False, default="manager", server_default="manager")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    members = relationship("OrgMember", back_populates="org", cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Organization {self.slug}>"


class OrgMember(OrgScoped, TimestampMixin, db.Model):
    __tablename__ = "org_members"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[Role] = mapped_column(RoleColumn, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the identity provider's own id for the person (SCIM ``externalId``)
    external_id: Mapped[str | None] = mapped_column(String(300))
    #: deleted through SCIM: the membership stays Deactivated (their work is kept) and SCIM no longer lists it
    deprovisioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    org = relationship("Organization", back_populates="members")
    user = relationship("User", back_populates="memberships", foreign_keys=[user_id])
    created_by = relationship("User", foreign_keys=[created_by_id])


class Workspace(OrgScoped, TimestampMixin, db.Model):
    __tablename__ = "workspaces"
    # One sandbox per person per organization, even when two requests create it at once.
    __table_args__ = (
        Index("uq_workspaces_sandbox_owner", "org_id", "created_by_id", unique=True,
              sqlite_where=text("is_sandbox"), postgresql_where=text("is_sandbox")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    #: a personal sandbox: only its owner sees it
    is_sandbox: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    members = relationship("WorkspaceMember", back_populates="workspace", cascade="all, delete-orphan")


class WorkspaceMember(TimestampMixin, db.Model):
    """Managers listed here manage the workspace; other roles listed here may see it."""

    __tablename__ = "workspace_members"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    workspace = relationship("Workspace", back_populates="members")
    user = relationship("User", foreign_keys=[user_id])


class Invitation(OrgScoped, TimestampMixin, db.Model):
    """An e-mail invitation (single use, role chosen up front) or the organization's join link."""

    __tablename__ = "invitations"

    KIND_EMAIL = "email"
    KIND_LINK = "link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    #: lower-cased address for e-mail invitations; null for the join link
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(RoleColumn, nullable=False)
    #: SHA-256 of the token in the invitation URL
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    #: the join link is shown to Admins again and again, so its token is kept; e-mail tokens are not
    link_token: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    org = relationship("Organization")
    created_by = relationship("User", foreign_keys=[created_by_id])

    def refusal(self, now=None):
        """Why this invitation cannot be used now, or None when it can."""
        now = now or utcnow()
        if self.revoked_at is not None:
            return "This invitation link was reset or withdrawn. Ask an administrator for a new one."
        if self.kind == self.KIND_EMAIL and self.used_at is not None:
            return "This invitation has already been used."
        if self.expires_at is not None and self.expires_at <= now:
            return "This invitation has expired. Ask an administrator for a new one."
        return None
