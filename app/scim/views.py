"""SCIM 2.0 (RFC 7643/7644) at /scim/v2/: the organization is the one whose bearer token the call carries.

Views read the request into scim2-models objects, hand them to app.scim.services, and answer SCIM JSON; every
error leaves in the SCIM envelope, and an error status rolls the request's transaction back.
"""
import functools
import json

from flask import Blueprint, current_app, g, request, url_for
from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidSyntaxException,
    ListResponse,
    NotFoundException,
    PatchOp,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    SearchRequest,
)
from scim2_models.messages.error import Error
from werkzeug.exceptions import HTTPException

from app.errors import Refused
from app.scim import filters, resources, services
from app.scim.errors import MEDIA_TYPE, scim_error
from app.security.decorators import require

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
User, Group = resources.User, resources.Group


def scim_endpoint(view):
    """Run ``view`` under our provider and policy; turn every refusal into a SCIM error."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            with resources.PROVIDER:
                return view(*args, **kwargs)
        except SCIMException as exc:
            return scim_error(exc.status, exc.detail, exc.scim_type or None)
        except ValidationError as exc:
            error = Error.from_validation_errors(exc)[0]
            return scim_error(error.status or 400, error.detail, error.scim_type)
        except Refused as exc:
            return scim_error(400, exc.message)

    return wrapped


def route(rule, methods=("GET",)):
    """A SCIM route: behind the bearer-token gate, answering SCIM errors."""

    def decorate(view):
        endpoint = scim_endpoint(view)
        return bp.route(rule, methods=list(methods), endpoint=view.__name__)(require("scim.provision")(endpoint))

    return decorate


def respond(payload, status=200, location=None):
    response = current_app.response_class(json.dumps(payload), status=status, mimetype=MEDIA_TYPE)
    if location:
        response.headers["Location"] = location
    return response


def body():
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise InvalidSyntaxException(detail="The request body must be a JSON object.")
    return data


def response_parameters(model):
    return ResponseParameters[model].model_validate({
        key: request.args[key] for key in ("attributes", "excludedAttributes") if request.args.get(key)
    })


def dump(resource, context, parameters=None):
    return resource.model_dump(scim_ctx=context, response_parameters=parameters)


# Discovery ------------------------------------------------------------------------------------------------

def _described(obj, resource_type, endpoint):
    obj = obj.model_copy(deep=True)
    obj.meta = resources.Meta(resource_type=resource_type, location=url_for(endpoint, ident=obj.id, _external=True))
    return obj


def _listed(model, objects):
    return ListResponse[model](total_results=len(objects), start_index=1, items_per_page=len(objects),
                               resources=objects).model_dump(scim_ctx=Context.SEARCH_RESPONSE)


def _schemas():
    return [_described(s, "Schema", "scim.schema") for s in resources.PROVIDER.schemas]


def _resource_types():
    return [_described(r, "ResourceType", "scim.resource_type") for r in resources.PROVIDER.resource_types]


def _one(objects, ident, what):
    for obj in objects:
        if obj.id == ident:
            return obj
    raise NotFoundException(detail=f"No {what} {ident}.")


@route("/ServiceProviderConfig")
def service_provider_config():
    config = resources.CONFIG.model_copy(deep=True)
    config.meta = resources.Meta(resource_type="ServiceProviderConfig", location=request.base_url)
    return respond(dump(config, Context.RESOURCE_QUERY_RESPONSE))


@route("/ResourceTypes")
def resource_types():
    return respond(_listed(ResourceType, _resource_types()))


@route("/ResourceTypes/<ident>")
def resource_type(ident):
    return respond(dump(_one(_resource_types(), ident, "resource type"), Context.RESOURCE_QUERY_RESPONSE))


@route("/Schemas")
def schemas():
    return respond(_listed(Schema, _schemas()))


@route("/Schemas/<ident>")
def schema(ident):
    return respond(dump(_one(_schemas(), ident, "schema"), Context.RESOURCE_QUERY_RESPONSE))


# Searching ------------------------------------------------------------------------------------------------

def _query_search_request(model):
    """GET /Users?filter=...&startIndex=...&count=... as a SearchRequest (scim2-models parses the filter)."""
    args = {}
    for name in ("filter", "sortBy", "sortOrder", "attributes", "excludedAttributes"):
        if request.args.get(name):
            args[name] = request.args[name]
    for name in ("startIndex", "count"):
        if request.args.get(name) is not None:
            try:
                args[name] = int(request.args[name])
            except ValueError:
                raise Refused(f"{name} must be an integer.") from None
    return SearchRequest[model].model_validate(args, scim_ctx=Context.RESOURCE_QUERY_REQUEST)


def _search(models, search_request, model):
    page = filters.search(g.org, models, search_request)
    listing = ListResponse[model](total_results=page.total, start_index=page.start_index,
                                  items_per_page=len(page.resources), resources=page.resources)
    return respond(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search_request))


@route("/.search", methods=["POST"])
def search_all():
    model = User | Group
    search_request = SearchRequest[model].model_validate(body(), scim_ctx=Context.SEARCH_REQUEST)
    return _search([User, Group], search_request, model)


# Users ----------------------------------------------------------------------------------------------------

def _user_payload(data, current=None):
    """Fill what a client may leave out of a whole User: ``active`` (true for a new person, unchanged otherwise)
    and the work e-mail (the userName for a new person, unchanged otherwise)."""
    data = dict(data)
    keys = {key.lower(): key for key in data}
    if "active" not in keys:
        data["active"] = current.active if current is not None else True
    if not data.get(keys.get("emails", "emails")):
        data.pop(keys.get("emails", "emails"), None)
        if current is not None:
            data["emails"] = [e.model_dump(scim_ctx=None, exclude_none=True) for e in current.emails]
        else:
            data["emails"] = [{"value": data.get(keys.get("username", "userName")), "type": resources.WORK}]
    return data


def _user_response(member, context, status=200):
    resource = services.user_resource(g.org, member)
    return respond(dump(resource, context, response_parameters(User)), status,
                   location=resource.meta.location if status == 201 else None)


@route("/Users")
def list_users():
    return _search([User], _query_search_request(User), User)


@route("/Users/.search", methods=["POST"])
def search_users():
    return _search([User], SearchRequest[User].model_validate(body(), scim_ctx=Context.SEARCH_REQUEST), User)


@route("/Users", methods=["POST"])
def create_user():
    resource = User.model_validate(_user_payload(body()), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    member = services.create_user(g.org, resource)
    return _user_response(member, Context.RESOURCE_CREATION_RESPONSE, 201)


@route("/Users/<ident>")
def user(ident):
    return _user_response(services.member_by_id(g.org, ident), Context.RESOURCE_QUERY_RESPONSE)


@route("/Users/<ident>", methods=["PUT"])
def replace_user(ident):
    member = services.member_by_id(g.org, ident)
    current = services.user_resource(g.org, member)
    resource = User.model_validate(_user_payload(body(), current), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    resource.replace(current)
    services.replace_user(g.org, member, resource)
    return _user_response(member, Context.RESOURCE_REPLACEMENT_RESPONSE)


@route("/Users/<ident>", methods=["PATCH"])
def patch_user(ident):
    member = services.member_by_id(g.org, ident)
    resource = services.user_resource(g.org, member)
    PatchOp[User].model_validate(body(), scim_ctx=Context.RESOURCE_PATCH_REQUEST).patch(resource)
    services.replace_user(g.org, member, resource)
    return _user_response(member, Context.RESOURCE_PATCH_RESPONSE)


@route("/Users/<ident>", methods=["DELETE"])
def delete_user(ident):
    services.delete_user(g.org, services.member_by_id(g.org, ident))
    return current_app.response_class(status=204)


# Groups ---------------------------------------------------------------------------------------------------

def _group_response(group, context, status=200):
    resource = resources.group_resource(group)
    return respond(dump(resource, context, response_parameters(Group)), status,
                   location=resource.meta.location if status == 201 else None)


@route("/Groups")
def list_groups():
    return _search([Group], _query_search_request(Group), Group)


@route("/Groups/.search", methods=["POST"])
def search_groups():
    return _search([Group], SearchRequest[Group].model_validate(body(), scim_ctx=Context.SEARCH_REQUEST), Group)


@route("/Groups", methods=["POST"])
def create_group():
    resource = Group.model_validate(body(), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    return _group_response(services.create_group(g.org, resource), Context.RESOURCE_CREATION_RESPONSE, 201)


@route("/Groups/<ident>")
def group(ident):
    return _group_response(services.group_by_id(g.org, ident), Context.RESOURCE_QUERY_RESPONSE)


@route("/Groups/<ident>", methods=["PUT"])
def replace_group(ident):
    group = services.group_by_id(g.org, ident)
    resource = Group.model_validate(body(), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    resource.replace(resources.group_resource(group))
    return _group_response(services.replace_group(g.org, group, resource), Context.RESOURCE_REPLACEMENT_RESPONSE)


@route("/Groups/<ident>", methods=["PATCH"])
def patch_group(ident):
    group = services.group_by_id(g.org, ident)
    resource = resources.group_resource(group)
    PatchOp[Group].model_validate(body(), scim_ctx=Context.RESOURCE_PATCH_REQUEST).patch(resource)
    return _group_response(services.replace_group(g.org, group, resource), Context.RESOURCE_PATCH_RESPONSE)


@route("/Groups/<ident>", methods=["DELETE"])
def delete_group(ident):
    services.delete_group(g.org, services.group_by_id(g.org, ident))
    return current_app.response_class(status=204)


# Anything else --------------------------------------------------------------------------------------------

@route("/<path:unknown>", methods=METHODS)
def unknown(unknown):
    """A SCIM 404, or a 405 where the path exists for other methods (discovery endpoints only answer GET)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in METHODS:
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != "scim.unknown":
            allowed.append(method)
    if allowed:
        response = scim_error(405, f"{request.method} is not allowed here; use {', '.join(allowed)}.")
        response.headers["Allow"] = ", ".join(allowed)
        return response
    raise NotFoundException(detail=f"Nothing at {request.path}.")
