"""Page-level access: the mechanism. The table of who may do what is liaison/accounts/access.py, which the
accounts app hands to `use_table` when it starts, so core never imports a domain app. Which *records* a person may
see is decided in each app's queries."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied

_TABLE: dict = {}  # capability name -> frozenset of roles, or None for anyone


def use_table(roles_by_capability: dict) -> None:
    _TABLE.clear()
    _TABLE.update(roles_by_capability)


def roles_of(capability: str):
    try:
        return _TABLE[capability]
    except KeyError:
        raise ImproperlyConfigured(f"{capability!r} is not in the role table (liaison/accounts/access.py).") from None


def may(user, capability: str) -> bool:
    """Whether this person holds the capability. An unknown capability is an error, never a yes."""
    roles = roles_of(capability)
    if roles is None:
        return True
    return bool(user is not None and user.is_authenticated and user.is_active and user.role in roles)


def allowed(capability: str):
    """The view is for the roles that hold `capability`: anyone else signed in gets a 403 (recorded on the audit
    trail by the 403 handler, liaison.core.errors), anyone signed out the sign-in page. The view carries its
    capability, so a test can check every URL against the table."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if roles_of(capability) is not None and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not may(request.user, capability):
                raise PermissionDenied("This page is not part of your role.")
            return view(request, *args, **kwargs)

        wrapped.capability = capability
        return wrapped

    return decorator
