"""The starting outreach templates, one per strategy and a couple more; an admin edits them afterwards."""

from django.db import migrations

TEMPLATES = [
    {
        "name": "Warm introduction",
        "strategy": "warm_introduction",
        "subject": "$referrer_name, an introduction from a colleague",
        "body": (
            "Dear $referrer_name,\n\n"
            "A colleague of yours suggested I get in touch. I look after our relationships with clinicians at "
            "$clinic_name, where we offer ketamine treatment for depression that has not responded to the usual "
            "medications and therapy.\n\n"
            "We work alongside the clinician who knows the patient best, so you stay in charge of their care and "
            "hear from us after the evaluation and through treatment.\n\n"
            "Could I have twenty minutes of your time in the next few weeks, at your office or by phone? I would "
            "mostly like to hear how you manage your hardest-to-treat patients today.\n\n"
            "With best wishes,\n$liaison_name\n$clinic_name"
        ),
    },
    {
        "name": "Educational offer",
        "strategy": "educational",
        "subject": "A short talk for $practice_name on ketamine for treatment-resistant depression",
        "body": (
            "Dear $referrer_name,\n\n"
            "Our medical team at $clinic_name gives short, practical talks for clinicians: what the evidence says "
            "about ketamine and esketamine, which patients tend to do well, how we keep treatment safe, and what "
            "happens after a referral. It is teaching, not a sales pitch, and we are glad to fit a lunch, a team "
            "meeting or grand rounds.\n\n"
            "Would a session for $practice_name be useful? I can send a few dates.\n\n"
            "Kind regards,\n$liaison_name\n$clinic_name"
        ),
    },
    {
        "name": "Collaborative approach",
        "strategy": "collaborative",
        "subject": "Working together on your patients with hard-to-treat depression",
        "body": (
            "Dear $referrer_name,\n\n"
            "When a patient of yours comes to $clinic_name, they remain your patient. We send you our evaluation, "
            "keep you informed during treatment with their symptom scores, and hand care back to you with a clear "
            "plan.\n\n"
            "I would value your view on how we can make that work well for your practice: what you need to hear "
            "from us, how often, and by which route.\n\n"
            "Best wishes,\n$liaison_name\n$clinic_name"
        ),
    },
    {
        "name": "Thank you after a meeting",
        "strategy": "collaborative",
        "subject": "Thank you for your time",
        "body": (
            "Dear $referrer_name,\n\n"
            "Thank you for meeting with me. I have noted the questions you raised and will come back to you on each "
            "of them. As agreed, the next step is: [write the next step here].\n\n"
            "If a patient comes to mind in the meantime, the quickest way to refer is through our referral page, "
            "or call us and we will take it from there.\n\n"
            "With thanks,\n$liaison_name\n$clinic_name"
        ),
    },
    {
        "name": "Thank you for a first referral",
        "strategy": "collaborative",
        "subject": "Thank you for your referral",
        "body": (
            "Dear $referrer_name,\n\n"
            "Thank you for trusting us with your patient. We will be in touch after the evaluation with a full "
            "report, and I will check in with you afterwards to hear how the process felt from your side.\n\n"
            "With thanks,\n$liaison_name\n$clinic_name"
        ),
    },
]


def add(apps, schema_editor):
    OutreachTemplate = apps.get_model("crm", "OutreachTemplate")
    for item in TEMPLATES:
        OutreachTemplate.objects.get_or_create(name=item["name"], defaults=item)


def remove(apps, schema_editor):
    apps.get_model("crm", "OutreachTemplate").objects.filter(name__in=[t["name"] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
