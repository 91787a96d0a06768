from decimal import Decimal

import pytest
import yaml

from kwh_calc.intake.rules import DEFAULT_RULES_PATH, QUESTIONNAIRES, load_rules


def test_default_rules_carry_the_domain_defaults():
    rules = load_rules()
    assert rules.label.min_score == Decimal("7.0")
    assert rules.label.min_pct_satisfied == Decimal("85")
    assert rules.scores.satisfied_grade == Decimal("5.5")
    assert rules.questionnaires["reparaties"].min_respondents == 50
    assert rules.questionnaires["nieuwe_huurders"].min_respondents == 20
    assert set(rules.questionnaires) == set(QUESTIONNAIRES)
    assert rules.label_questionnaires == ["nieuwe_huurders", "vertrokken_huurders", "reparaties", "planmatig_onderhoud"]
    assert sum(rules.aedes.weights.values()) == Decimal("1.00")
    assert len(rules.fingerprint) == 64


@pytest.mark.parametrize(
    ("units", "size_class"), [(2500, "t/m 2.500 vhe"), (2501, "2.501–5.000 vhe"), (20001, "meer dan 20.000 vhe")]
)
def test_size_class_upper_bounds_are_inclusive(units, size_class):
    assert load_rules().size_class(units) == size_class


def test_year_overrides_are_merged(tmp_path):
    raw = yaml.safe_load(DEFAULT_RULES_PATH.read_text())
    raw["years"] = {2026: {"label": {"min_score": "7.2"}}}
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(raw))
    assert load_rules(path, 2026).label.min_score == Decimal("7.2")
    assert load_rules(path, 2025).label.min_score == Decimal("7.0")
    assert load_rules(path, 2026).label.min_pct_satisfied == Decimal("85")


def test_a_broken_rule_set_is_refused(tmp_path):
    raw = yaml.safe_load(DEFAULT_RULES_PATH.read_text())
    raw["suppression"]["min_cell_size"] = 1  # never below 2 (docs/methodology.md §6.4)
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match="min_cell_size"):
        load_rules(path)


def test_for_year_gives_that_years_overrides(tmp_path):
    raw = yaml.safe_load(DEFAULT_RULES_PATH.read_text())
    raw["years"] = {2024: {"aedes": {"end_month": 8}}}
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(raw))
    rules = load_rules(path, 2025)
    assert rules.aedes.end_month == 7
    assert rules.for_year(2024).aedes.end_month == 8  # an older Aedes edition: Sep–Aug
    assert rules.for_year(2025) is rules


def test_rules_are_parsed_once_per_content(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text(DEFAULT_RULES_PATH.read_text())
    first = load_rules(path, 2025)
    assert load_rules(path, 2025) is first
    assert load_rules(path, 2024).year == 2024
    path.write_text(DEFAULT_RULES_PATH.read_text().replace("min_cell_size: 5", "min_cell_size: 6"))
    changed = load_rules(path, 2025)
    assert changed.suppression.min_cell_size == 6
    assert changed.fingerprint != first.fingerprint
