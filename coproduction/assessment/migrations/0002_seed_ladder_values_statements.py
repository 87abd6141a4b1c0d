"""The ladder of co-production (Think Local Act Personal), the five values, and
the first set of statements, written for this project in plain English. They
live in the database from here on: a network administrator edits them on the
statements page. Safe to run on a database that already has them (by slug, and
statements only when there are none)."""

from django.db import migrations

RUNGS = [
    # slug, name, stage, description, next step (what to do to reach this rung from the one below)
    (
        "coercion",
        "Coercion",
        "Doing to",
        "People are made to use a service or to take part, with no say in it.",
        "",
    ),
    (
        "educating",
        "Educating",
        "Doing to",
        "We help people understand our services, but they have no say in what we do.",
        "Explain clearly what you offer and why, in plain English and in the ways people need.",
    ),
    (
        "informing",
        "Informing",
        "Doing for",
        "We tell people what is happening and what we have decided.",
        "Tell members about changes before they happen, and say why.",
    ),
    (
        "consulting",
        "Consulting",
        "Doing for",
        "We ask people what they think before we decide, but we make the decision.",
        "Ask members for their views before you decide, and tell them what you did with what they said.",
    ),
    (
        "engaging",
        "Engaging",
        "Doing for",
        "People share their views when we invite them, and they change some of what we do.",
        "Invite members to your planning meetings, and show them where their ideas changed the plan.",
    ),
    (
        "co-design",
        "Co-design",
        "Doing with",
        "People who use the service help design it with us from the start.",
        "Plan your next new activity with members from the very first idea.",
    ),
    (
        "co-production",
        "Co-production",
        "Doing with",
        "People and staff share power and work as equals: planning, doing and reviewing together.",
        "Share decisions about money and priorities with members as equals, and review them together.",
    ),
]

VALUES = [
    (
        "sharing-power",
        "Sharing power",
        "Decisions are made together, not handed down.",
        "Pick one decision coming up and make it together with members.",
    ),
    (
        "including-everyone",
        "Including everyone",
        "Anyone can take part, whatever their needs, and we reach people who are not often heard.",
        "Ask who is missing, and offer other ways to take part: by phone, on paper, in easy read or at home.",
    ),
    (
        "reciprocity",
        "Reciprocity",
        "Everyone gives and receives, and people get something back for their time.",
        "Thank people for their time in a way they value, such as time credits.",
    ),
    (
        "assets",
        "Recognising people's assets",
        "We see the skills and knowledge people bring, not only what they need.",
        "Ask each member what they are good at and what they enjoy, and find a way to use it.",
    ),
    (
        "relationships",
        "Building relationships",
        "We make time to build trust between staff and members, and among members.",
        "Make time to meet members in a relaxed way, and keep in touch between activities.",
    ),
]

STATEMENTS = [
    # rung, value, staff wording, member wording, next step
    (
        "educating",
        "assets",
        "We explain what we offer in plain English.",
        "They explain what they offer in plain English.",
        "Read your leaflets and web pages with a member, and rewrite anything hard to follow.",
    ),
    (
        "educating",
        "including-everyone",
        "We give out our news in large print, easy read, by phone or on paper when people need it.",
        "They give out their news in large print, easy read, by phone or on paper when people need it.",
        "Ask each member how they like to hear from you, and keep a note of it.",
    ),
    (
        "educating",
        "relationships",
        "We take time to show each new member how the timebank works.",
        "They take time to show each new member how the timebank works.",
        "Offer every new member a welcome chat with a coordinator or a member who has been here a while.",
    ),
    (
        "informing",
        "sharing-power",
        "We tell members about changes that affect them before the changes happen.",
        "They tell members about changes that affect them before the changes happen.",
        "Send members a short note before any change, saying what will change and why.",
    ),
    (
        "informing",
        "including-everyone",
        "We keep members who are not online up to date, by phone, post or in person.",
        "They keep members who are not online up to date, by phone, post or in person.",
        "Keep a list of members who are not online, and call or write to them with news.",
    ),
    (
        "informing",
        "reciprocity",
        "We tell members how the hours they gave have helped other people.",
        "They tell members how the hours they gave have helped other people.",
        "Share short stories and totals of hours given, so members see what their time has done.",
    ),
    (
        "consulting",
        "sharing-power",
        "We ask members what they think before we make an important decision.",
        "They ask members what they think before they make an important decision.",
        "Before your next big decision, ask members for their views in at least two ways.",
    ),
    (
        "consulting",
        "reciprocity",
        "We tell members what we did with their views.",
        "They tell members what they did with their views.",
        "After asking for views, write back to say what you heard and what you changed.",
    ),
    (
        "consulting",
        "including-everyone",
        "We make it easy for everyone to tell us what they think, whatever their needs.",
        "They make it easy for everyone to tell them what they think, whatever their needs.",
        "Offer a phone call, a paper form or a visit as well as a form on the website.",
    ),
    (
        "engaging",
        "relationships",
        "We invite members to our planning meetings and listen to their ideas.",
        "They invite members to their planning meetings and listen to their ideas.",
        "Hold a planning meeting at a time and place members can get to, and pay their travel.",
    ),
    (
        "engaging",
        "assets",
        "We ask members what skills and knowledge they could bring to our work.",
        "They ask members what skills and knowledge they could bring to the work.",
        "Ask each member about their skills and interests, and keep a note on their profile.",
    ),
    (
        "engaging",
        "sharing-power",
        "Ideas from members have changed what we do.",
        "Ideas from members have changed what they do.",
        "Try out one idea that came from members, and tell everyone where it came from.",
    ),
    (
        "co-design",
        "sharing-power",
        "We plan new activities together with members from the very first idea.",
        "They plan new activities together with members from the very first idea.",
        "Start your next new activity with a meeting where members set the aims.",
    ),
    (
        "co-design",
        "reciprocity",
        "Members who help us plan are thanked for their time, for example with time credits.",
        "Members who help them plan are thanked for their time, for example with time credits.",
        "Give time credits for the hours members spend planning with you.",
    ),
    (
        "co-design",
        "including-everyone",
        "People who are not often heard help us design what we do.",
        "People who are not often heard help them design what they do.",
        "Invite people who have not taken part before, and give them the support they need to join in.",
    ),
    (
        "co-production",
        "sharing-power",
        "Members and staff decide together, as equals, how money and time are spent.",
        "Members and staff decide together, as equals, how money and time are spent.",
        "Set up a group of members and staff that decides together how a budget is spent.",
    ),
    (
        "co-production",
        "assets",
        "Members lead or run some of our activities.",
        "Members lead or run some of their activities.",
        "Support a member to lead an activity, with training and backup if they want it.",
    ),
    (
        "co-production",
        "relationships",
        "Members and staff look back together at how things went and agree what to change.",
        "Members and staff look back together at how things went and agree what to change.",
        "Hold a regular review where members and staff look at how things went and agree changes.",
    ),
]


def seed(apps, schema_editor):
    Rung = apps.get_model("assessment", "Rung")
    Value = apps.get_model("assessment", "Value")
    Statement = apps.get_model("assessment", "Statement")
    rungs = {}
    for position, (slug, name, stage, description, next_step) in enumerate(RUNGS, start=1):
        rungs[slug], _ = Rung.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "position": position,
                "stage": stage,
                "description": description,
                "next_step": next_step,
            },
        )
    values = {}
    for position, (slug, name, description, next_step) in enumerate(VALUES, start=1):
        values[slug], _ = Value.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "position": position, "description": description, "next_step": next_step},
        )
    if Statement.objects.exists():
        return
    for position, (rung, value, staff_text, member_text, next_step) in enumerate(STATEMENTS, start=1):
        Statement.objects.create(
            rung=rungs[rung],
            value=values[value],
            staff_text=staff_text,
            member_text=member_text,
            next_step=next_step,
            position=position,
        )


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
