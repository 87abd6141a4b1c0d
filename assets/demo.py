"""Demo community assets around Reading (Oxford Road) and Hackney (Dalston).

Idempotent: ids are derived from names, rows are updated in place, so running
seed_demo twice changes nothing. The timebank appears as a service of its own
organisation.
"""
import datetime

from django.utils import timezone

from assets.models import (
    Location,
    Organisation,
    OrganisationType,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceAttribute,
    TaxonomyTerm,
    stable_uuid,
)
from timebank.models import Timebank

# name, organisation, categories, (lat, lng), address, postcode, "DAY HH-HH", access, cost (None = free), extra
READING = [
    ("Oxford Road Befrienders", "Reading Befriending Network", ["befriending-and-loneliness", "older-people"], (51.4560, -0.9870), "Oxford Road Community Centre, 1 Oxford Road", "RG1 7QE", "WE 10-12", ["step_free_access", "accessible_toilet", "hearing_loop"], None, {"accepts_referrals": True}),
    ("Telephone befriending", "Reading Befriending Network", ["befriending-and-loneliness", "older-people"], (51.4571, -0.9712), "Broad Street Mall, Broad Street", "RG1 7QA", "MO,TU,WE,TH,FR 09-17", ["easy_read"], None, {"accepts_referrals": True, "areas": ["RG"]}),
    ("Thames Path Health Walk", "Reading Walks", ["physical-activity", "green-and-outdoor"], (51.4628, -0.9660), "Christchurch Meadows car park", "RG4 8BY", "TU 10-11", ["step_free_access", "parking"], None, {"drop_in": True}),
    ("Prospect Park Health Walk", "Reading Walks", ["physical-activity", "green-and-outdoor"], (51.4500, -1.0080), "Prospect Park, Bath Road", "RG30 2BQ", "SA 10-11", ["parking"], None, {"drop_in": True}),
    ("Reading Carers' Hub drop-in", "Reading Carers' Hub", ["carers-support", "mental-wellbeing-and-peer-support"], (51.4545, -0.9690), "Minster Street", "RG1 2JB", "TH 10-13", ["step_free_access", "accessible_toilet", "quiet_space"], None, {"accepts_referrals": True}),
    ("Young Carers Club", "Reading Carers' Hub", ["carers-support", "children-and-families"], (51.4520, -0.9600), "Queens Road Youth Centre", "RG1 4AR", "WE 16-18", ["step_free_access"], None, {"ages": (8, 17), "accepts_referrals": True}),
    ("Oxford Road Lunch Club", "West Reading Neighbours", ["food", "older-people", "befriending-and-loneliness"], (51.4572, -0.9915), "St Mark's Church Hall, Prince of Wales Avenue", "RG30 2UH", "TU,FR 12-14", ["step_free_access", "accessible_toilet", "hearing_loop"], (3.50, "for a two-course lunch"), {}),
    ("ReadyBus Dial-a-Ride", "Reading Community Transport", ["community-transport", "older-people", "long-term-conditions"], (51.4431, -0.9600), "Cradock Road depot", "RG2 0JT", "MO,TU,WE,TH,FR 09-16", ["step_free_access"], (2.00, "per single journey"), {"by_appointment": True, "areas": ["RG1", "RG2", "RG30", "RG31", "RG4", "RG6"]}),
    ("Neighbourly parkrun buddies", "Reading Running Club", ["physical-activity", "volunteering", "older-people"], (51.4640, -0.9590), "King's Meadow", "RG1 8BW", "SA 09-10", ["parking"], None, {"drop_in": True}),
    ("Talking Spaces peer support", "Reading Mind", ["mental-wellbeing-and-peer-support"], (51.4555, -0.9750), "Reading Mind, Oxford Road", "RG1 7LS", "MO 18-20", ["quiet_space", "step_free_access"], None, {"accepts_referrals": True}),
    ("Tilehurst Men's Shed", "Tilehurst Men's Shed", ["learning-and-skills", "befriending-and-loneliness", "mental-wellbeing-and-peer-support"], (51.4590, -1.0390), "Recreation Road allotments", "RG31 5AG", "TU,TH 10-15", ["parking"], (1.00, "a session, tea included"), {"drop_in": True}),
    ("Reading Community Food Bank", "Reading Food Bank", ["food", "money-and-debt-advice"], (51.4490, -0.9780), "Southcote Lane", "RG1 2DX", "MO,WE,FR 11-14", ["step_free_access"], None, {"accepts_referrals": True, "accepts_self_referral": False}),
    ("Money advice surgery", "Citizens Advice Reading", ["money-and-debt-advice", "housing"], (51.4538, -0.9720), "Minster Street", "RG1 2JB", "TU,TH 10-15", ["step_free_access", "accessible_toilet", "hearing_loop", "bsl"], None, {"by_appointment": True}),
    ("Digital drop-in: help with phones and tablets", "Reading Libraries", ["digital-inclusion", "learning-and-skills", "older-people"], (51.4562, -0.9680), "Central Library, Abbey Square", "RG1 3BQ", "WE 14-16", ["step_free_access", "accessible_toilet", "hearing_loop"], None, {"drop_in": True}),
    ("Knit and natter", "Reading Libraries", ["arts-and-creativity", "befriending-and-loneliness"], (51.4710, -1.0000), "Battle Library, Oxford Road", "RG30 1AB", "TH 14-16", ["step_free_access"], None, {"drop_in": True}),
    ("Whitley community garden", "Whitley Grows", ["green-and-outdoor", "volunteering", "food"], (51.4330, -0.9690), "Basingstoke Road", "RG2 0EX", "SA 10-13", ["parking"], None, {"drop_in": True}),
    ("Sing for your lungs", "Breathe Reading", ["arts-and-creativity", "long-term-conditions"], (51.4600, -0.9520), "Cemetery Junction Hall", "RG1 3EN", "MO 13-14", ["step_free_access", "accessible_toilet"], None, {"accepts_referrals": True}),
    ("Chair yoga for over-60s", "Active Reading", ["physical-activity", "older-people", "long-term-conditions"], (51.4480, -0.9530), "Palmer Park Sports Centre", "RG1 3NY", "WE 11-12", ["step_free_access", "accessible_toilet", "parking"], (2.50, "per class"), {}),
    ("Sikh Gurdwara community kitchen", "Reading Gurdwara", ["food", "faith-and-culture"], (51.4550, -0.9890), "Cumberland Road", "RG1 3JY", "SU 12-15", ["step_free_access"], None, {"drop_in": True}),
    ("Baby and toddler group", "West Reading Neighbours", ["children-and-families"], (51.4580, -0.9930), "St Mark's Church Hall", "RG30 2UH", "WE 09-11", ["step_free_access"], (1.00, "per family"), {"drop_in": True}),
    ("Volunteer centre advice", "Reading Voluntary Action", ["volunteering", "learning-and-skills"], (51.4550, -0.9700), "Oxford Road", "RG1 7LS", "TU 10-16", ["step_free_access", "easy_read"], None, {}),
    ("Housing advice line", "Reading Council", ["housing"], (51.4510, -0.9750), "Civic Offices, Bridge Street", "RG1 2LU", "MO,TU,WE,TH,FR 09-17", ["step_free_access", "accessible_toilet", "hearing_loop", "bsl", "easy_read"], None, {"org_type": OrganisationType.COUNCIL}),
]
HACKNEY = [
    ("Dalston Befriending Circle", "Hackney Befrienders", ["befriending-and-loneliness", "older-people"], (51.5466, -0.0740), "Dalston Library, Dalston Square", "E8 3BQ", "TH 11-13", ["step_free_access", "accessible_toilet", "hearing_loop"], None, {"accepts_referrals": True}),
    ("Hackney Marshes walking group", "Walk Hackney", ["physical-activity", "green-and-outdoor"], (51.5540, -0.0300), "Hackney Marshes Centre", "E9 5PF", "SU 10-11", ["step_free_access", "accessible_toilet", "parking"], None, {"drop_in": True}),
    ("London Fields health walk", "Walk Hackney", ["physical-activity", "green-and-outdoor"], (51.5420, -0.0610), "London Fields Lido entrance", "E8 3EU", "WE 10-11", ["step_free_access"], None, {"drop_in": True}),
    ("Hackney Carers' Centre coffee morning", "Hackney Carers' Centre", ["carers-support"], (51.5495, -0.0550), "Mare Street", "E8 1HR", "FR 10-12", ["step_free_access", "accessible_toilet", "quiet_space"], None, {"accepts_referrals": True}),
    ("Young carers' group", "Hackney Carers' Centre", ["carers-support", "children-and-families"], (51.5480, -0.0560), "Mare Street", "E8 1HR", "TU 16-18", ["step_free_access"], None, {"ages": (8, 18)}),
    ("Dalston community lunch club", "Dalston Neighbours", ["food", "older-people", "befriending-and-loneliness"], (51.5470, -0.0725), "St Mark's Hall, Colvestone Crescent", "E8 2LG", "WE 12-14", ["step_free_access", "accessible_toilet"], (3.00, "for lunch"), {}),
    ("Hackney Community Transport", "Hackney Community Transport", ["community-transport", "older-people", "long-term-conditions"], (51.5500, -0.0480), "Ash Grove", "E8 4RH", "MO,TU,WE,TH,FR 08-18", ["step_free_access"], (2.00, "per journey"), {"by_appointment": True, "areas": ["E5", "E8", "E9", "N1", "N16"]}),
    ("Run Together Hackney", "Clapton Runners", ["physical-activity", "volunteering", "older-people"], (51.5600, -0.0560), "Millfields Park", "E5 0AR", "SA 09-10", [], None, {"drop_in": True}),
    ("Hearing Voices peer group", "Hackney Mind", ["mental-wellbeing-and-peer-support"], (51.5450, -0.0560), "Hackney Mind, Mare Street", "E8 4RU", "TU 18-20", ["quiet_space", "step_free_access"], None, {"accepts_referrals": True}),
    ("Hackney Wick Men's Shed", "Hackney Men's Shed", ["learning-and-skills", "befriending-and-loneliness"], (51.5430, -0.0250), "Wallis Road", "E9 5LN", "WE,SA 10-16", ["step_free_access"], (1.00, "a session"), {"drop_in": True}),
    ("Hackney Foodbank Dalston", "Hackney Foodbank", ["food", "money-and-debt-advice"], (51.5460, -0.0690), "Dalston Lane", "E8 3DF", "TU,TH 10-13", ["step_free_access"], None, {"accepts_referrals": True, "accepts_self_referral": False}),
    ("Debt advice drop-in", "Hackney Citizens Advice", ["money-and-debt-advice", "housing"], (51.5450, -0.0550), "Hackney Town Hall, Mare Street", "E8 1EA", "MO,WE 10-16", ["step_free_access", "accessible_toilet", "hearing_loop", "bsl"], None, {"drop_in": True}),
    ("Tablet and smartphone help", "Hackney Libraries", ["digital-inclusion", "older-people"], (51.5467, -0.0745), "Dalston Library", "E8 3BQ", "FR 14-16", ["step_free_access", "accessible_toilet", "hearing_loop"], None, {"drop_in": True}),
    ("Ridley Road art club", "Dalston Neighbours", ["arts-and-creativity"], (51.5475, -0.0735), "Ridley Road Market Hall", "E8 2NP", "MO 14-16", ["step_free_access"], (2.00, "materials included"), {}),
    ("Dalston Eastern Curve Garden volunteers", "Eastern Curve Garden", ["green-and-outdoor", "volunteering"], (51.5468, -0.0751), "Dalston Lane", "E8 3DL", "SA 11-14", ["step_free_access"], None, {"drop_in": True}),
    ("Turkish and Kurdish women's group", "Hackney Day-Mer", ["faith-and-culture", "mental-wellbeing-and-peer-support"], (51.5530, -0.0720), "Stoke Newington Road", "N16 7XN", "TH 10-13", ["step_free_access"], None, {}),
    ("Stay and play", "Hackney Children's Centres", ["children-and-families"], (51.5410, -0.0600), "London Fields Children's Centre", "E8 4BU", "TU,TH 09-11", ["step_free_access", "accessible_toilet"], None, {"drop_in": True, "org_type": OrganisationType.COUNCIL}),
    ("Diabetes self-care group", "Homerton Health Community", ["long-term-conditions", "learning-and-skills"], (51.5470, -0.0430), "Homerton Row", "E9 6SR", "WE 14-16", ["step_free_access", "accessible_toilet", "hearing_loop"], None, {"accepts_referrals": True}),
    ("Clapton Square chess and chat", "Clapton Neighbours", ["befriending-and-loneliness", "older-people"], (51.5510, -0.0530), "Clapton Square", "E5 8HP", "SU 14-16", [], None, {"drop_in": True}),
    ("Hackney housing repairs surgery", "Hackney Council", ["housing"], (51.5440, -0.0555), "Hackney Service Centre", "E8 1DY", "MO,TU,WE,TH,FR 09-17", ["step_free_access", "accessible_toilet", "hearing_loop", "bsl", "easy_read"], None, {"org_type": OrganisationType.COUNCIL}),
]


def _schedule(service: Service, spec: str) -> None:
    days, hours = spec.split()
    opens, closes = (datetime.time(int(h)) for h in hours.split("-"))
    Schedule.objects.update_or_create(
        id=stable_uuid("demo-schedule", str(service.id)),
        defaults={"service": service, "byday": days, "opens_at": opens, "closes_at": closes},
    )


def _asset(row, *, city: str, reviewed: datetime.date) -> Service:
    name, org_name, categories, (lat, lng), address, postcode, when, access, cost, extra = row
    organisation, _ = Organisation.objects.update_or_create(
        id=stable_uuid("demo-organisation", org_name),
        defaults={"name": org_name, "organisation_type": extra.get("org_type", OrganisationType.VOLUNTARY),
                  "description": f"{org_name}, {city}."},
    )
    minimum, maximum = extra.get("ages", (None, None))
    service, _ = Service.objects.update_or_create(
        id=stable_uuid("demo-service", name),
        defaults={
            "organisation": organisation, "name": name,
            "description": f"{name}: run by {org_name}. Everyone is welcome; come along or get in touch first.",
            "is_free": cost is None, "cost_amount": cost[0] if cost else None, "cost_description": cost[1] if cost else "",
            "minimum_age": minimum, "maximum_age": maximum,
            "accepts_referrals": extra.get("accepts_referrals", False),
            "accepts_self_referral": extra.get("accepts_self_referral", True),
            "drop_in": extra.get("drop_in", False), "by_appointment": extra.get("by_appointment", False),
            "phone": "0118 000 0000" if city == "Reading" else "020 0000 0000",
            "last_reviewed": reviewed,
        },
    )
    location, _ = Location.objects.update_or_create(
        id=stable_uuid("demo-location", name),
        defaults={"organisation": organisation, "name": address.split(",")[0], "address_1": address, "city": city,
                  "postcode": postcode, "latitude": lat, "longitude": lng,
                  **{feature: True for feature in access}},
    )
    ServiceAtLocation.objects.get_or_create(service=service, location=location)
    for slug in categories:
        ServiceAttribute.objects.get_or_create(service=service, taxonomy_term=TaxonomyTerm.objects.get(slug=slug))
    for prefix in extra.get("areas", []):
        ServiceArea.objects.get_or_create(service=service, postcode_prefix=prefix)
    _schedule(service, when)
    return service


def seed(*, stdout) -> list:
    today = timezone.localdate()
    count = 0
    for index, row in enumerate(READING):
        # Two Reading listings are stale on purpose, to show the "may be out of date" note.
        reviewed = today - datetime.timedelta(days=400 if index in (4, 15) else 20 + index * 7)
        _asset(row, city="Reading", reviewed=reviewed)
        count += 1
    for index, row in enumerate(HACKNEY):
        _asset(row, city="London", reviewed=today - datetime.timedelta(days=15 + index * 9))
        count += 1

    timebank = Timebank.get_default()
    if timebank is not None:
        organisation, _ = Organisation.objects.update_or_create(
            id=stable_uuid("demo-organisation", f"timebank:{timebank.slug}"),
            defaults={"name": timebank.name, "organisation_type": OrganisationType.TIMEBANK, "timebank": timebank,
                      "description": "A timebank: give an hour of help, get an hour back."},
        )
        service, _ = Service.objects.update_or_create(
            id=stable_uuid("demo-service", f"timebank:{timebank.slug}"),
            defaults={"organisation": organisation, "name": timebank.name if "timebank" in timebank.name.lower() else f"{timebank.name} timebank",
                      "description": "Neighbours swapping help by the hour: lifts, shopping, gardening, a friendly "
                                     "visit. Every hour you give earns an hour you can spend.",
                      "accepts_referrals": True, "last_reviewed": today},
        )
        location, _ = Location.objects.update_or_create(
            id=stable_uuid("demo-location", f"timebank:{timebank.slug}"),
            defaults={"organisation": organisation, "name": "Oxford Road Community Centre",
                      "address_1": "1 Oxford Road", "city": "Reading", "postcode": "RG1 7QE",
                      "latitude": 51.4563, "longitude": -0.9855, "step_free_access": True, "accessible_toilet": True},
        )
        ServiceAtLocation.objects.get_or_create(service=service, location=location)
        for slug in ("volunteering", "befriending-and-loneliness"):
            ServiceAttribute.objects.get_or_create(service=service, taxonomy_term=TaxonomyTerm.objects.get(slug=slug))
        count += 1
    stdout.write(f"Community assets: {count} services around Reading and Hackney.")
    return []
