"""Reference data the form and integrations share: the curated ICD-10 list."""

from ninja import Query, Router, Schema
from pydantic import Field

from liaison.api.errors import ANY, refuse_unknown_query, responses
from liaison.api.schemas import CodeOut
from liaison.referrals import icd10

router = Router(tags=["reference"])


class CodeQuery(Schema):
    q: str = Field("", max_length=50)


@router.get(
    "/icd10",
    response={200: list[CodeOut], **responses(*ANY, 422)},
    auth=None,
    summary="Search the curated ICD-10 mental-health codes",
)
def icd10_search(request, filters: Query[CodeQuery]):
    refuse_unknown_query(request, "q")
    return [{"code": c, "description": d} for c, d in icd10.search(filters.q)]
