"""The words and numbers the made-up networks are drawn from: names, places, specialties, drugs.

Kept apart from the generators so that a reader can check the clinical content in one place.
No text here contains a tab, a newline or a backslash: the large network streams these strings
to PostgreSQL's COPY as they are.
"""

from liaison.directory.choices import Channel, PracticeType, SharedCareModel, SourceType
from liaison.referrals.choices import Status

S = Status


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


DEMO_PASSWORD = "liaison-demo-2026"  # noqa: S105  (published on purpose: `liaison demo` prints it)

CLINIC = {
    "name": "Madison Square Interventional Psychiatry",
    "address": "41 East 26th Street, Suite 7B, New York, NY 10010",
    "phone": "+12125550100",
    "fax": "+12125550101",
    "email": "referrals@madisonsquare-ip.example",
}

FEMALE_NAMES = _words(
    "Abigail Adaeze Aisha Alejandra Amara Ana Anjali Bianca Camila Carmen Chloe Daniela Deborah Elena Emily "
    "Esther Fatima Gabriela Grace Hannah Imani Isabel Jasmine Jennifer Joanna Julia Keisha Laura Leah Lucia "
    "Maria Marisol Mei Miriam Nadia Naomi Nicole Olivia Priya Rachel Rebecca Rosa Ruth Sarah Sofia Tamar "
    "Valentina Vanessa Wen Yasmin Zoe"
)
MALE_NAMES = _words(
    "Aaron Adrian Ahmed Alexander Andre Anthony Benjamin Carlos Chen Christopher Daniel David Diego Eli "
    "Emmanuel Ethan Gabriel Hassan Ian Isaac Jamal James Javier Jonah Jose Joseph Kenji Kevin Kwame Luis "
    "Malik Marcus Matthew Michael Miguel Nathan Noah Omar Patrick Rafael Ravi Samuel Sean Thomas Tobias "
    "Victor William Xavier Yusuf Zachary"
)
LAST_NAMES = _words(
    "Abrams Acosta Adeyemi Alvarez Anderson Baptiste Bauer Bennett Brennan Caruso Castillo Chan Chen "
    "Cohen Coleman Costa Cruz Diaz Dubois Edwards Engel Esposito Feldman Fernandez Fischer Flores Gallagher "
    "Garcia Goldberg Gomez Greenberg Gupta Hernandez Hoffman Ibrahim Jackson Jimenez Johnson Kaplan Katz "
    "Kelly Kim Klein Kowalski Lee Levine Lopez Maldonado Martinez Mensah Mitchell Morales Murphy Nguyen "
    "Novak O'Brien Okafor Ortiz Park Patel Perez Petrov Quinn Ramirez Reyes Rivera Robinson Rodriguez "
    "Romano Rosen Russo Sanchez Santos Schwartz Shapiro Singh Sullivan Tanaka Torres Vargas Walsh "
    "Washington Weiss Williams Wong Yamamoto Young Zhang"
)

# (ZIP, city, state, telephone area code): real ZIP codes of New York City and its near suburbs.
PLACES = (
    ("10003", "New York", "NY", "212"),
    ("10011", "New York", "NY", "212"),
    ("10016", "New York", "NY", "646"),
    ("10019", "New York", "NY", "212"),
    ("10021", "New York", "NY", "212"),
    ("10023", "New York", "NY", "646"),
    ("10025", "New York", "NY", "212"),
    ("10028", "New York", "NY", "212"),
    ("10032", "New York", "NY", "646"),
    ("10128", "New York", "NY", "212"),
    ("11201", "Brooklyn", "NY", "718"),
    ("11215", "Brooklyn", "NY", "718"),
    ("11217", "Brooklyn", "NY", "347"),
    ("11238", "Brooklyn", "NY", "718"),
    ("11101", "Long Island City", "NY", "718"),
    ("11375", "Forest Hills", "NY", "718"),
    ("11354", "Flushing", "NY", "347"),
    ("10463", "Bronx", "NY", "718"),
    ("10301", "Staten Island", "NY", "718"),
    ("10601", "White Plains", "NY", "914"),
    ("10801", "New Rochelle", "NY", "914"),
    ("11021", "Great Neck", "NY", "516"),
    ("07030", "Hoboken", "NJ", "201"),
    ("07302", "Jersey City", "NJ", "201"),
)

STREETS = (
    "Broadway",
    "Park Avenue South",
    "West 57th Street",
    "East 86th Street",
    "Court Street",
    "Seventh Avenue",
    "Austin Street",
    "Main Street",
    "Mamaroneck Avenue",
    "Washington Street",
    "Riverdale Avenue",
    "Jackson Avenue",
    "Lexington Avenue",
    "Amsterdam Avenue",
    "Atlantic Avenue",
)

# Referring practices of the demo: name, type, clinicians, index into PLACES.
PRACTICES = (
    ("Gramercy Psychiatric Group", PracticeType.GROUP, 9, 2),
    ("Upper West Side Psychiatry", PracticeType.GROUP, 5, 5),
    ("Brooklyn Heights Mood Clinic", PracticeType.GROUP, 6, 10),
    ("Riverside Community Mental Health", PracticeType.COMMUNITY, 22, 6),
    ("Northern Manhattan Academic Psychiatry", PracticeType.ACADEMIC, 40, 8),
    ("Park Slope Family Medicine", PracticeType.GROUP, 7, 11),
    ("Yorkville Internal Medicine", PracticeType.GROUP, 4, 7),
    ("Forest Hills Primary Care", PracticeType.GROUP, 6, 15),
    ("Harbor Health System Primary Care", PracticeType.HEALTH_SYSTEM, 60, 14),
    ("Flushing Community Health Center", PracticeType.FQHC, 18, 16),
    ("Chelsea Psychotherapy Collective", PracticeType.GROUP, 8, 1),
    ("Hoboken Counseling Associates", PracticeType.GROUP, 4, 22),
    ("Westchester Pain and Spine", PracticeType.GROUP, 5, 19),
    ("Great Neck Neurology", PracticeType.SOLO, 2, 21),
    ("Midtown Workforce Assistance", PracticeType.EAP, 6, 3),
    ("Jersey City Ketamine Wellness", PracticeType.SOLO, 2, 23),
)

# Per source type: (NUCC taxonomy code, credentials it goes with, weight).
TAXONOMIES = {
    SourceType.PSYCHIATRY: (
        ("2084P0800X", ("MD", "DO"), 8),
        ("363LP0808X", ("PMHNP-BC", "NP"), 3),
        ("2084P0802X", ("MD",), 1),
        ("2084P0805X", ("MD",), 1),
    ),
    SourceType.PRIMARY_CARE: (
        ("207Q00000X", ("MD", "DO"), 5),
        ("207R00000X", ("MD", "DO"), 4),
        ("207RG0300X", ("MD",), 1),
    ),
    SourceType.THERAPY: (
        ("103TC0700X", ("PhD", "PsyD"), 4),
        ("1041C0700X", ("LCSW",), 3),
        ("101YM0800X", ("LMHC",), 2),
        ("106H00000X", ("LMFT",), 1),
    ),
    SourceType.PAIN: (("208VP0014X", ("MD",), 1),),
    SourceType.NEUROLOGY: (("2084N0400X", ("MD",), 1),),
    SourceType.EAP: (("1041C0700X", ("LCSW",), 1),),
    SourceType.KETAMINE_PROVIDER: (("207L00000X", ("MD",), 1), ("2084P0800X", ("MD",), 1)),
    SourceType.OTHER: (("207V00000X", ("MD",), 1),),
}

# Which practices (by index into PRACTICES) each source type works in.
PRACTICES_BY_SOURCE = {
    SourceType.PSYCHIATRY: (0, 0, 1, 2, 3, 4),
    SourceType.PRIMARY_CARE: (5, 6, 7, 8, 9),
    SourceType.THERAPY: (10, 11, 3),
    SourceType.PAIN: (12,),
    SourceType.NEUROLOGY: (13,),
    SourceType.EAP: (14,),
    SourceType.KETAMINE_PROVIDER: (15,),
    SourceType.OTHER: (8,),
}

# The usual mix (PRODUCT §5): of referrers in the directory, and of referrals received.
REFERRER_MIX = {
    SourceType.PSYCHIATRY: 0.50,
    SourceType.PRIMARY_CARE: 0.25,
    SourceType.THERAPY: 0.15,
    SourceType.PAIN: 0.025,
    SourceType.NEUROLOGY: 0.025,
    SourceType.EAP: 0.025,
    SourceType.KETAMINE_PROVIDER: 0.025,
}
REFERRAL_MIX = {
    SourceType.SELF: 0.14,
    SourceType.PSYCHIATRY: 0.46,
    SourceType.PRIMARY_CARE: 0.24,
    SourceType.THERAPY: 0.12,
    SourceType.PAIN: 0.01,
    SourceType.NEUROLOGY: 0.01,
    SourceType.EAP: 0.01,
    SourceType.KETAMINE_PROVIDER: 0.01,
}

CHANNEL_WEIGHTS = {Channel.FAX: 3, Channel.EMAIL: 3, Channel.PORTAL: 3, Channel.FHIR: 1}
SHARED_CARE_WEIGHTS = {
    SharedCareModel.CONSULTATION: 5,
    SharedCareModel.COLLABORATIVE: 4,
    SharedCareModel.INTEGRATED: 1,
}
INTAKE_WEIGHTS = {"web": 35, "fax": 25, "phone": 15, "api": 10, "fhir": 15}

# ICD-10-CM: the diagnosis a referral is about, and what often comes with it.
DIAGNOSES = (
    ("F33.2", "Major depressive disorder, recurrent, severe without psychotic features", 30),
    ("F33.1", "Major depressive disorder, recurrent, moderate", 25),
    ("F32.2", "Major depressive disorder, single episode, severe without psychotic features", 12),
    ("F32.1", "Major depressive disorder, single episode, moderate", 8),
    ("F33.9", "Major depressive disorder, recurrent, unspecified", 10),
    ("F32.9", "Major depressive disorder, single episode, unspecified", 6),
    ("F32.A", "Depression, unspecified", 3),
    ("F33.3", "Major depressive disorder, recurrent, severe with psychotic symptoms", 2),
)
COMORBID = (
    ("F41.1", "Generalized anxiety disorder"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F41.0", "Panic disorder"),
    ("F42.2", "Mixed obsessional thoughts and acts"),
    ("G89.29", "Other chronic pain"),
)

# Antidepressants with the daily doses (mg) a prescriber typically reaches.
ANTIDEPRESSANTS = (
    ("Sertraline", (50, 100, 150, 200)),
    ("Escitalopram", (10, 15, 20)),
    ("Citalopram", (20, 30, 40)),
    ("Fluoxetine", (20, 40, 60)),
    ("Paroxetine", (20, 30, 40)),
    ("Venlafaxine XR", (75, 150, 225)),
    ("Duloxetine", (60, 90, 120)),
    ("Desvenlafaxine", (50, 100)),
    ("Bupropion XL", (150, 300, 450)),
    ("Mirtazapine", (15, 30, 45)),
    ("Vortioxetine", (10, 20)),
    ("Vilazodone", (20, 40)),
    ("Nortriptyline", (50, 75, 100)),
)
AUGMENTERS = (
    ("Aripiprazole", (2, 5, 10)),
    ("Quetiapine XR", (150, 300)),
    ("Lithium carbonate", (600, 900)),
    ("Brexpiprazole", (1, 2)),
)
WEEKS = (3, 4, 6, 8, 8, 10, 12, 12, 16, 24)
EXTRA_MEDICATIONS = (
    "trazodone 50 mg at night",
    "hydroxyzine 25 mg as needed",
    "levothyroxine 75 mcg daily",
    "lisinopril 10 mg daily",
    "propranolol 10 mg as needed",
    "atorvastatin 20 mg daily",
)
PSYCHOTHERAPIES = ("CBT", "IPT", "DBT", "Psychodynamic therapy", "ACT", "Behavioural activation", "Supportive therapy")
SAFETY_OTHER = (
    "Takes lamotrigine for migraine prevention.",
    "Obstructive sleep apnoea, uses CPAP.",
    "History of fainting with blood draws.",
    "Glaucoma, followed by ophthalmology.",
)

REASONS_CLINICIAN = (
    "Depression has not lifted after {trials}. I would value an evaluation for ketamine or esketamine.",
    "Recurrent depression over {years}; little benefit from {trials}. Patient is asking about ketamine.",
    "Persistent anhedonia and poor sleep despite {trials}. Please assess for IV ketamine.",
    "Severe episode for {months} months, now on {current}. Referring for an interventional opinion.",
    "Treatment-resistant by my count ({trials}). Happy to keep prescribing alongside your care.",
)
REASONS_SELF = (
    "I have been depressed on and off for {years} and the medicines I tried did not help much.",
    "My therapist suggested I ask about ketamine. Nothing has worked for long: {trials}.",
    "I read about esketamine and would like to know whether I could be a candidate.",
)
REASONS_NO_TRIALS = (
    "Depression has not lifted with psychotherapy; no antidepressant trials yet. Could ketamine be considered?",
    "Patient declines oral antidepressants after a bad experience years ago and asks about ketamine.",
)
PRESCRIBER_TITLES = ("psychiatrist", "primary care", "nurse practitioner")

CLOSING_REASONS = {
    S.NOT_RECOMMENDED: (
        "Bipolar I history with mania this year; ketamine not advised for now. Mood stabiliser review suggested.",
        "One adequate antidepressant trial so far; a second adequate trial and psychotherapy suggested first.",
        "Blood pressure 168/102 at evaluation; cardiology review needed before ketamine can be considered.",
        "Active alcohol use disorder; treatment of the substance use first, re-referral welcome in three months.",
    ),
    S.DECLINED_BY_PATIENT: (
        "Patient chose to try TMS first.",
        "Not covered by the patient's insurance; patient declined to pay out of pocket.",
        "Patient uneasy about dissociation after reading the consent information.",
        "Twice-weekly visits not possible with the patient's work schedule.",
    ),
    S.LOST_TO_FOLLOW_UP: (
        "Three calls and a letter over four weeks without reply; referrer informed.",
        "Phone number out of service; referrer asked for current contact details, none received.",
        "Patient stopped answering after two missed appointments; referrer informed.",
    ),
    S.CANCELLED: (
        "Referrer withdrew the referral: patient admitted for inpatient care.",
        "Duplicate of an earlier referral for the same patient.",
        "Patient moved out of state; referred on to a clinic near the new home.",
        "Insurance authorisation refused; referrer informed of other options.",
    ),
    S.NO_SHOW: (
        "Patient did not come to the evaluation; two calls and a text sent.",
        "Missed the evaluation appointment; voicemail left.",
    ),
}
# Reasons that depend on where the referral was when it closed.
RETURNED_FROM = {
    S.MAINTENANCE: (
        "Remission held through maintenance (PHQ-9 {after}); hand-back letter sent to {back_to}.",
        "Maintenance tapered off after a good response (PHQ-9 {before} to {after}); back in {back_to}'s care.",
    ),
    S.ACUTE_COMPLETE: (
        "Response to the acute series (PHQ-9 {before} to {after}); back in {back_to}'s care, no maintenance needed.",
        "Partial response (PHQ-9 {before} to {after}); returned to {back_to} with suggestions for next steps.",
    ),
    S.ACUTE: (
        "Blood pressure rose at each session despite adjustments; series stopped, returned to {back_to}.",
        "No benefit after four sessions (PHQ-9 {before} to {after}); returned to {back_to} with other options.",
    ),
}
STOPPED_TREATMENT = (
    "Patient stopped after a session: the dissociation felt too unpleasant.",
    "Patient stopped the series after three sessions, citing travel time and cost.",
)
NOT_RECOMMENDED_ON_REVIEW = (
    "On review of the referral: psychosis within the past year; ketamine not advised. Referrer called.",
    "On review of the referral: pregnancy; ketamine not advised during pregnancy. Referrer called.",
)
STEP_NOTES = {
    S.INFO_REQUESTED: (
        "Asked the referrer for doses and durations of the prior antidepressant trials.",
        "Asked for recent blood pressure readings and cardiology notes.",
        "Asked for a current PHQ-9 and the psychotherapy history.",
    ),
}
