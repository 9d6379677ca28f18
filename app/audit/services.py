"""Writing, verifying and pruning the hash-chained audit trail."""
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from flask import has_request_context, request
from sqlalchemy import String, cast, delete, func, or_, select

from app.audit.actions import ACTIONS, SECRET_KEYS
from app.audit.models import AuditEntry, AuditHead, chain_key
from app.db import utcnow
from app.errors import Refused
from app.extensions import db

GENESIS = "0" * 64


def redact(value):
    """Copy ``value`` with every secret-looking key's value replaced."""
    if isinstance(value, dict):
        return {
            k: "[redacted]" if any(s in str(k).lower() for s in SECRET_KEYS) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def _digest(entry, prev_hash):
    payload = {
        "chain": entry.chain,
        "seq": entry.seq,
        "org_id": entry.org_id,
        "actor_id": entry.actor_id,
        "actor_email": entry.actor_email,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
        "data": entry.data,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "created_at": entry.created_at.replace(tzinfo=None).isoformat(timespec="microseconds"),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _lock_head(chain):
    head = db.session.execute(
        select(AuditHead).where(AuditHead.chain == chain).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(chain=chain, seq=0, hash=GENESIS, anchor_seq=0, anchor_hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def _target_fields(target):
    if target is None:
        return None, None, None
    if isinstance(target, tuple):
        kind, ident, label = (list(target) + [None, None])[:3]
        return kind, None if ident is None else str(ident), label
    kind = getattr(target, "__tablename__", type(target).__name__).rstrip("s")
    label = (getattr(target, "email", None) or getattr(target, "name", None) or getattr(target, "title", None)
             or getattr(target, "slug", None))
    return kind, str(target.id), label


def record(actor, org, action, target=None, data=None, now=None):
    """Append an entry to ``org``'s chain (or the site chain) in the current transaction.

    ``now`` overrides the entry's time (tests of retention); it is hashed like any other field.
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}; add it to app/audit/actions.py")
    org_id = org.id if org is not None else None
    chain = chain_key(org_id)
    head = _lock_head(chain)
    target_type, target_id, target_label = _target_fields(target)
    ip = user_agent = None
    if has_request_context():
        ip = request.remote_addr
        user_agent = (request.user_agent.string or None) if request.user_agent else None
    entry = AuditEntry(
        chain=chain,
        seq=head.seq + 1,
        org_id=org_id,
        actor_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", None),
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label and str(target_label)[:300],
        data=redact(data or {}),
        ip=ip,
        user_agent=user_agent and user_agent[:1000],
        created_at=now or utcnow(),
        prev_hash=head.hash,
    )
    entry.hash = _digest(entry, head.hash)
    head.seq = entry.seq
    head.hash = entry.hash
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class ChainReport:
    chain: str
    checked: int = 0
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


def verify_chain(chain):
    """Recompute ``chain`` from its anchor; report every edited, missing or re-ordered entry."""
    report = ChainReport(chain)
    head = db.session.get(AuditHead, chain)
    expected_prev = head.anchor_hash if head else GENESIS
    expected_seq = (head.anchor_seq if head else 0) + 1
    entries = db.session.execute(
        select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)
    ).scalars()
    for entry in entries:
        report.checked += 1
        if entry.seq != expected_seq:
            report.problems.append(
                f"entry #{entry.id} (seq {entry.seq}): entries {expected_seq}..{entry.seq - 1} are missing"
            )
        elif entry.prev_hash != expected_prev:
            report.problems.append(f"entry #{entry.id} (seq {entry.seq}): link to the previous entry is broken")
        if _digest(entry, entry.prev_hash) != entry.hash:
            report.problems.append(
                f"entry #{entry.id} (seq {entry.seq}, {entry.action}): content was changed after it was written"
            )
        expected_prev = entry.hash
        expected_seq = entry.seq + 1
    if head is not None and head.seq != expected_seq - 1:
        report.problems.append(
            f"chain {chain}: the last {head.seq - expected_seq + 1} entries (up to seq {head.seq}) are missing"
        )
    return report


def verify_all(org_id=None):
    chains = [chain_key(org_id)] if org_id is not None else list(
        db.session.execute(select(AuditHead.chain).order_by(AuditHead.chain)).scalars()
    )
    return [verify_chain(c) for c in chains]


def purge(actor, org, older_than_days=None, now=None):
    """Delete entries older than the retention period and move the chain's anchor past them."""
    days = older_than_days if older_than_days is not None else org.audit_retention_days
    if not days:
        return 0
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    chain = chain_key(org.id)
    head = _lock_head(chain)
    last_old = db.session.execute(
        select(AuditEntry)
        .where(AuditEntry.chain == chain, AuditEntry.created_at < cutoff)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last_old is None:
        return 0
    count = db.session.execute(
        delete(AuditEntry).where(AuditEntry.chain == chain, AuditEntry.seq <= last_old.seq)
    ).rowcount
    head.anchor_seq = last_old.seq
    head.anchor_hash = last_old.hash
    db.session.flush()
    record(actor, org, "audit.purged", data={"deleted": count, "older_than_days": days, "through_seq": last_old.seq},
           now=now)
    return count


# The log viewer -------------------------------------------------------------------------------------------

def _contains(column, text):
    """Case-insensitive "contains", with typed % and _ matched literally."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def search_entries(org, actor=None, action=None, target=None, date_from=None, date_to=None, text=None):
    """``org``'s entries matching the log page's filters, as an unordered select (dates are whole UTC days)."""
    query = select(AuditEntry).where(AuditEntry.chain == chain_key(org.id))
    if actor:
        query = query.where(_contains(AuditEntry.actor_email, actor))
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(or_(_contains(AuditEntry.target_label, target), _contains(AuditEntry.target_type, target),
                                AuditEntry.target_id == target.strip()))
    if date_from:
        query = query.where(AuditEntry.created_at >= datetime.combine(date_from, time.min, tzinfo=UTC))
    if date_to:
        query = query.where(AuditEntry.created_at < datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC))
    if text:
        query = query.where(or_(
            _contains(AuditEntry.action, text), _contains(AuditEntry.target_label, text),
            _contains(AuditEntry.actor_email, text), _contains(cast(AuditEntry.data, String), text),
        ))
    return query


def _short(value, limit=80):
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_summary(data):
    """Readable lines for an entry's details: ``field: before → after`` first, then any other key."""
    data = data or {}
    before, after = data.get("before"), data.get("after")
    lines = []
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
        for key in [*before, *(k for k in after if k not in before)]:
            if key in before and key in after:
                lines.append(f"{key}: {_short(before[key])} → {_short(after[key])}")
            elif key in after:
                lines.append(f"{key}: {_short(after[key])}")
            else:
                lines.append(f"{key}: was {_short(before[key])}")
    for key, value in data.items():
        if key not in ("before", "after") or not isinstance(value, dict):
            lines.append(f"{key}: {_short(value)}")
    return lines


# Retention ------------------------------------------------------------------------------------------------

RETENTION_MIN_DAYS, RETENTION_MAX_DAYS = 30, 3650


def set_retention(actor, org, days):
    """Keep ``org``'s entries for ``days`` (None keeps them forever); ``flask audit purge`` applies it."""
    if days is not None and not RETENTION_MIN_DAYS <= days <= RETENTION_MAX_DAYS:
        raise Refused(f"Choose between {RETENTION_MIN_DAYS} and {RETENTION_MAX_DAYS} days, or leave it empty to keep "
                      "entries forever.", "audit_retention_days")
    before = org.audit_retention_days
    if days == before:
        return org
    org.audit_retention_days = days
    db.session.flush()
    record(actor, org, "audit.retention_changed", target=org,
           data={"before": {"retention_days": before}, "after": {"retention_days": days}})
    return org
