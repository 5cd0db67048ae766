"""What bench/pages.py asks for: every page a person reads (lists, dashboards and the record pages they open
from them), each as the role that uses it, beside the two floors. Shared by the parent, the client process and
the in-process profile, so that all three mean the same page by the same name.

A page whose path has `{id}` cycles through records picked per size (`ids` names the kind; see pages_inproc.py):
a size with none of that kind skips the page and says so. Forms, POST-only addresses and exports are not pages
here; `unmeasured()` lists any address of the URL conf that is neither here nor in SKIPPED, so a new dashboard
cannot go unmeasured without the report saying so.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # the demo account that asks (liaison/demo/base.py DEMO_USERS)
    path: str
    ids: str = ""  # a kind of record from pages_inproc.pick_ids, for a path with {id}
    url_name: str = ""  # the URL conf's name, to check nothing is left out


FLOOR = "/accounts/me/"  # signed in, the full layout, one's own account: the floor every page is compared with
HEALTH = "/health/"  # no session, one SELECT 1: reported beside it

PAGES = (
    Page("inbox", "coordinator", "/referrals/", url_name="referrals:inbox"),
    Page("inbox, acute and overdue", "coordinator", "/referrals/?status=acute&overdue=on"),
    Page("referral, open", "clinician", "/referrals/{id}/", "open_referrals", "referrals:detail"),
    Page("referral, closed", "coordinator", "/referrals/{id}/", "closed_referrals"),
    Page("owed to the referrer", "coordinator", "/comms/referrals/{id}/owed/", "open_referrals", "comms:owed"),
    Page("work queue", "coordinator", "/comms/", url_name="comms:queue"),
    Page("letters on time", "director", "/comms/sla/", url_name="comms:sla"),
    Page("outbox", "coordinator", "/comms/outbox/", url_name="comms:outbox"),
    Page("letter and its outbox", "coordinator", "/comms/letters/{id}/", "letters", "comms:letter"),
    Page("letter preview", "coordinator", "/comms/letters/{id}/preview/", "letters", "comms:letter_preview"),
    Page("liaison's tasks", "liaison", "/crm/", url_name="crm:tasks"),
    Page("target list", "liaison", "/crm/targets/", url_name="crm:targets"),
    Page("saved list", "liaison", "/crm/lists/{id}/", "saved_lists", "crm:saved_list"),
    Page("network", "liaison", "/crm/network/", url_name="crm:network"),
    Page("referrer relationship", "liaison", "/crm/referrers/{id}/", "referrers", "crm:referrer"),
    Page("practice relationship", "liaison", "/crm/practices/{id}/", "practices", "crm:practice"),
    Page("meeting", "liaison", "/crm/meetings/{id}/", "meetings", "crm:meeting"),
    Page("referrers directory", "liaison", "/directory/referrers/", url_name="directory:referrers"),
    Page("outcomes", "director", "/care/outcomes/", url_name="care:outcomes"),
    Page("open safety alerts", "clinician", "/care/alerts/", url_name="care:alerts"),
    Page("schedule, today", "coordinator", "/care/schedule/", url_name="care:schedule"),
    Page("audit trail", "director", "/audit/", url_name="core:audit"),
    Page("portal", "referrer", "/portal/", url_name="intake:portal"),
    Page("portal referral", "referrer", "/portal/{id}/", "portal_referrals", "intake:portal_detail"),
    Page("search, a misspelt surname", "coordinator", "/search/?q=Brenan", url_name="search:results"),
    Page("search, first and last name", "coordinator", "/search/?q=olivia+brenan"),
    # The lists as people re-sort them (decision 0043): the sorts no index gives, on the largest page.
    Page("inbox, by patient, 200 a page", "coordinator", "/referrals/?sort=patient&size=200"),
    Page("work queue, by referrer", "coordinator", "/comms/?sort=referrer"),
    Page("outbox, longest waiting", "coordinator", "/comms/outbox/?sort=-waited"),
    Page("liaison's tasks, by referrer", "liaison", "/crm/?sort=referrer&size=100"),
    Page("referrers directory, by health", "liaison", "/directory/referrers/?sort=health&size=100"),
)
ROLES = tuple(dict.fromkeys(page.role for page in PAGES))

# Addresses that are not pages to read: forms and their posts, files, redirects, the public forms, sign-in.
SKIPPED = {
    "core:home": "a redirect to the role's first page",
    "core:health": "the floor without a session (measured beside every page)",
    "core:audit_export": "a CSV file",
    "accounts:account": "the floor",
    "referrals:new": "a form",
    "referrals:transition": "POST",
    "referrals:assign": "POST",
    "referrals:note": "POST",
    "intake:refer": "the public form",
    "intake:self_refer": "the public form",
    "intake:sent": "the public form's receipt",
    "intake:icd10": "the public form's look-up",
    "intake:attachment": "a file",
    "intake:duplicate": "a decision form",
    "intake:safety_review": "a form",
    "care:session_new": "a form",
    "care:score_new": "a form",
    "care:link_create": "POST",
    "care:alert_acknowledge": "POST",
    "care:item9_record": "a form",
    "care:questionnaire": "the patient's form",
    "comms:due_letter": "POST",
    "comms:letter_pdf": "a file",
    "comms:letter_approve": "POST",
    "comms:outbox_retry": "POST",
    "crm:targets_save": "POST",
    "crm:targets_export": "a CSV file",
    "crm:targets_import": "a form",
    "crm:draft": "a form",
    "crm:meeting_invite": "a calendar file",
    "crm:task_done": "POST",
    "care:booking": "one booking, opened from the schedule or the referral page (the schedule is measured)",
    "care:booking_new": "a form",
    "care:booking_reschedule": "a form",
    "care:booking_outcome": "POST",
    "care:booking_invitation": "a calendar file",
    "care:link_send": "a form",
    "comms:outbox_send_again": "POST",
    "intake:message": "POST",
    "intake:replies_read": "POST",
    "notify:preferences": "a form",
    "referrals:referrer_lookup": "the staff form's look-up of referrers (a fragment while typing)",
    "referrals:bulk_assign": "POST (a bulk action and its confirmation)",
    "comms:draft_selected": "POST (a bulk action and its confirmation)",
    "crm:tasks_bulk": "POST (a bulk action and its confirmation)",
    "crm:referrer_contact": "a form",
    "demo:mail": "the demo's mail catcher, not in production",
    "demo:mail_html": "the demo's mail catcher, not in production",
    "demo:mail_message": "the demo's mail catcher, not in production",
    "demo:mail_part": "the demo's mail catcher, not in production",
}
SKIPPED_AREAS = ("admin", "api", "accounts", "mfa", "account", "socialaccount", "usersessions", "admin_login")


def unmeasured() -> list[str]:
    """URL names in the URL conf (Django must be set up) that are neither measured nor skipped with a reason."""
    from django.urls import URLPattern, URLResolver, get_resolver

    measured = {page.url_name for page in PAGES if page.url_name}
    found = []

    def walk(patterns, namespace):
        for item in patterns:
            if isinstance(item, URLResolver):
                walk(item.url_patterns, item.namespace or namespace)
            elif isinstance(item, URLPattern) and item.name:
                name = f"{namespace}:{item.name}" if namespace else item.name
                area = (namespace or item.name).split(":")[0].split("_")[0]
                if name not in measured and name not in SKIPPED and area not in SKIPPED_AREAS:
                    found.append(name)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))
