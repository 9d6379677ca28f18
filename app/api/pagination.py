"""The model product's page-number pagination: ``?page=&page_size=`` → ``{count, next, previous, results}``."""
import math
from urllib.parse import urlencode

from flask import request
from sqlalchemy import func, select

from app.api.errors import ApiError
from app.extensions import db

DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 1000


def _page_size():
    try:
        size = int(request.args.get("page_size", ""))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    # Like the model product, a nonsensical size falls back to the default instead of failing.
    return min(size, MAX_PAGE_SIZE) if size > 0 else DEFAULT_PAGE_SIZE


def _url_with(page):
    """This request's absolute URL on another page; page 1 drops the parameter, as the model product does."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    if page is not None and page > 1:
        args.append(("page", str(page)))
    return request.base_url + (f"?{urlencode(args)}" if args else "")


def page_bounds(count):
    """``(page size, page number, pages)`` of this request over ``count`` rows; past the last page is 404."""
    size = _page_size()
    pages = max(1, math.ceil(count / size))
    raw = request.args.get("page", "1")
    try:
        page = pages if raw == "last" else int(raw)
    except ValueError:
        raise ApiError(404, "Invalid page.") from None
    if page < 1 or page > pages:
        raise ApiError(404, "Invalid page.")
    return size, page, pages


def paginate(query, serialize):
    """One page of ``query`` (a select of rows); past the last page is 404 "Invalid page." (the SDK stops there)."""
    count = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar()
    size, page, pages = page_bounds(count)
    rows = db.session.execute(query.limit(size).offset((page - 1) * size)).scalars().all()
    return {
        "count": count,
        "next": _url_with(page + 1) if page < pages else None,
        "previous": _url_with(page - 1) if page > 1 else None,
        "results": [serialize(row) for row in rows],
    }
