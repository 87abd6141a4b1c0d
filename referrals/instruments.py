"""Outcome instruments: questionnaires whose answers a referral records.

ONS4 (the ONS personal wellbeing questions, four answers 0-10) is built in.
Deployers add licensed instruments by listing dotted paths to `Instrument`
objects in settings.REFERRAL_OUTCOME_INSTRUMENTS; nothing else changes.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from core.errors import InvalidInputError


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    minimum: int
    maximum: int


@dataclass(frozen=True)
class Instrument:
    slug: str
    name: str
    questions: tuple[Question, ...]

    def validate(self, answers) -> dict[str, int]:
        """Whole-number answers for exactly these questions, each in range."""
        if not isinstance(answers, dict):
            raise InvalidInputError("Answers must be an object of question: number.", field="answers")
        expected = {q.key for q in self.questions}
        unknown = sorted(str(key) for key in answers if key not in expected)
        if unknown:
            raise InvalidInputError(f"{self.name} has no question called {', '.join(unknown)[:100]}.", field="answers")
        cleaned: dict[str, int] = {}
        for question in self.questions:
            value = answers.get(question.key)
            if value is None:
                raise InvalidInputError(f"Answer the question “{question.text}”.", field=f"answers.{question.key}")
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not (question.minimum <= value <= question.maximum)
            ):
                raise InvalidInputError(
                    f"The answer to “{question.text}” must be a whole number "
                    f"from {question.minimum} to {question.maximum}.",
                    field=f"answers.{question.key}",
                )
            cleaned[question.key] = value
        return cleaned


ONS4 = Instrument(
    slug="ons4",
    name="ONS personal wellbeing (ONS4)",
    questions=(
        Question("life_satisfaction", "Overall, how satisfied are you with your life nowadays?", 0, 10),
        Question(
            "worthwhile", "Overall, to what extent do you feel the things you do in your life are worthwhile?", 0, 10
        ),
        Question("happiness", "Overall, how happy did you feel yesterday?", 0, 10),
        Question("anxiety", "Overall, how anxious did you feel yesterday?", 0, 10),
    ),
)


def registry() -> dict[str, Instrument]:
    instruments = {ONS4.slug: ONS4}
    for dotted in settings.REFERRAL_OUTCOME_INSTRUMENTS:
        instrument = import_string(dotted)
        instruments[instrument.slug] = instrument
    return instruments


def get_instrument(slug: str) -> Instrument:
    instrument = registry().get(slug)
    if instrument is None:
        raise InvalidInputError(f"Unknown instrument. Use one of: {', '.join(sorted(registry()))}.", field="instrument")
    return instrument
