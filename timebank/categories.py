"""The categories of help a new timebank starts with.

Categories and their safeguarding rules belong to a timebank: its coordinators
rename, add, switch off and change the checks of their own timebank's list
only. A timebank started with timebank.services.timebanks.timebank_create gets
a copy of this template (`categories_from_template` there); afterwards its
list is its own, and changing this template changes no existing timebank's list.

Why a template in the code rather than a copy of the default timebank's
current list: a new timebank should not inherit another timebank's local
changes (a coordinator of the default timebank switching a category off, or
relaxing its checks, must not reach a timebank that does not exist yet).

Migration 0002 seeds the default timebank's categories from its own frozen
copy of this list (a migration must not import code that may change).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CategoryTemplate:
    name: str
    slug: str
    description: str
    needs_dbs_check: bool
    needs_references: bool


DEFAULT_CATEGORIES: tuple[CategoryTemplate, ...] = (
    CategoryTemplate("Befriending", "befriending", "Company, a chat, a cup of tea", False, True),
    CategoryTemplate("Lifts and transport", "lifts-and-transport", "A lift to an appointment or the shops", True, True),
    CategoryTemplate("Gardening", "gardening", "Weeding, mowing, planting", False, False),
    CategoryTemplate("DIY and repairs", "diy-and-repairs", "Small jobs around the home", False, True),
    CategoryTemplate(
        "Shopping and errands", "shopping-and-errands", "Picking up shopping or prescriptions", False, True
    ),
    CategoryTemplate("Cooking and meals", "cooking-and-meals", "Cooking together, a hot meal", False, False),
    CategoryTemplate("IT and phones", "it-and-phones", "Help with a computer, tablet or phone", False, False),
    CategoryTemplate("Forms and letters", "forms-and-letters", "Reading letters, filling in forms", False, True),
    CategoryTemplate(
        "Language and conversation",
        "language-and-conversation",
        "Practising English or another language",
        False,
        False,
    ),
    CategoryTemplate("Arts and crafts", "arts-and-crafts", "Knitting, painting, making", False, False),
    CategoryTemplate("Music", "music", "Playing, singing, lessons", False, False),
    CategoryTemplate("Sport and walking", "sport-and-walking", "A walking buddy, exercise together", False, False),
    CategoryTemplate("Pets", "pets", "Dog walking, pet sitting", False, False),
    CategoryTemplate("Caring breaks", "caring-breaks", "Sitting with someone so a carer can have a break", True, True),
    CategoryTemplate("Learning and tutoring", "learning-and-tutoring", "Homework help, teaching a skill", True, True),
)


# The template's names and descriptions in Welsh, by slug: a new timebank's
# categories start with them (Category.name_cy), and its coordinators may
# change them. Drafted by the team: a Welsh speaker should check them
# (docs/translating.md).
WELSH: dict[str, tuple[str, str]] = {
    "befriending": ("Cyfeillio", "Cwmni, sgwrs, paned"),
    "lifts-and-transport": ("Lifftiau a chludiant", "Lifft i apwyntiad neu i’r siopau"),
    "gardening": ("Garddio", "Chwynnu, torri gwair, plannu"),
    "diy-and-repairs": ("DIY a thrwsio", "Mân swyddi o gwmpas y cartref"),
    "shopping-and-errands": ("Siopa a negeseuon", "Casglu siopa neu bresgripsiynau"),
    "cooking-and-meals": ("Coginio a phrydau bwyd", "Coginio gyda’n gilydd, pryd poeth"),
    "it-and-phones": ("TG a ffonau", "Help gyda chyfrifiadur, llechen neu ffôn"),
    "forms-and-letters": ("Ffurflenni a llythyrau", "Darllen llythyrau, llenwi ffurflenni"),
    "language-and-conversation": ("Iaith a sgwrsio", "Ymarfer Saesneg neu iaith arall"),
    "arts-and-crafts": ("Celf a chrefft", "Gwau, peintio, creu"),
    "music": ("Cerddoriaeth", "Chwarae, canu, gwersi"),
    "sport-and-walking": ("Chwaraeon a cherdded", "Cyfaill cerdded, ymarfer corff gyda’n gilydd"),
    "pets": ("Anifeiliaid anwes", "Mynd â chŵn am dro, gofalu am anifeiliaid anwes"),
    "caring-breaks": ("Seibiant i ofalwyr", "Eistedd gyda rhywun er mwyn i ofalwr gael seibiant"),
    "learning-and-tutoring": ("Dysgu a thiwtora", "Help gyda gwaith cartref, dysgu sgil"),
}
