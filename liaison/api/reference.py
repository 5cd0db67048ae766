"""Reference data the form and integrations share: the curated ICD-10 list."""

from ninja import Query, Router, Schema
from pydantic import Field

from liaison.api.schemas import CodeOut
from liaison.referrals import icd10

router = Router(tags=["reference"])


class CodeQuery(Schema):
    q: str = Field("", max_length=50)


@router.get("/icd10", response=list[CodeOut], auth=None, summary="Search the curated ICD-10 mental-health codes")
def icd10_search(request, filters: Query[CodeQuery]):
    return [{"code": c, "description": d} for c, d in icd10.search(filters.q)]
