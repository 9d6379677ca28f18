"""A project's plugin stack: plugins, their revisions, order, switch, mode and network allowlist.

Every change is audited in the caller's transaction (``record``), code changes with a unified diff.
"""
import difflib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select

from app.audit.services import record
from app.errors import Refused
from app.extensions import db
from app.plugins.models import Plugin, PluginMode, PluginRevision

TITLE_MAX = 200
MESSAGE_MAX = 500
CODE_MAX = 200_000
ALLOWLIST_MAX = 50
MODES = (PluginMode.SANDBOXED.value, PluginMode.TRUSTED.value)
TRUST_WARNING = ("Trusted plugins run inside the labeling page with the annotator's session: they can read and change "
                 "everything the annotator can. Only switch this on for code you have reviewed.")


class NotAllowed(Refused):
    """A refusal for lack of a permission (views answer 403 rather than 422)."""


class AllowlistInvalid(Refused):
    """The allowlist had bad lines; ``errors`` holds one message per line."""

    def __init__(self, errors):
        super().__init__(" ".join(errors), "allowlist")
        self.errors = errors


# Reading ------------------------------------------------------------------------------------------------------

def stack(project):
    """The project's plugins in execution order."""
    return list(db.session.execute(
        select(Plugin).where(Plugin.project_id == project.id, Plugin.org_id == project.org_id)
        .order_by(Plugin.position, Plugin.id)
    ).scalars())


def get_plugin(project, plugin_id):
    """The project's plugin ``plugin_id`` (inside the project's organization), or None."""
    try:
        plugin_id = int(plugin_id)
    except (TypeError, ValueError):
        return None
    return db.session.execute(
        select(Plugin).where(Plugin.id == plugin_id, Plugin.project_id == project.id, Plugin.org_id == project.org_id)
    ).scalar_one_or_none()


def current_revision(plugin):
    return db.session.execute(
        select(PluginRevision).where(PluginRevision.plugin_id == plugin.id)
        .order_by(PluginRevision.number.desc()).limit(1)
    ).scalar_one_or_none()


def current_code(plugin):
    revision = current_revision(plugin)
    return revision.code if revision else ""


def revisions(plugin):
    """Newest first."""
    return list(db.session.execute(
        select(PluginRevision).where(PluginRevision.plugin_id == plugin.id).order_by(PluginRevision.number.desc())
    ).scalars())


def get_revision(plugin, number):
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return db.session.execute(
        select(PluginRevision).where(PluginRevision.plugin_id == plugin.id, PluginRevision.number == number)
    ).scalar_one_or_none()


# Diffs --------------------------------------------------------------------------------------------------------

def unified_diff(before, after, a="before", b="after"):
    """A unified diff of two versions of code, as one string (for the audit trail)."""
    return "".join(difflib.unified_diff(
        _lines(before, keepends=True), _lines(after, keepends=True), fromfile=a, tofile=b, lineterm="\n"))


def _lines(code, keepends=False):
    lines = (code or "").splitlines(keepends=keepends)
    if keepends and lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff; the template escapes the text."""

    kind: str  # equal, replace, delete, insert
    left_number: int | None
    left: str | None
    right_number: int | None
    right: str | None


def diff(plugin, a, b=None):
    """Side-by-side rows comparing revision ``a`` with revision ``b`` (the current one when None).

    Returns ``(revision a, revision b, rows)``; refused when a revision does not exist.
    """
    left = get_revision(plugin, a)
    right = get_revision(plugin, b) if b not in (None, "") else current_revision(plugin)
    if left is None or right is None:
        raise Refused("That revision does not exist.", "revision")
    return left, right, diff_rows(left.code, right.code)


def diff_rows(before, after):
    old, new = _lines(before), _lines(after)
    rows = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow("equal", i + 1, old[i], j + 1, new[j])
                        for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            has_left, has_right = i < i2, j < j2
            kind = "replace" if has_left and has_right else ("delete" if has_left else "insert")
            rows.append(DiffRow(kind, i + 1 if has_left else None, old[i] if has_left else None,
                                j + 1 if has_right else None, new[j] if has_right else None))
    return rows


# Checks -------------------------------------------------------------------------------------------------------

def _org(plugin_or_project):
    from app.orgs.models import Organization

    return db.session.get(Organization, plugin_or_project.org_id)


def _member(actor, org_id):
    from app.orgs.models import OrgMember

    if actor is None:
        return None
    return db.session.execute(
        select(OrgMember).where(OrgMember.org_id == org_id, OrgMember.user_id == actor.id)
    ).scalar_one_or_none()


def may_trust(actor, project, member=None):
    """May ``actor`` make a plugin of ``project`` trusted (or change a trusted plugin's code)?"""
    from app.security.permissions import can

    member = member if member is not None else _member(actor, project.org_id)
    return actor is not None and can(actor, member, "plugins.trust", project)


def _guard_trusted(actor, plugin, what):
    """A trusted plugin runs with the annotator's session: only those who may trust may change what it runs."""
    if plugin.mode == PluginMode.TRUSTED and not may_trust(actor, plugin.project):
        raise NotAllowed(f"This plugin is trusted, so only an Owner may change its {what}. "
                         "Switch it to sandboxed first to edit it.", "mode")


def _title(title):
    title = (title or "").strip()
    if not title:
        raise Refused("Give the plugin a title.", "title")
    if len(title) > TITLE_MAX:
        raise Refused(f"Keep the title under {TITLE_MAX} characters.", "title")
    return title


def _code(code):
    code = (code or "").replace("\r\n", "\n")
    if len(code) > CODE_MAX:
        raise Refused(f"The code is too long (at most {CODE_MAX:,} characters).", "code")
    return code


def _message(message):
    message = (message or "").strip()
    if not message:
        raise Refused("Describe the change in a message.", "message")
    if len(message) > MESSAGE_MAX:
        raise Refused(f"Keep the message under {MESSAGE_MAX} characters.", "message")
    return message


def _mode(mode):
    if mode not in MODES:
        raise Refused("Choose sandboxed or trusted.", "mode")
    return mode


_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def normalise_origin(text):
    """``https://host[:port]`` from ``text``, or raise ValueError saying what is wrong with it."""
    text = text.strip()
    if "*" in text:
        raise ValueError("wildcards are not allowed; list each origin")
    if any(c.isspace() for c in text):
        raise ValueError("an origin has no spaces")
    if "://" not in text:
        raise ValueError("write the whole origin, starting with https://")
    scheme = text.split("://", 1)[0].lower()
    if scheme != "https":
        raise ValueError("only https origins are allowed")
    if "?" in text or "#" in text:
        raise ValueError("an origin has no query or fragment")
    parts = urlsplit(text)
    if parts.path not in ("", "/"):
        raise ValueError("an origin has no path: keep only https://host (and a port)")
    if "@" in parts.netloc:
        raise ValueError("an origin has no user name or password")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError("the host is missing")
    if ":" in host:  # IPv6
        if not re.fullmatch(r"[0-9a-f:.]+", host):
            raise ValueError("the host is not a valid address")
        shown = f"[{host}]"
    else:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError("the host is not a valid name") from None
        if _IPV4.match(host):
            if any(int(octet) > 255 for octet in host.split(".")):
                raise ValueError("the host is not a valid address")
        elif not _HOST.match(host):
            raise ValueError("the host is not a valid name")
        shown = host
    if port == 0:
        raise ValueError("the port must be a number from 1 to 65535")
    return f"https://{shown}" + (f":{port}" if port not in (None, 443) else "")


def parse_allowlist(origins):
    """Normalised, de-duplicated origins from lines of text (or a list); refused with one message per bad line."""
    lines = origins.splitlines() if isinstance(origins, str) else list(origins)
    result, errors = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            origin = normalise_origin(line)
        except ValueError as exc:
            errors.append(f"Line {number} ({line.strip()[:80]}): {exc}.")
            continue
        if origin not in result:
            result.append(origin)
    if errors:
        raise AllowlistInvalid(errors)
    if len(result) > ALLOWLIST_MAX:
        raise AllowlistInvalid([f"List at most {ALLOWLIST_MAX} origins."])
    return result


# Changes ------------------------------------------------------------------------------------------------------

def _renumber(project):
    plugins = stack(project)
    for position, plugin in enumerate(plugins):
        plugin.position = position
    db.session.flush()
    return plugins


def _add_revision(actor, plugin, number, code, message):
    revision = PluginRevision(plugin_id=plugin.id, number=number, code=code, message=message,
                              author_id=getattr(actor, "id", None))
    db.session.add(revision)
    db.session.flush()
    return revision


def create_plugin(actor, project, title, code="", message="Created", mode=PluginMode.SANDBOXED.value, allowlist=(),
                  gallery_path=None):
    """A new plugin at the end of the stack, with ``code`` as revision 1."""
    title, code, message, mode = _title(title), _code(code), _message(message), _mode(mode)
    allowlist = parse_allowlist(allowlist)
    if mode == PluginMode.TRUSTED and not may_trust(actor, project):
        raise NotAllowed("Only an Owner may make a plugin trusted.", "mode")
    last = db.session.execute(select(func.max(Plugin.position)).where(Plugin.project_id == project.id)).scalar()
    plugin = Plugin(org_id=project.org_id, project_id=project.id, title=title, mode=mode, allowlist=allowlist,
                    position=0 if last is None else last + 1, enabled=True, gallery_path=gallery_path,
                    created_by_id=getattr(actor, "id", None))
    db.session.add(plugin)
    db.session.flush()
    _add_revision(actor, plugin, 1, code, message)
    record(actor, _org(project), "plugin.created", target=plugin, data={
        "project_id": project.id, "revision": 1, "message": message, "mode": mode, "allowlist": allowlist,
        "gallery_path": gallery_path, "diff": unified_diff("", code, "empty", "revision 1"),
    })
    return plugin


def insert_from_gallery(actor, project, path, load_config=False):
    """Copy a gallery entry into the stack (its code becomes revision 1); optionally load its view.xml too.

    A trusted entry is inserted sandboxed for anyone who may not trust plugins.
    """
    from app.plugins import gallery

    entry = gallery.entry(path)
    if entry is None:
        raise Refused("Choose a plugin from the gallery.", "path")
    code, view_xml, _data = gallery.read(entry.path)
    mode = entry.mode if entry.mode in MODES else PluginMode.SANDBOXED.value
    if mode == PluginMode.TRUSTED and not may_trust(actor, project):
        mode = PluginMode.SANDBOXED.value
    if load_config:
        from app.projects.services import set_label_config

        set_label_config(actor, project, view_xml)
    return create_plugin(actor, project, entry.title, code=code, message=f"Inserted from the gallery ({entry.path})",
                         mode=mode, allowlist=list(entry.allowlist or ()), gallery_path=entry.path)


def save_revision(actor, plugin, code, message):
    """A new revision with ``code``; a message is required and unchanged code is refused."""
    message, code = _message(message), _code(code)
    _guard_trusted(actor, plugin, "code")
    current = current_revision(plugin)
    before = current.code if current else ""
    if code == before:
        raise Refused("The code is unchanged: there is nothing to save.", "code")
    number = (current.number if current else 0) + 1
    revision = _add_revision(actor, plugin, number, code, message)
    record(actor, _org(plugin), "plugin.revised", target=plugin, data={
        "project_id": plugin.project_id, "revision": number, "message": message,
        "diff": unified_diff(before, code, f"revision {number - 1}", f"revision {number}"),
    })
    return revision


def revert(actor, plugin, number):
    """A new revision carrying revision ``number``'s code."""
    old = get_revision(plugin, number)
    if old is None:
        raise Refused("That revision does not exist.", "revision")
    _guard_trusted(actor, plugin, "code")
    current = current_revision(plugin)
    if current.code == old.code:
        raise Refused(f"The current code is already the same as revision {old.number}.", "revision")
    new_number = current.number + 1
    message = f"Revert to revision {old.number}"
    revision = _add_revision(actor, plugin, new_number, old.code, message)
    record(actor, _org(plugin), "plugin.reverted", target=plugin, data={
        "project_id": plugin.project_id, "revision": new_number, "reverted_to": old.number, "message": message,
        "diff": unified_diff(current.code, old.code, f"revision {current.number}", f"revision {new_number}"),
    })
    return revision


def rename(actor, plugin, title):
    title = _title(title)
    before = plugin.title
    if title == before:
        return plugin
    plugin.title = title
    db.session.flush()
    record(actor, _org(plugin), "plugin.renamed", target=plugin, data={
        "project_id": plugin.project_id, "before": {"title": before}, "after": {"title": title},
    })
    return plugin


def switch(actor, plugin, enabled):
    enabled = bool(enabled)
    if plugin.enabled == enabled:
        return plugin
    plugin.enabled = enabled
    db.session.flush()
    record(actor, _org(plugin), "plugin.switched", target=plugin, data={
        "project_id": plugin.project_id, "before": {"enabled": not enabled}, "after": {"enabled": enabled},
    })
    return plugin


def move(actor, plugin, direction):
    """Move the plugin one place ``up`` (earlier) or ``down`` (later) in the stack."""
    if direction not in ("up", "down"):
        raise Refused("Move a plugin up or down.", "direction")
    plugins = _renumber(plugin.project)
    index = next(i for i, p in enumerate(plugins) if p.id == plugin.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(plugins):
        raise Refused(f"This plugin is already {'first' if direction == 'up' else 'last'}.", "direction")
    plugins[index].position, plugins[other].position = other, index
    db.session.flush()
    record(actor, _org(plugin), "plugin.reordered", target=plugin, data={
        "project_id": plugin.project_id, "before": {"position": index}, "after": {"position": other},
        "order": [p.id for p in stack(plugin.project)],
    })
    return plugin


def set_mode(actor, member, plugin, mode):
    """Sandboxed or trusted; only those with ``plugins.trust`` (Owners) may set trusted."""
    mode = _mode(mode)
    if mode == PluginMode.TRUSTED and not may_trust(actor, plugin.project, member):
        raise NotAllowed("Only an Owner may make a plugin trusted.", "mode")
    before = plugin.mode
    if before == mode:
        return plugin
    plugin.mode = mode
    db.session.flush()
    record(actor, _org(plugin), "plugin.mode_changed", target=plugin, data={
        "project_id": plugin.project_id, "before": {"mode": before}, "after": {"mode": mode},
    })
    return plugin


def set_allowlist(actor, plugin, origins):
    """Replace the allowlist with ``origins`` (lines of text or a list): https origins only, normalised."""
    allowlist = parse_allowlist(origins)
    before = list(plugin.allowlist or [])
    if allowlist == before:
        return plugin
    _guard_trusted(actor, plugin, "network allowlist")
    plugin.allowlist = allowlist
    db.session.flush()
    record(actor, _org(plugin), "plugin.allowlist_changed", target=plugin, data={
        "project_id": plugin.project_id, "before": {"allowlist": before}, "after": {"allowlist": allowlist},
    })
    return plugin


def delete_plugin(actor, plugin):
    project, org = plugin.project, _org(plugin)
    record(actor, org, "plugin.deleted", target=plugin, data={
        "project_id": plugin.project_id, "before": {"title": plugin.title, "mode": plugin.mode,
                                                    "position": plugin.position},
        "revisions": len(plugin.revisions), "diff": unified_diff(current_code(plugin), "", "current", "deleted"),
    })
    db.session.delete(plugin)
    db.session.flush()
    _renumber(project)
