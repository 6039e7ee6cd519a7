"""Free text reaches the researcher only with names, numbers and addresses masked."""

from __future__ import annotations

from exports import microdata
from exports.redaction import Redactor, default_names, parse_names

STORY = ("Han ringde från 070-123 45 67 och sa att han visste att jag bor på Storgatan 12, "
         "582 22 Linköping. Han hade mitt personnummer 19800101-1234 och nämnde Karin "
         "Johansson på socialkontoret. Mejla mig: anna.berg@example.se")


def test_address_phone_personnummer_and_listed_name_are_masked_and_counted():
    redactor = Redactor()
    masked = redactor.redact(STORY)
    for secret in ("070-123", "Storgatan", "582 22", "19800101", "Karin", "Johansson",
                   "anna.berg"):
        assert secret not in masked
    assert "[telefon]" in masked and "[adress]" in masked and "[personnummer]" in masked
    assert masked.count("[namn]") == 1  # "Karin Johansson" is one name
    result = redactor.result()
    assert result.counts == {"email": 1, "personnummer": 1, "samordningsnummer": 0,
                             "phone": 1, "address": 1, "name": 1}
    assert result.sample == (masked,)


def test_samordningsnummer_and_other_phone_formats():
    redactor = Redactor(lang="en")
    masked = redactor.redact("Samordningsnummer 800161-1239, växel +46 (0)13 20 60 00, "
                             "fax 08-123 456 78. År 2024 hände det 3 gånger.")
    assert masked == ("Samordningsnummer [coordination number], växel [phone], "
                      "fax [phone]. År 2024 hände det 3 gånger.")


def test_the_researcher_extends_the_list_and_names_match_in_any_case():
    assert "zlatan" not in default_names()
    redactor = Redactor(parse_names("Zlatan, Kowalczyk\nNordenfalk"))
    assert redactor.redact("zlatan och Kowalczyks bil") == "[namn] och [namn] bil"
    # A listed default name written in lower case is an ordinary word ("per dag").
    assert Redactor().redact("två gånger per dag, Per sa") == "två gånger per dag, [namn] sa"


def test_free_text_is_left_out_unless_asked_for(instrument, raw):
    responses, invited = raw
    answered = responses.copy()
    answered["f1"] = STORY
    without = microdata.prepare(answered, invited, instrument, title="t", min_cell=5)
    assert "f1" not in without.frame.columns and without.redaction is None
    with_text = microdata.prepare(answered, invited, instrument, title="t", min_cell=5,
                                  free_text=True)
    texts = set(with_text.frame["f1"])
    assert texts and not any("Karin" in t or "070-123" in t for t in texts)
    # Respondents the conditions did not ask keep no text, even if one was stored.
    answered_text = (with_text.frame["f1"] != "").sum()
    assert with_text.redaction.counts["name"] == with_text.redaction.counts["phone"] == (
        answered_text) > 0
    assert with_text.redaction.texts >= answered_text
