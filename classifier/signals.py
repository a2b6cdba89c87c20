"""The labelling guide's signals per label, as analyser n-grams (`docs/labelling-guide.md` §2).

A sentence "carries" a label's signal when its bag (`classifier.analyser`) holds any of the
label's n-grams. `SignalShares` (in `classifier.bags`) turns that into features that do not
shrink with length: per label, the share of body sentences carrying its signals, and whether
the lead sentence does. The lists follow the guide's signal lists; words the guide calls filler
("learning", "help", "questions", "practice", "use", "tool", "based") are deliberately absent.
Change a list and the models must be retrained (the card records `SIGNALS_VERSION`).
"""

from __future__ import annotations

SIGNALS_VERSION = "guide-round3-1"

SIGNALS: dict[str, tuple[str, ...]] = {
    "teaching-learning": (
        "students", "student", "learners", "learner", "pupils", "pupil", "kids", "children",
        "your child", "learn to", "revise", "revision", "study", "explore", "discuss",
        "debate", "homework help", "tutor", "tutoring", "simulations", "simulation",
        "students can", "pupils can", "learners can", "students answer", "students play",
        "students post", "students create", "students work", "their own", "in class",
        "live quiz", "game based", "for students", "each student", "every student",
    ),
    "workflow-productivity": (
        "teachers", "educators", "staff", "admin", "administrators", "school leaders",
        "for teachers", "lesson plans", "lesson planning", "worksheets", "rubrics",
        "grading", "marking", "gradebook", "reports", "report comments", "save time",
        "save hours", "in seconds", "workload", "workflow", "parents", "parent",
        "attendance", "timetabling", "timetable", "mis", "safeguarding", "analytics",
        "dashboard", "insights", "data", "compliance", "payroll", "finance", "emails",
        "newsletters", "letters", "generate", "create lesson", "plagiarism", "detection",
        "roster", "rostering", "integration", "sso", "district", "trust", "trusts",
    ),
    "behaviourist": (
        "quiz", "quizzes", "multiple choice", "test", "tests", "exam", "exams", "flashcards",
        "flashcard", "spaced repetition", "drill", "times tables", "mastery", "master",
        "adaptive", "personalised", "personalized", "points", "badges", "streaks",
        "leaderboard", "rewards", "game show", "trivia", "instant feedback", "auto graded",
        "correct", "incorrect", "right answer", "answers", "step by step", "explanations",
        "video lessons", "videos", "lectures", "courses", "textbooks", "worksheets",
        "question bank", "practice questions", "recall", "memorise", "memorize",
        "levelled", "leveled", "assessment", "assessments", "scores",
    ),
    "individual-constructivist": (
        "simulation", "simulations", "virtual lab", "sandbox", "explore", "exploration",
        "experiment", "experiments", "graphing", "geometry", "code", "coding",
        "programming", "block based", "build", "projects", "robotics", "3d", "design",
        "create their own", "make their own", "stories", "inquiry", "investigate",
        "investigation", "discovery", "problem solving", "socratic", "hints",
        "without giving", "guides students", "reflect", "reflection", "metacognition",
        "self assessment", "journal", "portfolio", "portfolios", "open ended", "tinker",
        "curiosity", "construct", "their thinking", "iterate",
    ),
    "social-constructivist": (
        "collaborate", "collaborative", "collaboration", "together", "classmates", "peers",
        "peer", "peer review", "peer feedback", "discussion", "discussions", "discuss",
        "debate", "debates", "seminar", "forum", "forums", "class discussion",
        "student voice", "each other", "one another", "co create", "group work", "groups",
        "teams of students", "community of learners", "conversation", "share ideas",
        "respond to", "reply", "replies", "comment on", "perspectives", "dialogue",
    ),
    "none": (
        "attendance", "timetabling", "hr", "payroll", "finance", "admissions", "sso",
        "single sign on", "device management", "filtering", "monitoring", "safeguarding",
        "parent messaging", "newsletters", "letters", "report comments", "meeting notes",
        "grading", "marking", "plagiarism", "ai detection", "analytics", "storage",
        "calendar", "records", "compliance", "invoices", "billing", "data protection",
        "mis", "management information", "rostering", "lesson plans", "resources",
        "content", "templates", "schemes of work",
    ),
}

# Words shown to people as evidence only when part of a longer, more specific phrase: the issue
# found they add up on long pages and bury the few decisive terms.
GENERIC_WORDS = frozenset(
    """
    ai learning learn help helps helping question questions practice practise use used uses
    using tool tools based platform platforms online easy new make makes making way ways get
    gets powered features feature free app apps software web digital support supports
    education educational school schools work works
    time great best simple simply more most help all any every also just like one can will
    """.split()
)
