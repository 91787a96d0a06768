"""The rule set (``params/rules.yml``): thresholds, weights, periods and sizes as data.

Every rule of docs/methodology.md that carries a number is read from here, never written as a literal in
code. Decimal thresholds are kept as :class:`decimal.Decimal` (written as strings in YAML) so
that threshold comparisons stay exact (docs/methodology.md §2.4, "Decision (exactness)").

A rule set may carry per-year overrides under ``years: {YYYY: {...}}``; :func:`load_rules`
deep-merges the overrides of the requested year over the defaults.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from kwh_calc.common.paths import params_dir

DEFAULT_RULES_PATH = params_dir() / "rules.yml"

QUESTIONNAIRES = (
    "nieuwe_huurders",
    "vertrokken_huurders",
    "reparaties",
    "planmatig_onderhoud",
    "groot_onderhoud",
    "algemene_waardering",
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QuestionnaireRule(_Model):
    name: str
    label: bool
    min_respondents: int | None = Field(description="respondents below which the CKV decides")
    aedes_subscore: bool


class ScoreRules(_Model):
    satisfied_grade: Decimal = Field(description="respondent mean (grade 1-10) counted satisfied")
    borderline_margin_grade: Decimal = Field(description="grade points below a threshold flagged")
    borderline_margin_pct: Decimal = Field(description="percentage points below a threshold flagged")


class SuppressionRules(_Model):
    min_cell_size: int = Field(ge=2, description="respondents; smaller cells are suppressed")


class LabelRules(_Model):
    min_score: Decimal
    min_pct_satisfied: Decimal = Field(description="percent 0-100")
    quarterly_components: list[str]
    yearly_components: list[str]
    required_held: str
    max_delivery_period_days: int
    new_member_lookback_months: int
    validity_years: int
    decision_month: int
    valid_until_month_day: str
    valid_at_month_day: str
    merger_first_half_months: int
    first_assessment_months: int = Field(
        12, description="months of research before a new member's (route a) or merger's first CKV assessment"
    )


class LetterBoundary(_Model):
    letter: str
    min_grade: Decimal


class AedesRules(_Model):
    start_month: int = Field(description="first service month, in year Y-1")
    end_month: int = Field(description="last service month, in year Y")
    freeze_month_day: str
    dissatisfied_max_grade: int
    letters: list[LetterBoundary]
    boundary_flag_margin: Decimal
    letter_points: dict[str, int]
    weights: dict[str, Decimal]
    overall_a_min: Decimal
    overall_c_max: Decimal


class QuotaRow(_Model):
    model_config = ConfigDict(frozen=True, extra="allow")
    max_units: int | None


class RepresentativenessRules(_Model):
    confidence: Decimal = Field(description="fraction, e.g. 0.90")
    margin_standard: Decimal = Field(description="fraction, e.g. 0.05")
    margin_acceptable: Decimal = Field(description="fraction, e.g. 0.10")
    worst_case_p: Decimal
    telephone_quota: list[QuotaRow]


class SizeClass(_Model):
    max_units: int | None
    name: str


class CheckvraagRules(_Model):
    answers: dict[int, str]
    reinvite_weeks_default: int
    reinvite_weeks_allowed: list[int]


class BlockingRule(_Model):
    years: int = 0
    months: int = 0


class FieldworkRules(_Model):
    same_questionnaire_months: int
    algemene_waardering_max_per_year: int
    api_quiet_days: int
    collision_order: list[str]
    blocking: dict[str, BlockingRule]


class SignalRules(_Model):
    model_config = ConfigDict(frozen=True, extra="allow")
    default_trigger_grades: list[int]
    rules: dict[str, dict[str, list[Annotated[int, Field(ge=1, le=10)]]]] = Field(
        default_factory=dict,
        description="questionnaire -> question_id or '*' -> trigger grades (kwh_calc.exports.signals)",
    )


class DeliveryFileRules(_Model):
    required_columns: dict[str, list[str]] = Field(description="canonical column -> accepted headers")
    optional_columns: dict[str, list[str]]
    gender_codes: list[str]
    type_questionnaires: list[str]
    rows_listed: int = Field(ge=1, description="row ranges listed in a message before capping")


class Rules(_Model):
    """A validated rule set for one research year."""

    version: str
    questionnaires: dict[str, QuestionnaireRule]
    scores: ScoreRules
    suppression: SuppressionRules
    label: LabelRules
    aedes: AedesRules
    representativeness: RepresentativenessRules
    size_classes: list[SizeClass]
    checkvraag: CheckvraagRules
    fieldwork: FieldworkRules
    signals: SignalRules
    delivery_files: DeliveryFileRules | None = None
    years: dict[int, dict[str, Any]] = Field(default_factory=dict)
    fingerprint: str = ""
    year: int | None = None
    path: str = ""

    def for_year(self, year: int) -> Rules:
        """The same rule set with the overrides of research ``year`` (for last year's figures)."""
        if year == self.year:
            return self
        return load_rules(self.path or None, year)

    @property
    def label_questionnaires(self) -> list[str]:
        """Questionnaire keys that count for the KWH-Kwaliteitslabel, in table order."""
        return [k for k, q in self.questionnaires.items() if q.label]

    def questionnaire_name(self, key: str) -> str:
        """Dutch display name of a questionnaire key."""
        return self.questionnaires[key].name

    def size_class(self, units: int) -> str:
        """Name of the size class (rental units, inclusive upper bounds) of a corporation."""
        for size in self.size_classes:
            if size.max_units is None or units <= size.max_units:
                return size.name
        raise ValueError(f"no size class for {units} units")


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_rules(path: str | Path | None = None, year: int | None = None) -> Rules:
    """Load and validate a rule set.

    Parameters
    ----------
    path : path to a rules YAML file; default ``params/rules.yml`` of the project.
    year : research year whose overrides (``years: {year: ...}``) are merged over the defaults.

    Returns
    -------
    Rules
        Validated, immutable rules; ``fingerprint`` is the SHA-256 of the file's bytes, so a
        manifest can tell whether the rules behind a document changed.
    """
    path = Path(path) if path is not None else DEFAULT_RULES_PATH
    return _parse_rules(str(path), path.read_bytes(), year)


# Keyed on the file's bytes, so an edited rule set is parsed anew. Every document of a close
# loads the same rules (≈0,1 s of YAML parsing and validation each time, issue 13); the
# result is a frozen model, safe to share.
@functools.lru_cache(maxsize=32)
def _parse_rules(path_text: str, data: bytes, year: int | None) -> Rules:
    path = Path(path_text)
    raw = yaml.safe_load(data)
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a rule set must be a YAML mapping")
    years = raw.get("years") or {}
    if year is not None and year in years:
        raw = _deep_merge(raw, years[year])
    raw["fingerprint"] = hashlib.sha256(data).hexdigest()
    raw["year"] = year
    raw["path"] = str(path)
    return Rules.model_validate(raw)
