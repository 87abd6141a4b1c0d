"""core/readability.py: syllables, the Flesch reading ease score on known
sentences, and the text of a page's <main> that a person reads."""

import pytest

from core.readability import flesch_reading_ease, main_text, sentences, syllables, words


@pytest.mark.parametrize(
    "word,count",
    [
        ("cat", 1),
        ("help", 1),
        ("hours", 1),
        ("time", 1),
        ("make", 1),
        ("asked", 1),
        ("likes", 1),
        ("walked", 1),
        ("you", 1),
        ("yes", 1),
        ("table", 2),
        ("people", 2),
        ("member", 2),
        ("needed", 2),
        ("boxes", 2),
        ("given", 2),
        ("postcode", 2),
        ("confirm", 2),
        ("exchange", 2),
        ("easy", 2),
        ("wanted", 2),
        ("reading", 2),
        ("together", 3),
        ("application", 4),
        ("coordinator", 5),
        ("7", 1),
        ("12", 2),
        ("2026", 3),
    ],
)
def test_syllables_of_everyday_words(word, count):
    assert syllables(word) == count


def test_a_one_syllable_sentence_scores_the_formula_exactly():
    # 6 words, 6 syllables, 1 sentence: 206.835 - 1.015 * 6 - 84.6 * 1.
    assert flesch_reading_ease("The cat sat on the mat.") == pytest.approx(116.145)


def test_a_known_sentence_with_longer_words():
    # "Reading is fun." 3 words, 4 syllables: 206.835 - 1.015 * 3 - 84.6 * 4 / 3.
    assert flesch_reading_ease("Reading is fun.") == pytest.approx(90.99)


def test_long_sentences_of_long_words_score_low_and_short_plain_ones_high():
    hard = (
        "Notwithstanding the aforementioned considerations, applications submitted electronically "
        "will subsequently be evaluated by the administrative coordinator responsible."
    )
    easy = "You help someone. You get an hour. You can use it to get help."
    assert flesch_reading_ease(hard) < 0
    assert flesch_reading_ease(easy) > 90


def test_sentences_end_at_stops_and_at_line_breaks():
    text = "My hours\nYou have 3 hours. Well done! Is it right?"
    assert sentences(text) == ["My hours", "You have 3 hours", " Well done", " Is it right"]
    assert words("It's 1.5 hours, e-mail me") == ["It's", "1.5", "hours", "e", "mail", "me"]
    assert flesch_reading_ease("") == 0.0


def test_main_text_is_the_main_blocks_without_boxes_or_own_words():
    html = """<html><body><header><p>Menu and logo</p></header>
    <main><h1>My hours</h1><p>You have <strong>3 hours</strong>.</p>
    <p class="er-own">Bob Longname-Smithson</p>
    <label for="x">Your name</label>
    <div class="er-control"><input id="x" value="Alice"><label>Unusually complicated choices</label></div>
    <select><option>Choose a very complicated alternative</option></select>
    <textarea>Something typed</textarea><script>var x = 1;</script>
    <ul><li>One</li><li>Two</li></ul></main><footer>Contact us</footer></body></html>"""
    assert main_text(html) == "My hours\nYou have 3 hours .\nYour name\nOne\nTwo".replace(" .", ".")
