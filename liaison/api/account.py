"""Who a token acts for: the first call an integration makes, to check it was set up right. It reads no
patient data, so it is also the API's own trivial endpoint in the intake benchmark."""

from ninja import Router, Schema

from liaison.api.auth import TokenAuth
from liaison.api.errors import TOKEN, refuse_unknown_query, responses

router = Router(tags=["account"], auth=TokenAuth())


class TokenOut(Schema):
    name: str
    prefix: str


class ActsForOut(Schema):
    username: str
    role: str
    referrer_npi: str | None
    referrer_name: str | None
    practice: str | None
    token: TokenOut


@router.get("", response={200: ActsForOut, **responses(*TOKEN)}, summary="Who this token sends referrals as")
def me(request):
    refuse_unknown_query(request)
    token, user = request.auth, request.auth.user
    referrer = user.referrer if user.referrer_id else None
    practice = user.practice if user.practice_id else (referrer.practice if referrer and referrer.practice_id else None)
    return {
        "username": user.get_username(),
        "role": user.role,
        "referrer_npi": referrer.npi if referrer else None,
        "referrer_name": str(referrer) if referrer else None,
        "practice": practice.name if practice else None,
        "token": {"name": token.name, "prefix": token.prefix},
    }
