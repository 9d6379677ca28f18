"""Every model, imported once so the metadata (and Alembic) knows all tables."""
from app.audit.models import AuditEntry, AuditHead  # noqa: F401
from app.auth.models import ApiToken, AuthIdentity, User  # noqa: F401
from app.datamanager.models import DataManagerView  # noqa: F401
from app.labeling.models import AnnotationDraft, AnnotationVersion, TaskReservation  # noqa: F401
from app.notifications.models import Notification  # noqa: F401
from app.orgs.models import Invitation, Organization, OrgMember, Workspace, WorkspaceMember  # noqa: F401
from app.plugins.models import AnnotatorPause, Plugin, PluginAccessRequest, PluginRevision  # noqa: F401
from app.projects import access  # noqa: F401,E402  (registers the project rules)
from app.projects.models import Project, ProjectMember  # noqa: F401
from app.sso.models import (  # noqa: F401
    GroupMapping,
    SamlAssertionSeen,
    SamlRequest,
    ScimGroup,
    ScimGroupMember,
    ScimToken,
    SsoSettings,
)
from app.tasks.models import Annotation, Prediction, Task, TaskAssignment, TaskImport  # noqa: F401
