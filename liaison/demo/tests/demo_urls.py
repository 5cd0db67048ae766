"""The site's addresses as `liaison demo` routes them (liaison/urls.py adds the demo's own in demo mode only)."""

from django.urls import include, path

from liaison.urls import handler403  # noqa: F401 - the site's 403 handler, kept
from liaison.urls import urlpatterns as site

urlpatterns = [*site, path("demo/", include("liaison.demo.urls"))]
