"""Masking of open answers (a table of nasty Dutch examples) and the minimum cell."""

from __future__ import annotations

import pandas as pd
import pytest
from builders import DatasetBuilder

from kwh_calc.calculations.open_answers import mask_text, open_answer_table
from kwh_calc.intake.dataset import DatasetError, from_tables

# (text, personal data that must be gone, words that must stay)
NASTY = [
    ("Bel me op 06-12345678 als het klaar is", ["12345678"], ["Bel me op", "als het klaar is"]),
    ("mijn nummer: 06 1234 5678.", ["1234 5678"], ["mijn nummer"]),
    ("Tel +31 (0)20-123 45 67 of 0031612345678", ["123 45 67", "0031612345678", "20-123"], ["Tel"]),
    ("Mail naar piet.jansen@gmail.com graag", ["piet.jansen", "gmail"], ["Mail naar", "graag"]),
    ("mail: j.devries (at) hotmail (dot) nl", ["devries", "hotmail"], ["mail"]),
    ("Ik woon op de Kerkstraat 12a in 1234 AB Utrecht", ["Kerkstraat", "12a", "1234 AB"], ["Ik woon op", "Utrecht"]),
    ("postcode 3511LX, huisnummer 7", ["3511LX", "7"], ["postcode", "huisnummer"]),
    ("Burg. de Vlugtlaan 3-A is mijn adres", ["Vlugtlaan", "3-A"], ["is mijn adres"]),
    ("Monteur Ahmed was erg vriendelijk", ["Ahmed"], ["was erg vriendelijk", "Monteur"]),
    ("mevrouw van der Berg van de woningcorporatie hielp me niet", ["Berg"], ["hielp me niet"]),
    ("De heer J. de Vries kwam te laat", ["Vries"], ["kwam te laat"]),
    ("Mijn buurman Klaas Hoekstra maakt veel lawaai", ["Klaas", "Hoekstra"], ["maakt veel lawaai"]),
    ("Ik ben Fatima El Amrani en ik ben boos", ["Fatima", "Amrani"], ["en ik ben boos"]),
    ("A.B. Jansen heeft de afspraak afgezegd", ["Jansen"], ["heeft de afspraak afgezegd"]),
    ("Prima geholpen. Groetjes, Annie de Boer", ["Annie", "Boer"], ["Prima geholpen"]),
    ("Zie www.mijnklacht.nl/dossier?id=123", ["mijnklacht"], ["Zie"]),
    ("dhr.Smit belde niet terug", ["Smit"], ["belde niet terug"]),
]


@pytest.mark.parametrize(("text", "gone", "kept"), NASTY)
def test_personal_data_is_masked(text, gone, kept):
    masked = mask_text(text)
    for fragment in gone:
        assert fragment not in masked, masked
    for fragment in kept:
        assert fragment in masked, masked
    assert "[" in masked


@pytest.mark.parametrize(
    "text",
    [
        "De monteur kwam op tijd en was vriendelijk.",
        "Ik geef een 8 voor de reparatie, 2 keer moeten bellen.",
        "Binnen 3 dagen klaar, top!",
        "Het duurde 14 dagen voordat er iemand kwam.",
        "In 2025 is de keuken vervangen.",
    ],
)
def test_ordinary_answers_stay_as_written(text):
    assert mask_text(text) == text


def _dataset_with_answers(texts_per_respondent: list[str], *, aannemer: str | None = None):
    builder = DatasetBuilder(2025)
    builder.corporation("C1")
    ids = builder.respondents(
        "C1", "reparaties", [[8] * 7] * len(texts_per_respondent), month="2025-03", aannemer=aannemer
    )
    tables = builder.tables()
    tables["open_answers"] = pd.DataFrame({"response_id": ids, "question_id": "X1", "text": texts_per_respondent})
    return from_tables(tables)


def test_table_shows_masked_answers_only_for_the_minimum_cell():
    four = _dataset_with_answers(["Goed", "Slecht, bel 0612345678", "Prima", "Matig"])
    assert open_answer_table(four, "C1", first_month="2025-01", last_month="2025-12", min_cell=5).empty
    five = _dataset_with_answers(["Goed", "Slecht, bel 0612345678", "Prima", "Matig", "Ok"])
    table = open_answer_table(five, "C1", first_month="2025-01", last_month="2025-12", min_cell=5)
    assert len(table) == 5
    assert "0612345678" not in " ".join(table["text"])
    assert "[telefoonnummer]" in " ".join(table["text"])
    assert table["question"].iloc[0] == "Overige vraag"
    assert open_answer_table(five, "C1", first_month="2025-04", last_month="2025-12", min_cell=5).empty


def test_a_dataset_without_open_answers_loads(tmp_path):
    dataset = DatasetBuilder(2025).corporation("C1").build()
    assert dataset.open_answers is not None
    assert dataset.open_answers.empty
    assert open_answer_table(dataset, "C1", first_month="2025-01", last_month="2025-12", min_cell=5).empty


def test_open_answers_are_validated():
    builder = DatasetBuilder(2025)
    builder.corporation("C1")
    ids = builder.respondents("C1", "reparaties", [[8] * 7] * 2, month="2025-03")
    tables = builder.tables()
    tables["open_answers"] = pd.DataFrame(
        {
            "response_id": [ids[0], "R-unknown", ids[1], ids[1]],
            "question_id": ["L1", "X1", "X1", "X1"],
            "text": ["label question", "who?", "twice", "x" * 4001],
        }
    )
    with pytest.raises(DatasetError) as refused:
        from_tables(tables)
    message = str(refused.value)
    assert "not an open question" in message
    assert "response_id not in respondents" in message
    assert "answered twice" in message
    assert "longer than 4000" in message


def test_a_contractor_sees_only_its_own_answers_and_only_from_the_minimum_cell():
    from kwh_calc.calculations.open_answers import masked_open_answers, shown_open_answers

    builder = DatasetBuilder(2025)
    builder.corporation("C1")
    mine = builder.respondents("C1", "reparaties", [[8] * 7] * 5, month="2025-03", aannemer="Bouw A")
    theirs = builder.respondents("C1", "reparaties", [[8] * 7] * 4, month="2025-03", aannemer="Bouw B")
    tables = builder.tables()
    tables["open_answers"] = pd.DataFrame(
        {
            "response_id": mine + theirs,
            "question_id": "X1",
            "text": [f"mijn {i}" for i in range(5)] + [f"ander {i}" for i in range(4)],
        }
    )
    masked = masked_open_answers(from_tables(tables), first_month="2025-01", last_month="2025-12")
    own = shown_open_answers(masked, "C1", min_cell=5, aannemer="Bouw A")
    assert sorted(own["text"]) == [f"mijn {i}" for i in range(5)]
    assert shown_open_answers(masked, "C1", min_cell=5, aannemer="Bouw B").empty  # 4 < 5
    assert len(shown_open_answers(masked, "C1", min_cell=5)) == 9
