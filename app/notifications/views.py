"""The signed-in person's notifications."""
from flask import Blueprint, flash, url_for
from flask_login import current_user

from app.notifications import services
from app.security.decorators import require
from app.web.htmx import hx_redirect, render, wants_partial

bp = Blueprint("notifications", __name__)


@bp.app_template_global("unread_notifications")
def unread_notifications():
    """The top bar's badge: one count query, made only by full pages (partials do not extend the layout)."""
    return services.unread_count(current_user)


def _page(status=200, notice=None):
    return render("notifications/list.html", "notifications/_list.html", status=status,
                  notifications=services.recent(current_user), notice=notice)


@bp.route("/notifications")
@require("account.manage")
def notifications():
    """The signed-in person's notifications, unread first."""
    return _page()


@bp.route("/notifications/read", methods=["POST"])
@require("account.manage")
def mark_all_read():
    count = services.mark_read(current_user)
    message = f"{count} notification{'s' if count != 1 else ''} marked read."
    if wants_partial():
        return _page(notice=message)
    flash(message, "success")
    return hx_redirect(url_for("notifications.notifications"))
