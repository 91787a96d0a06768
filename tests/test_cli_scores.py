import pandas as pd
from builders import DatasetBuilder
from typer.testing import CliRunner

from kwh_calc.cli import app
from kwh_calc.intake.dataset import write_dataset

runner = CliRunner()


def dataset_dir(tmp_path):
    builder = DatasetBuilder().corporation("C1").corporation("C2")
    builder.respondents("C1", "reparaties", [[7]] * 24 + [[6]], aannemer="Aannemer A", month="2025-03")  # 6,96
    builder.respondents("C1", "reparaties", [[9]] * 2, aannemer="Aannemer B", month="2025-04")
    builder.respondents("C1", "reparaties", [[7]] * 3, month="2025-04")  # no contractor: rest 2 + 3 = 5
    builder.respondents("C1", "reparaties", [[1]] * 3, month="2024-12", completed_on="2025-01-10")  # not in 2025
    builder.respondents("C2", "nieuwe_huurders", [[8, 9]] * 4, month="2025-05")
    write_dataset(builder.build(), tmp_path / "data")
    return tmp_path / "data"


def test_scores_contract_columns_and_full_precision(tmp_path):
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["scores", str(dataset_dir(tmp_path)), "--year", "2025", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index(["corporation_id", "questionnaire"])
    assert {"n", "score", "pct_satisfied", "score_display", "pct_display", "borderline_score"} <= set(table.columns)
    repairs = table.loc[("C1", "reparaties")]
    assert repairs["n"] == 30
    assert repairs["score"] == (24 * 7 + 6 + 18 + 21) / 30  # unrounded, full precision
    assert repairs["pct_satisfied"] == 100.0
    assert len(table) == 2  # one row per corporation × questionnaire with respondents
    assert "Landelijk overzicht onderzoeksjaar 2025" in result.output


def test_scores_by_contractor_suppresses_small_groups(tmp_path):
    out = tmp_path / "by.csv"
    result = runner.invoke(
        app, ["scores", str(dataset_dir(tmp_path)), "--year", "2025", "--out", str(out), "--by", "aannemer"]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("aannemer")
    assert table.loc["Aannemer A", "score_display"] == "7,0"
    assert bool(table.loc["Aannemer A", "borderline_score"])
    assert bool(table.loc["Aannemer B", "suppressed"])
    assert pd.isna(table.loc["Aannemer B", "score"])


def test_scores_refuses_an_unknown_breakdown(tmp_path):
    result = runner.invoke(
        app,
        ["scores", str(dataset_dir(tmp_path)), "--year", "2025", "--out", str(tmp_path / "x.csv"), "--by", "postcode"],
    )
    assert result.exit_code == 2
    assert "not a breakdown column" in result.output
    assert not (tmp_path / "x.csv").exists()
