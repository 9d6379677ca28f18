"""Creating, counting and reading in-app notifications; e-mailing them too when a mail server is configured.

E-mails are queued on the database session and sent only once the transaction that made the notification
commits, so a change that is rolled back never mails anyone.
"""
from flask import current_app, has_request_context, request
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.extensions import db
from app.notifications.models import Notification

_MAIL_QUEUE = "tessera_notification_mail"


def notify(users, org, kind, message, link=None):
    """One notification per distinct user in ``users`` (Nones skipped); returns them.

    When ``MAIL_SERVER`` is configured each person is also e-mailed, after the transaction commits.
    """
    seen, made, recipients = set(), [], []
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        recipients.append(user)
        note = Notification(user_id=user.id, org_id=getattr(org, "id", None), kind=kind, message=message, link=link)
        db.session.add(note)
        made.append(note)
    db.session.flush()
    if made and current_app.config.get("MAIL_SERVER"):
        queue = db.session().info.setdefault(_MAIL_QUEUE, [])
        url = _absolute(link)
        body = message + (f"\n\nOpen it here: {url}" if url else "")
        subject = f"Tessera: {message.splitlines()[0][:80]}"
        queue.extend((user.email, subject, body) for user in recipients)
    return made


def _absolute(link):
    if not link:
        return None
    if has_request_context() and link.startswith("/"):
        return request.host_url.rstrip("/") + link
    return link


@event.listens_for(Session, "after_commit")
def _send_queued_mail(session):
    queue = session.info.pop(_MAIL_QUEUE, None)
    if not queue:
        return
    from app.mail import send

    for to, subject, body in queue:
        try:
            send(to, subject, body)
        except OSError:  # smtplib's errors and refused connections alike: the in-app notification stays
            current_app.logger.exception("Could not e-mail a notification to %s", to)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queued_mail(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(_MAIL_QUEUE, None)


def unread_count(user):
    """How many of ``user``'s notifications are unread (one indexed count query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return db.session.execute(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar()


def recent(user, limit=100):
    """``user``'s notifications, unread first, newest first."""
    return db.session.execute(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).scalars().all()


def mark_read(user, ids=None):
    """Mark ``user``'s unread notifications read (only those with ``ids`` when given); returns how many."""
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return 0
        query = query.where(Notification.id.in_(ids))
    result = db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session="fetch"))
    return result.rowcount
