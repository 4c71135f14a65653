"""The drafter's tables: kinds of subject, where a concept goes, each rule's confidence, and
the cue-word and name patterns that its rules (:mod:`.concepts`, :mod:`.relations`) read."""

from __future__ import annotations

import re

SUBJECT_KINDS = ("operation", "practice", "organisation")
PLACE_KINDS = ("place", "state")
#: Concepts drafted only when their subject is named in their own sentence.
SAME_SENTENCE_ONLY = frozenset({"success-factor", "operation-type", "component"})
#: How an article about one operation refers back to it ("the force", "this mission").
BACK_REFERENCES = ("the force", "this force", "the operation", "this operation", "the mission",
                   "this mission", "the peacekeepers")
#: Where a concept goes, by the kind of its subject: (fact kind, field). Kinds ``challenge``,
#: ``objective``, ``principle`` and ``assessment`` are facts of their own.
CONCEPT_FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("activity", "operation"): ("operation", "activities"),
    ("activity", "practice"): ("practice", "activities"),
    ("component", "operation"): ("operation", "components"),
    ("component", "practice"): ("practice", "components"),
    ("operation-type", "operation"): ("operation", "type"),
    ("operation-type", "practice"): ("practice", "type"),
    ("success-factor", "practice"): ("practice", "success_factors"),
    ("objective", "operation"): ("objective", "objective"),
    ("objective", "practice"): ("objective", "objective"),
    ("objective", "organisation"): ("objective", "objective"),
    ("challenge", "operation"): ("challenge", "challenge"),
    ("challenge", "practice"): ("challenge", "challenge"),
    ("challenge", "organisation"): ("challenge", "challenge"),
    ("principle", "practice"): ("principle", "applies_to"),
    ("outcome", "operation"): ("assessment", "outcome"),
    ("outcome", "practice"): ("assessment", "outcome"),
}
#: How often a rule's drafts were right when scored leave-one-out on the five bundled
#: articles (python -m bench.draft_bench; BENCHMARKS.md, "Drafting facts"), rounded.
CONFIDENCE: dict[str, float] = {
    'acronym: NAME (ACRONYM)': 0.90,
    'activity: concept credited to the article topic': 0.61,
    'activity: concept credited to the section topic': 0.64,
    'activity: concept in the passage of its grammatical subject': 0.50,
    'activity: concept in the passage of its subject': 0.45,
    'activity: concept in the sentence of its grammatical subject': 0.71,
    'activity: concept in the sentence of its subject': 0.33,
    'can_authorise: ORG authorises TYPE': 0.80,
    'challenge: concept credited to the article topic': 0.86,
    'challenge: concept credited to the section topic': 0.88,
    'challenge: concept in the passage of its grammatical subject': 0.89,
    'challenge: concept in the passage of its subject': 0.75,
    'challenge: concept in the sentence of its grammatical subject': 0.67,
    'challenge: concept in the sentence of its subject': 0.57,
    'component: concept in the sentence of its grammatical subject': 0.67,
    'component: concept in the sentence of its subject': 0.25,
    'effect: concept credited to the article topic': 0.40,
    'effect: concept in the passage of its grammatical subject': 0.38,
    'effect: concept in the sentence of its grammatical subject': 0.39,
    "host: PLACE in the operation's name": 0.88,
    "host: the reference host named in the operation's sentence": 0.67,
    "lead: ORG in the operation's name": 0.86,
    'lead: ORG-led operation': 0.67,
    'objective: concept credited to the article topic': 0.25,
    'objective: concept credited to the section topic': 0.36,
    'objective: concept in the passage of its grammatical subject': 0.57,
    'objective: concept in the passage of its subject': 0.57,
    'objective: concept in the sentence of its grammatical subject': 0.27,
    'objective: concept in the sentence of its subject': 0.53,
    'operation-type: concept in the sentence of its subject': 0.50,
    "outcome factor: a success factor or challenge in the outcome's sentence": 0.57,
    'outcome: a passage of cases judged together': 0.83,
    'outcome: the outcome word nearest the operation in its sentence': 0.83,
    'practice: operation in a passage about the topic': 0.71,
    'principle: concept credited to the article topic': 0.70,
    'principle: concept credited to the section topic': 0.43,
    'principle: concept in the passage of its grammatical subject': 0.67,
    'principle: concept in the passage of its subject': 0.75,
    'principle: concept in the sentence of its grammatical subject': 0.20,
    'principle: concept in the sentence of its subject': 0.32,
    'related: PRACTICE and PRACTICE': 0.33,
    'start_year: established/deployed in YEAR': 0.67,
    'success-factor: concept in the sentence of its grammatical subject': 0.67,
    'success-factor: concept in the sentence of its subject': 0.42,
    'supports: organisation as subject, practice in its sentence': 0.58,
    'supports: principle as subject, effect in its sentence': 0.62,
    "years: YEAR-YEAR in the operation's sentence": 0.75,
}
DEFAULT_CONFIDENCE = 0.5
YEAR = re.compile(r"\b(19[0-9]{2}|20[0-4][0-9])\b")
ACRONYM_PATTERN = re.compile(
    r"((?:(?:[A-Z][\w'\u2019-]*|of|for|in|the|and|on|de|du|des|pour|en)[ \t]+){1,9}"
    r"[A-Z][\w'\u2019-]*)[ \t]*\(([A-Z][A-Za-z]*[A-Z][A-Za-z]*)\)")
INSTRUMENT_WORDS = re.compile(r"\b(Charter|Treaty|Convention|Protocol|Agreement|Accords?|"
                              r"Resolution|Declaration|Memorandum)\b")
OPERATION_WORDS = re.compile(r"\b(Mission|Force|Operation|Group|Assistance|Office|"
                             r"Observer|Stabili[sz]ation|Administration)\b")
PLACE_NAMED = re.compile(r"\b((?:UN|United Nations)(?:\s+peacekeeping)?\s+(?:mission|operation|"
                         r"force)\s+(?:in|to)\s+)([A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)")
TITLE_PREFIX = re.compile(r"^(?:understanding\s+)?(?:the\s+)?(?:(?:role|impact|importance|"
                          r"future|evolution|history|significance)(?:\s+and\s+)?)+\s+of\s+",
                          re.IGNORECASE)
#: What makes a mentioned concept a claim: words of aim earlier in an objective's sentence
#: (else words of bringing about make it an effect: ``EFFECT_CUE``), of guidance around a
#: principle, of difficulty around a challenge, of what works around a success factor, of
#: verdict before an outcome. Without them a concept is only mentioned.
#: (pattern, where): "before" is the 60 characters before the concept in its sentence,
#: "earlier" the sentence up to the concept ("aim to restore order, rebuild institutions and
#: create ..."), "sentence" the whole sentence (or the section heading).
CUES: dict[str, tuple[re.Pattern[str], str]] = {
    "objective": (re.compile(
        r"\b(aim|goal|purpose|objective|seek|sought|strive|striv|intend|in order|so as|"
        r"dedicated|pursu|toward|mandated to|tasked|design|mission to|commit)\w*\b",
        re.IGNORECASE), "earlier"),
    "principle": (re.compile(r"\b(principl|guid|adher|uphold|respect|based on|grounded|comply|"
                             r"complian|abid|observ|accordance|fundamental|cornerstone|norm|"
                             r"legitima|legal)\w*", re.IGNORECASE), "sentence"),
    "challenge": (re.compile(r"\b(challeng|obstacle|hinder|hamper|difficult|problem|risk|"
                             r"threat|complicat|undermin|struggl|fac(e|es|ed|ing)\b|limit|"
                             r"lack|insufficient|barrier|constrain|impede|strain|hurdle|"
                             r"shortfall|shortage|inadequa|weak|tension)\w*", re.IGNORECASE),
                  "sentence"),
    "success-factor": (re.compile(r"\b(success|effective|key|essential|crucial|vital|critical|"
                                  r"depend|requir|need|important|instrumental|lesson)\w*",
                                  re.IGNORECASE), "sentence"),
    "component": (re.compile(r"\b(component|deploy|compris|consist|compos|personnel|staff|"
                             r"troop|contingent|officer)\w*", re.IGNORECASE), "sentence"),
    "outcome": (re.compile(r"\b(was|were|is|has been|have been|proved|prove|judged|deemed|"
                           r"considered|seen as|regarded as|ended|end|met with)\b",
                           re.IGNORECASE), "before"),
}
#: What makes an objective concept an *effect* (``effects``, pld:hasEffect): words of bringing
#: about just before it or opening its own phrase ("helps create a secure environment",
#: "fostering trust", ", reducing the risk"). Aim words (``CUES["objective"]``) win over them.
EFFECT_CUE = re.compile(
    r"\b(help|creat|foster|reduc|enhanc|promot|contribut\w* to|ensur|facilitat|strengthen|"
    r"lead to|leads to|led to|leading to|result\w* in|restor|maintain|build|built|establish|"
    r"achiev|advanc|preserv|rebuild|improv|enabl|bolster|mitigat|prevent|secur|sustain|"
    r"consolidat|legitimi[sz]|alleviat|stabili[sz]|boost|bring|brought|pav\w* the way|"
    r"allow|support|provid|deliver|protect|encourag|increas|lower|curb|end|ending|ended|"
    r"produc|yield|generat|instil|reinforc|underpin|cultivat|nurtur|deepen|spur|driv|"
    r"lay|laid|open|rais|reviv|revitali[sz])\w*\b", re.IGNORECASE)
EFFECT_WINDOW = 60
#: Concepts that can bring an effect about as the subject of its sentence.
AGENT_KINDS = ("principle", "activity")
#: Where an effect goes, by the kind of its subject.
EFFECT_FIELDS = {"operation": ("operation", "effects"), "practice": ("practice", "effects"),
                 "organisation": ("organisation", "effects")}
