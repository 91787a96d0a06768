import shutil

from builders import DatasetBuilder
from typer.testing import CliRunner

from kwh_calc.cli import app
from kwh_calc.intake.dataset import write_dataset

runner = CliRunner()


def test_check_data_prints_verdict_and_inventory(demo_dir):
    result = runner.invoke(app, ["check-data", str(demo_dir)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert "Corporations: 20" in result.output
    assert "reparaties" in result.output
    assert "2024" in result.output
    assert "2025" in result.output


def test_check_data_refuses_a_broken_dataset_with_its_violations(tmp_path):
    builder = DatasetBuilder().corporation("C1")
    builder.respondents("C1", "reparaties", [[8, 11]])
    tables = builder.tables()
    write_dataset(tables, tmp_path / "bad", fmt="csv")
    text = (tmp_path / "bad" / "answers.csv").read_text()
    assert ",11" in text
    result = runner.invoke(app, ["check-data", str(tmp_path / "bad")])
    assert result.exit_code == 1
    assert "answers.grade: grade must be 1-10" in result.output
    assert "response_id=R0000001 question_id=L2" in result.output


def test_check_data_on_a_missing_folder(tmp_path):
    result = runner.invoke(app, ["check-data", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "not found" in result.output


def test_demo_data_is_deterministic_and_valid(tmp_path):
    for name in ("a", "b"):
        result = runner.invoke(
            app, ["demo-data", str(tmp_path / name), "--corporations", "8", "--seed", "3", "--format", "csv"]
        )
        assert result.exit_code == 0, result.output
    for table in (tmp_path / "a").iterdir():
        assert table.read_bytes() == (tmp_path / "b" / table.name).read_bytes(), table.name
    shutil.rmtree(tmp_path / "b")
