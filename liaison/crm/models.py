"""The liaison's records: one relationship per referrer or practice, its interactions, meetings,
concerns and tasks; the daily health of each referrer; the clinic's locations; saved target lists."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from liaison.crm.choices import (
    CONCERN_CATEGORY,
    FIRST_REFERRAL_KINDS,
    ONE_OPEN_KINDS,
    Cause,
    ConcernCategory,
    ConcernTag,
    Flag,
    InteractionKind,
    Introduction,
    MeetingKind,
    MeetingStatus,
    Outcome,
    Stage,
    Strategy,
    TaskKind,
    TaskStatus,
)
from liaison.directory.choices import SourceType
from liaison.directory.models import zip_validator


class ClinicLocation(models.Model):
    """One of the clinic's own sites; distances on the target list are measured from the nearest."""

    name = models.CharField(max_length=100)
    zip_code = models.CharField("ZIP code", max_length=5, validators=[zip_validator])
    is_active = models.BooleanField("in use", default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.zip_code})"


class ZipDistance(models.Model):
    """Miles from a ZIP centroid to the nearest active clinic location (a cache, rebuilt by geo.py)."""

    zip_code = models.CharField(max_length=5, primary_key=True)
    miles = models.FloatField(null=True, help_text="Empty when the ZIP code is not a known US ZIP.")

    def __str__(self) -> str:
        return f"{self.zip_code}: {self.miles}"


class ReferrerDistance(models.Model):
    """Miles from a referrer's practice to the nearest active clinic location, one row per referrer, so that
    "within N miles, nearest first" is a range scan of one index with a LIMIT (kept by geo.py: with the
    nightly refresh, when a location or a practice's ZIP code changes, and for new referrers)."""

    referrer = models.OneToOneField(
        "directory.Referrer", primary_key=True, on_delete=models.CASCADE, related_name="distance"
    )
    zip_code = models.CharField(
        max_length=5, blank=True, help_text="The ZIP code measured from; stale when it is not the practice's."
    )
    miles = models.FloatField(null=True, help_text="Empty when there is no practice or its ZIP code is unknown.")

    class Meta:
        indexes = [models.Index(fields=["miles"], name="crm_refdist_miles")]

    def __str__(self) -> str:
        return f"{self.referrer_id}: {self.miles}"


class Relationship(models.Model):
    """The clinic's relationship with one referring clinician or one referring practice."""

    referrer = models.OneToOneField(
        "directory.Referrer", null=True, blank=True, on_delete=models.CASCADE, related_name="relationship"
    )
    practice = models.OneToOneField(
        "directory.Practice", null=True, blank=True, on_delete=models.CASCADE, related_name="relationship"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.TARGET)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="relationships"
    )
    introduction = models.CharField("how we were introduced", max_length=10, choices=Introduction.choices, blank=True)
    introduced_by = models.CharField("introduced by", max_length=200, blank=True, help_text="For a warm introduction.")
    contact_name = models.CharField("point of contact", max_length=200, blank=True)
    contact_role = models.CharField("their role", max_length=100, blank=True)
    contact_email = models.EmailField("contact email", blank=True)
    contact_phone = models.CharField("contact phone", max_length=20, blank=True)
    enthusiasm = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Your own rating, 1 (lukewarm) to 5 (keen).",
    )
    is_opinion_leader = models.BooleanField("opinion leader", default=False)
    notes = models.TextField(blank=True)
    first_referral_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "stage"], name="crm_rel_owner_stage")]
        constraints = [
            models.CheckConstraint(
                condition=Q(referrer__isnull=False, practice__isnull=True)
                | Q(referrer__isnull=True, practice__isnull=False),
                name="crm_relationship_one_party",
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="crm_relationship_stage_known"),
            models.CheckConstraint(
                condition=Q(enthusiasm__isnull=True) | Q(enthusiasm__gte=1, enthusiasm__lte=5),
                name="crm_relationship_enthusiasm_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.referrer or self.practice)


class Meeting(models.Model):
    """A meeting with a referrer; the introduction meeting's agenda has a place for notes at each step."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(max_length=20, choices=MeetingKind.choices, default=MeetingKind.INTRODUCTION)
    status = models.CharField(max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True)
    organizer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opening_notes = models.TextField("opening", blank=True)
    listening_notes = models.TextField("listening", blank=True)
    presentation_notes = models.TextField("presentation", blank=True)
    discussion_notes = models.TextField("discussion", blank=True)
    closing_notes = models.TextField("closing", blank=True)
    next_step = models.CharField("agreed next step", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="crm_meeting_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.relationship} on {self.starts_at:%Y-%m-%d}"


class Interaction(models.Model):
    """One entry in a relationship's history: a call, an email, a visit, a talk, a meeting, a stage change."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=20, choices=InteractionKind.choices)
    strategy = models.CharField(max_length=20, choices=Strategy.choices, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    at = models.DateTimeField()
    summary = models.TextField(blank=True)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["relationship", "at"], name="crm_interaction_rel_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class Concern(models.Model):
    """A concern or barrier the referrer raised (knowledge, trust, practical), as a tag with a note."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="concerns")
    tag = models.CharField(max_length=20, choices=ConcernTag.choices)
    note = models.TextField(blank=True)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="concerns")
    raised_at = models.DateTimeField()
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["resolved", "-raised_at"]

    def __str__(self) -> str:
        return self.get_tag_display()

    @property
    def category(self) -> str:
        """Knowledge, trust, practical or relationship: the kind of barrier, for the playbook."""
        return ConcernCategory(CONCERN_CATEGORY[self.tag]).label


class Task(models.Model):
    """A piece of relationship work with an owner and a due time, made by an event, the refresh or a person."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=30, choices=TaskKind.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_tasks"
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="crm_task_owner_due"),
            # The task list's everyone's view in due order, and its kind filter and kind sort (task_list.SORTING).
            models.Index(fields=["status", "due_at"], name="crm_task_status_due"),
            models.Index(fields=["status", "kind", "due_at"], name="crm_task_status_kind_due"),
        ]
        constraints = [
            # The first-referral protocol starts once per relationship: a database fact, not a hope.
            models.UniqueConstraint(
                fields=["relationship", "kind"],
                condition=Q(kind__in=FIRST_REFERRAL_KINDS),
                name="crm_task_first_referral_once",
            ),
            models.UniqueConstraint(
                fields=["relationship", "kind"],
                condition=Q(kind__in=ONE_OPEN_KINDS, status=TaskStatus.OPEN),
                name="crm_task_one_open_per_kind",
            ),
            models.UniqueConstraint(
                fields=["meeting", "kind"], condition=Q(meeting__isnull=False), name="crm_task_once_per_meeting_kind"
            ),
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="crm_task_status_known"),
        ]

    def __str__(self) -> str:
        return self.title


class OutreachTemplate(models.Model):
    """An email the liaison starts from; $referrer_name, $clinic_name and $liaison_name are filled in."""

    name = models.CharField(max_length=100, unique=True)
    strategy = models.CharField(max_length=20, choices=Strategy.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    is_active = models.BooleanField("in use", default=True)

    class Meta:
        ordering = ["strategy", "name"]

    def __str__(self) -> str:
        return self.name


class SavedList(models.Model):
    """A target list kept by name: the filters, not the rows, so it stays current."""

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_lists")
    filters = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="crm_saved_list_name_unique")]

    def __str__(self) -> str:
        return self.name


class Health(models.Model):
    """A referrer's relationship health as of the last refresh (daily, and on every referral)."""

    referrer = models.OneToOneField(
        "directory.Referrer", primary_key=True, on_delete=models.CASCADE, related_name="health"
    )
    computed_at = models.DateTimeField()
    total_referrals = models.PositiveIntegerField(default=0)
    last_90 = models.PositiveIntegerField("referrals, last 90 days", default=0)
    prior_90 = models.PositiveIntegerField("referrals, the 90 days before", default=0)
    first_referral_at = models.DateTimeField(null=True, blank=True)
    last_referral_at = models.DateTimeField(null=True, blank=True)
    usual_interval_days = models.FloatField(null=True, blank=True)
    days_since_last = models.PositiveIntegerField(null=True, blank=True)
    outreach_count = models.PositiveIntegerField(default=0)
    response_rate = models.FloatField(null=True, blank=True)
    meeting_acceptance_rate = models.FloatField(null=True, blank=True)
    unprompted = models.PositiveIntegerField("unprompted referrals", default=0)
    reciprocal = models.PositiveIntegerField("reciprocal referrals", default=0)
    complexity = models.FloatField(null=True, blank=True, help_text="Average prior medication trials per referral.")
    accepted = models.PositiveIntegerField(default=0)
    treated = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    disappointing = models.PositiveIntegerField(default=0, help_text="Closed without treatment, last 180 days.")
    score = models.PositiveSmallIntegerField(default=0)
    flag = models.CharField(max_length=10, choices=Flag.choices, default=Flag.NO_REFERRALS)
    cause = models.CharField(max_length=20, choices=Cause.choices, blank=True)
    reasons = models.JSONField(default=list)

    class Meta:
        verbose_name_plural = "health"
        indexes = [
            models.Index(fields=["flag", "-score"], name="crm_health_flag_score"),
            # The network page: key relationships best first, the most urgent at risk, when health was worked out.
            models.Index(fields=["-score", "referrer"], name="crm_health_score"),
            models.Index(fields=["flag", "-prior_90", "-total_referrals", "referrer"], name="crm_health_at_risk"),
            models.Index(fields=["computed_at"], name="crm_health_computed"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id}: {self.score} {self.flag}"


class MonthlyReferralCount(models.Model):
    """Referrals received in one calendar month (the clinic's time zone) from one kind of source: the network
    page's source mix and month table read these few hundred rows instead of a year of referrals. Kept by
    monthly_counts.py: recounted for its month and source when a referral arrives, rebuilt nightly in sets."""

    month = models.DateField(help_text="The first day of the month.")
    source_type = models.CharField(max_length=20, choices=SourceType.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "source_type"], name="crm_monthly_count_once"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.source_type}: {self.count}"


class ReferrerMonthCount(models.Model):
    """One referrer's referrals received in one calendar month (the clinic's time zone), counted by where they
    got to: the relationship page's month table and outcome counts read these few dozen rows instead of every
    referral of a referrer with tens of thousands. Kept by referrer_counts.py: recounted for the referral's month
    when a referral arrives or changes status, rebuilt nightly in sets."""

    referrer = models.ForeignKey(
        "directory.Referrer", on_delete=models.CASCADE, related_name="+", db_index=False
    )  # the unique (referrer, month) index serves
    month = models.DateField(help_text="The first day of the month.")
    total = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    treated = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    not_treated = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referrer", "month"], name="crm_referrer_month_once"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} {self.month:%Y-%m}: {self.total}"
