"""The signed letters on a referral's portal page: a letter sent by the portal channel is read there, and a
letter sent by email or fax can be read there again. Only signed letters, only on referrals the asker may see."""

from django import template

from liaison.comms.choices import LetterStatus
from liaison.comms.models import Letter
from liaison.comms.queries import scoped

register = template.Library()


@register.inclusion_tag("comms/_portal_letters.html", takes_context=True)
def portal_letters(context, referral):
    user = context["request"].user
    letters = scoped(Letter.objects.filter(referral_id=referral.pk, status=LetterStatus.SIGNED), user)
    return {"letters": list(letters.only("id", "letter_type", "signed_at").order_by("signed_at", "id"))}
