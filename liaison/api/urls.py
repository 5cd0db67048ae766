from liaison.api.api import api

app_name = api.urls_namespace
urlpatterns = api.urls[0]
