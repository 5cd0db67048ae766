"""The Sent mail page: what the demo's mail catcher received (liaison.demo.mailcatcher). Demo mode only: anywhere
else these addresses are not routed (liaison/urls.py), and each view answers 404 besides."""

from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from liaison.core.audit import audit_log
from liaison.core.permissions import allowed
from liaison.demo import sent_mail
from liaison.demo.models import CaughtMail

# The caught letter's own HTML, shown as its own page: nothing in it may run, load or submit anything.
LETTER_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def demo_only(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if settings.MODE != "demo":
            raise Http404("There is no sent mail outside the demo.")
        return view(request, *args, **kwargs)

    return wrapped


def _mail(request, pk: int, action: str) -> CaughtMail:
    mail = get_object_or_404(CaughtMail, pk=pk)
    audit_log(actor=request.user, action=action, obj=mail, detail={"to": mail.recipients, "subject": mail.subject})
    return mail


@allowed("demo.mail")
@demo_only
def mail_list(request):
    mails = sent_mail.newest()
    audit_log(actor=request.user, action="list", object_type="demo.caughtmail", detail={"mail": [m.pk for m in mails]})
    return render(request, "demo/sent_mail.html", {"mails": mails, "shown": sent_mail.SHOWN})


@allowed("demo.mail")
@demo_only
def mail_detail(request, pk: int):
    shown = sent_mail.show(_mail(request, pk, "view"))
    return render(request, "demo/sent_mail_message.html", {"shown": shown, "mail": shown.mail})


@allowed("demo.mail")
@demo_only
def mail_html(request, pk: int):
    body = sent_mail.html_body(_mail(request, pk, "view"))
    if body is None:
        raise Http404("This message has no HTML part.")
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = LETTER_CSP
    return response


@allowed("demo.mail")
@demo_only
def mail_part(request, pk: int, number: int):
    found = sent_mail.attachment(_mail(request, pk, "download"), number)
    if found is None:
        raise Http404("This message has no such attachment.")
    part, payload = found
    response = HttpResponse(payload, content_type=part.content_type)
    response["Content-Disposition"] = f'inline; filename="{part.filename.replace(chr(34), "")}"'
    response["Content-Security-Policy"] = LETTER_CSP
    return response
