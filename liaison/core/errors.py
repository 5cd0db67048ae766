"""The site's error pages. A refused request (403) goes on the audit trail here, whichever view refused it;
a 404 on a record that exists but is not the asker's is recorded by the query that refused it
(liaison.accounts.access.out_of_scope). The 500 page needs neither the database nor the request."""

from django.shortcuts import render

from liaison.core.audit import audit_log


def forbidden(request, exception=None):
    match = request.resolver_match
    audit_log(
        actor=request.user,
        action="access_denied",
        object_type=f"url:{match.view_name}" if match else "url",
        detail={
            "status": 403,
            "method": request.method,
            "url_kwargs": {k: str(v) for k, v in (match.kwargs if match else {}).items()},
        },
    )
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """A post without a valid CSRF token is refused like any other request and recorded the same way, with
    Django's reason (e.g. "CSRF token missing") — a forged form is exactly what the trail should show."""
    audit_log(
        actor=getattr(request, "user", None),
        action="access_denied",
        object_type="csrf",
        detail={"status": 403, "method": request.method, "reason": reason},
    )
    return render(request, "403.html", {"reason": "The form had expired or did not come from this site."}, status=403)
