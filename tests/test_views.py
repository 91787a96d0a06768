import pytest
from builders import DatasetBuilder

from kwh_calc.results import YearResults, compute_results, write_results
from kwh_calc.rules import load_rules
from kwh_calc.views import available_breakdowns, breakdown_table, peer_groups, peer_table, response_table_nl, scores_table

RULES = load_rules()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    builder = DatasetBuilder().corporation("C1", region="Utrecht", units=1800).corporation("C2", region="Utrecht", units=3000)
    builder.respondents("C1", "reparaties", [[7]] * 24 + [[6]], aannemer="Aannemer A", month="2025-03")  # 6,96
    builder.respondents("C1", "reparaties", [[3]] * 2, aannemer="Aannemer B", month="2025-03")
    builder.respondents("C1", "reparaties", [[7, 8]] * 5, month="2024-05")
    builder.respondents("C1", "nieuwe_huurders", [[8]] * 5, month="2025-02", mode="telefonisch")
    builder.respondents("C2", "reparaties", [[9]] * 10, month="2025-04")
    directory = tmp_path_factory.mktemp("r") / "results"
    write_results(compute_results(builder.build(), RULES, 2025), directory, {"year": 2025, "rules_path": ""})
    return YearResults(directory, "C1")


def test_scores_table_is_dutch_and_flags_borderline(results):
    table = scores_table(results).set_index("Onderdeel")
    assert list(table.index) == ["Nieuwe huurders", "Reparaties"]  # questionnaire order of the rules
    repairs = table.loc["Reparaties"]
    # 24×7 + 6 + 2×3 = 180 / 27 = 6,67
    assert repairs["Score"] == "6,7" and repairs["Respondenten"] == "27"
    assert repairs["Score 2024"] == "7,5" and repairs["Verschil"] == "-0,8"
    assert repairs["Landelijk"] == "7,3"  # (180 + 90) / 37
    assert repairs["% tevreden"] == "93%"


def test_borderline_is_marked(tmp_path):
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[7]] * 24 + [[6]], month="2025-03")
    write_results(compute_results(builder.build(), RULES, 2025), tmp_path / "r", {"year": 2025, "rules_path": ""})
    row = scores_table(YearResults(tmp_path / "r", "C1")).iloc[0]
    assert row["Score"] == "7,0 (grensgeval)" and row[f"Score {2024}"] == "–"


def test_peer_table_names_groups_and_counts(results):
    row = peer_table(results).set_index("Onderdeel").loc["Reparaties"]
    assert row["Landelijk"] == "7,3 (2)" and row["Grootteklasse"] == "6,7 (1)"
    assert peer_groups(results)["Regio"] == "Utrecht"


def test_response_table(results):
    row = response_table_nl(results).set_index("Onderdeel").loc["Nieuwe huurders"]
    assert (row["Benaderd"], row["Telefonisch"], row["Totaal"], row["Respons"]) == ("90", "5", "5", "6%")


def test_breakdown_table_suppresses_small_groups(results):
    table = breakdown_table(results, "aannemer", "reparaties").set_index("Aannemer")
    assert table.loc["Aannemer A", "Score"] == "7,0"
    assert table.loc["Aannemer B", "Score"] == "< 5 resp." and table.loc["Aannemer B", "Respondenten"] == "2"
    assert available_breakdowns(results) == [("aannemer", "reparaties")]
