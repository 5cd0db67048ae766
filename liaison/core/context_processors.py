from liaison.core.models import Clinic


def clinic(request):
    """The clinic's name for every page header; one cached query per request at most."""

    def load():
        if not hasattr(request, "_clinic"):
            request._clinic = Clinic.objects.first()
        return request._clinic

    return {"clinic": load}
