"""Single sign-on: an organization's identity provider, its group mapping, and the SAML exchange's memory."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import OrgScoped, TimestampMixin, UTCDateTime, utcnow
from app.extensions import db
from app.orgs.models import RoleColumn
from app.security.roles import Role

DEFAULT_ATTRIBUTES = {"email": "Email", "first_name": "FirstName", "last_name": "LastName", "groups": "Groups"}


class SsoSettings(OrgScoped, TimestampMixin, db.Model):
    """One organization's SAML identity provider and sign-in policy (one row per organization)."""

    __tablename__ = "sso_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, unique=True)
    #: SAML sign-in is offered (the identity provider is configured and switched on)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    idp_entity_id: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    idp_sso_url: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    idp_slo_url: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    #: base64 DER of each signing certificate the identity provider may use (a list, for key rollover)
    idp_certificates: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: the metadata document as last pasted or uploaded, shown back on the settings page
    idp_metadata_xml: Mapped[str | None] = mapped_column(Text)
    attr_email: Mapped[str] = mapped_column(String(200), nullable=False, default=DEFAULT_ATTRIBUTES["email"])
    attr_first_name: Mapped[str] = mapped_column(String(200), nullable=False, default=DEFAULT_ATTRIBUTES["first_name"])
    attr_last_name: Mapped[str] = mapped_column(String(200), nullable=False, default=DEFAULT_ATTRIBUTES["last_name"])
    attr_groups: Mapped[str] = mapped_column(String(200), nullable=False, default=DEFAULT_ATTRIBUTES["groups"])
    #: lower-case e-mail domains whose people start sign-in here (unique across organizations, checked on save)
    email_domains: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: password sign-in refused to members, except the Owner (break-glass)
    require_sso: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: accept responses the identity provider sends without a request of ours
    allow_idp_initiated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: roles, workspaces and project roles are managed in Tessera: sign-ins and SCIM groups leave them alone
    manage_roles_in_tessera: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    org = relationship("Organization")

    @property
    def is_configured(self):
        return bool(self.idp_entity_id and self.idp_sso_url and self.idp_certificates)


class GroupMapping(OrgScoped, TimestampMixin, db.Model):
    """One identity-provider group's effect: an organization role, a workspace, or a role in a project.

    Shared by SAML sign-in and SCIM groups; LDAP builds the same rules from its environment.
    """

    __tablename__ = "sso_group_mappings"
    KIND_ROLE = "role"
    KIND_WORKSPACE = "workspace"
    KIND_PROJECT = "project"
    __table_args__ = (
        # one organization role per group
        Index("uq_sso_group_mappings_role", "org_id", "group_name", unique=True,
              sqlite_where=text("kind = 'role'"), postgresql_where=text("kind = 'role'")),
        Index("uq_sso_group_mappings_workspace", "org_id", "group_name", "workspace_id", unique=True,
              sqlite_where=text("kind = 'workspace'"), postgresql_where=text("kind = 'workspace'")),
        Index("uq_sso_group_mappings_project", "org_id", "group_name", "project_id", unique=True,
              sqlite_where=text("kind = 'project'"), postgresql_where=text("kind = 'project'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the group's name exactly as the identity provider sends it
    group_name: Mapped[str] = mapped_column(String(300), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    role: Mapped[Role | None] = mapped_column(RoleColumn)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: "annotator" or "reviewer"; null inherits the organization role
    project_role: Mapped[str | None] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    workspace = relationship("Workspace")
    project = relationship("Project")


class SamlRequest(db.Model):
    """An AuthnRequest we sent, kept server-side because the identity provider's cross-site POST carries no
    SameSite=Lax session cookie; a response may answer it once."""

    __tablename__ = "sso_saml_requests"

    #: the AuthnRequest's ID attribute
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    #: our own path to open after sign-in
    next_path: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SamlAssertionSeen(db.Model):
    """Assertion ids already accepted, kept until the assertion itself would have expired (replay defence)."""

    __tablename__ = "sso_saml_assertions"
    __table_args__ = (UniqueConstraint("org_id", "assertion_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)
    assertion_id: Mapped[str] = mapped_column(String(200), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)


class ScimToken(OrgScoped, TimestampMixin, db.Model):
    """An organization's SCIM bearer token; only its SHA-256 is kept, the token is shown once."""

    __tablename__ = "scim_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="SCIM token")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by = relationship("User")


class ScimGroup(OrgScoped, TimestampMixin, db.Model):
    """A group pushed by the identity provider; its name is what the group mapping matches."""

    __tablename__ = "scim_groups"
    __table_args__ = (UniqueConstraint("org_id", "display_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    display_name: Mapped[str] = mapped_column(String(300), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    members = relationship("ScimGroupMember", back_populates="group", cascade="all, delete-orphan")


class ScimGroupMember(TimestampMixin, db.Model):
    __tablename__ = "scim_group_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("scim_groups.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)

    group = relationship("ScimGroup", back_populates="members")
    user = relationship("User")
