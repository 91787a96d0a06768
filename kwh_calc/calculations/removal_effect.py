"""What the removals register changes: figures and label advice with and without it.

The CKV sees every removal (docs/methodology.md §6 **Decision**): per corporation and component how
many questionnaires were removed, the figures with and without them, and whether the
removals changed the label advice. This module computes that once for the close
(:data:`kwh_calc.results.year.RESULT_TABLES` ``removals`` and ``removal_advice``) and for
``kwh removals report``.

"Official" figures leave the removed questionnaires out (as every other calculation does);
"including" figures are those of the same dataset with an empty register
(:func:`kwh_calc.intake.removals.including_removed`), i.e. as if nothing had been removed.

**Decision (anonymity, docs/methodology.md §6 "no result of a single person is ever shown"):** the
difference between the figures with and without the removals is the result of the removed
respondents themselves. When fewer than ``suppression.min_cell_size`` (5) counted respondents
were removed from a component, the including figures (score, percentage satisfied) are not
shown (``show_including`` false): the reader gets the counts, the official figures and the
criterion-1 status including them (gehaald / niet gehaald / CKV beslist), which the CKV
needs to see a changed advice, but never a number from which one tenant's grade can be
worked out. With 5 or more the figures are shown, as any cell of 5 is.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from kwh_calc.calculations.coverage import attribute_to_successors, mergers
from kwh_calc.calculations.label import ADVICE_NAMES, advice_table, components_table, label_advice, label_components
from kwh_calc.calculations.scores import component_scores, research_months, respondent_results
from kwh_calc.intake.dataset import Dataset
from kwh_calc.intake.removals import including_removed, register_rows
from kwh_calc.intake.rules import Rules

__all__ = [
    "ADVICE_COLUMNS",
    "COMPONENT_COLUMNS",
    "NOT_LABEL",
    "corporations_subset",
    "removal_advice",
    "removal_components",
]

#: Columns of :func:`removal_components`.
COMPONENT_COLUMNS = [
    "corporation_id",
    "questionnaire",
    "questionnaire_name",
    "label_component",
    "n_removed",
    "n_official",
    "n_including",
    "score_official",
    "score_including",
    "pct_official",
    "pct_including",
    "score_display_official",
    "score_display_including",
    "pct_display_official",
    "pct_display_including",
    "status_official",
    "status_including",
    "status_changed",
    "show_including",
]
#: Columns of :func:`removal_advice`.
ADVICE_COLUMNS = [
    "corporation_id",
    "name",
    "n_removed",
    "advice_official",
    "advice_including",
    "advice_name_official",
    "advice_name_including",
    "advice_changed",
    "components_changed",
]
_FIGURES = ["n", "score", "pct_satisfied", "score_display", "pct_display"]
#: Status of a questionnaire that does not count for the label (Groot onderhoud, Algemene waardering).
NOT_LABEL = "telt niet voor het label"


def _in_year(dataset: Dataset, year: int) -> pd.DataFrame:
    """Register rows of ``year``, attributed to the merged corporation as the label is."""
    rows = register_rows(dataset, year)
    return attribute_to_successors(rows, dataset.corporations, year=year, month_column="service_month")


def corporations_subset(dataset: Dataset, corporation_ids) -> Dataset:
    """The dataset restricted to these corporations and their merger relatives.

    A corporation's label advice depends only on its own rows and, through a merger, on its
    predecessors' or successor's (docs/methodology.md §3), so the advice "as if nothing had been
    removed" needs only the corporations with removals: a fraction of a national pass. Merger
    relatives are followed both ways until no new one appears (chains of mergers). The answer
    links are re-indexed, not re-derived; no re-validation (a subset of a valid dataset whose
    merger relatives are kept is valid).
    """
    ids = set(corporation_ids)
    links = mergers(dataset.corporations)
    while True:
        grown = (
            ids
            | set(links.loc[links["predecessor_id"].isin(ids), "successor_id"])
            | set(links.loc[links["successor_id"].isin(ids), "predecessor_id"])
        )
        if grown == ids:
            break
        ids = grown

    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[frame["corporation_id"].isin(ids).to_numpy(dtype=bool)].reset_index(drop=True)

    links, questions = dataset.answer_respondent, dataset.answer_question
    if links is None or questions is None:
        raise ValueError("the dataset has no answer links: load it with load_dataset or from_tables")
    keep = dataset.respondents["corporation_id"].isin(ids).to_numpy(dtype=bool)
    answer_keep = keep[links]
    new_row = np.cumsum(keep) - 1
    return dataclasses.replace(
        dataset,
        corporations=mine(dataset.corporations),
        respondents=mine(dataset.respondents),
        answers=dataset.answers.loc[answer_keep].reset_index(drop=True),
        deliveries=mine(dataset.deliveries),
        checkvraag=mine(dataset.checkvraag),
        label_history=mine(dataset.label_history),
        removals=dataset.removals,
        answer_respondent=new_row[links[answer_keep]],
        answer_question=questions[answer_keep],
    )


_LAST: list = []  # [(dataset, rules, year, (subset, subset without register, LabelAdvice))]


def _advice_including(dataset: Dataset, rules: Rules, year: int):
    """The dataset of the corporations with removals in ``year`` and their label advice as if
    nothing had been removed; computed once per dataset, rules and year objects (both registry
    tables of the close need it)."""
    if _LAST and _LAST[0][0] is dataset and _LAST[0][1] is rules and _LAST[0][2] == year:
        return _LAST[0][3]
    subset = corporations_subset(dataset, _in_year(dataset, year)["corporation_id"].unique())
    including = including_removed(subset)
    result = (subset, including, label_advice(including, rules, year))
    _LAST[:] = [(dataset, rules, year, result)]
    return result


def _label_figures(components: pd.DataFrame) -> pd.DataFrame:
    out = components[["corporation_id", "component", *_FIGURES, "status"]].rename(
        columns={"component": "questionnaire"}
    )
    return out.set_index(["corporation_id", "questionnaire"])


def _other_figures(dataset: Dataset, rules: Rules, year: int, questionnaires: list[str]) -> pd.DataFrame:
    first, last = research_months(year)
    results = respondent_results(dataset, rules, first_month=first, last_month=last, questionnaires=questionnaires)
    scores = component_scores(results, rules)
    out = scores[["corporation_id", "questionnaire", *_FIGURES]].assign(status=NOT_LABEL)
    return out.set_index(["corporation_id", "questionnaire"])


def removal_components(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """Per corporation × questionnaire with removals in ``year``: the figures with and without.

    Parameters
    ----------
    dataset : validated research dataset with its removals register.
    rules : rule set of ``year`` (label thresholds, ``suppression.min_cell_size``).
    year : research year Y (service months January–December Y; merger-attributed like the
        label advice).

    Returns
    -------
    DataFrame
        :data:`COMPONENT_COLUMNS`: ``n_removed`` (questionnaires in the register),
        ``n_official`` / ``n_including`` (respondents counted without / with them),
        unrounded ``score_*`` (grade 1–10) and ``pct_*`` (percent 0–100), their Dutch
        displays, ``status_*`` (``gehaald`` / ``niet gehaald`` / ``CKV beslist`` for a label
        component, ``telt niet voor het label`` otherwise), ``status_changed`` and
        ``show_including`` (see the module's anonymity decision). Including figures of a
        component with ``show_including`` false are emptied here already, so no document
        can show them by mistake. Empty (with the columns) without removals in ``year``.
    """
    rows = _in_year(dataset, year)
    if rows.empty:
        return pd.DataFrame(columns=COMPONENT_COLUMNS)
    counts = rows.groupby(["corporation_id", "questionnaire"]).size().rename("n_removed")
    label = label_components(rules)
    others = sorted(set(counts.index.get_level_values("questionnaire")) - set(label))
    subset, including, advice_including = _advice_including(dataset, rules, year)
    official = _label_figures(components_table(dataset, rules, year))
    before = _label_figures(advice_including.components)
    if others:
        official = pd.concat([official, _other_figures(subset, rules, year, others)])
        before = pd.concat([before, _other_figures(including, rules, year, others)])
    table = counts.to_frame()
    table = table.join(official.add_suffix("_official"), how="left").join(before.add_suffix("_including"), how="left")
    table = table.reset_index()
    for side in ("official", "including"):
        table[f"n_{side}"] = table[f"n_{side}"].fillna(0).astype("int64")
        table[f"score_display_{side}"] = table[f"score_display_{side}"].fillna("–")
        table[f"pct_display_{side}"] = table[f"pct_display_{side}"].fillna("–")
        table = table.rename(columns={f"pct_satisfied_{side}": f"pct_{side}"})
    table["questionnaire_name"] = table["questionnaire"].map(rules.questionnaire_name)
    table["label_component"] = table["questionnaire"].isin(label)
    for side in ("official", "including"):  # a component without respondents has no score row
        table[f"status_{side}"] = np.where(table["label_component"], table[f"status_{side}"].fillna("–"), NOT_LABEL)
    table["status_changed"] = table["status_official"] != table["status_including"]
    removed_counted = table["n_including"] - table["n_official"]
    table["show_including"] = (removed_counted == 0) | (removed_counted >= rules.suppression.min_cell_size)
    hidden = ~table["show_including"]
    table.loc[hidden, ["score_including", "pct_including"]] = np.nan
    table.loc[hidden, ["score_display_including", "pct_display_including"]] = "niet getoond"
    order = {q: i for i, q in enumerate(rules.questionnaires)}
    table = table.sort_values(
        ["corporation_id", "questionnaire"], key=lambda s: s.map(order) if s.name == "questionnaire" else s
    )
    return table[COMPONENT_COLUMNS].reset_index(drop=True)


def removal_advice(dataset: Dataset, rules: Rules, year: int) -> pd.DataFrame:
    """Per corporation with removals in ``year``: the label advice with and without them.

    Returns
    -------
    DataFrame
        :data:`ADVICE_COLUMNS`: ``n_removed`` (all questionnaires), ``advice_official`` (the
        advice, removals left out), ``advice_including`` (as if nothing had been removed),
        their Dutch names, ``advice_changed`` (the advice or, for ``ckv_beslist``, one of its
        two outcomes differs) and ``components_changed`` (Dutch names of the label components
        whose criterion-1 status differs, ", "-separated). Corporations without an advice of
        their own (merged away) are not listed: their removals count at the successor.
    """
    rows = _in_year(dataset, year)
    if rows.empty:
        return pd.DataFrame(columns=ADVICE_COLUMNS)
    counts = rows.groupby("corporation_id").size().rename("n_removed")
    keys = ["advice", "advice_if_counted", "advice_if_not_counted"]
    official = advice_table(dataset, rules, year).set_index("corporation_id")
    before = _advice_including(dataset, rules, year)[2].advice.set_index("corporation_id")
    ids = [c for c in counts.index if c in official.index]
    table = pd.DataFrame(
        {
            "corporation_id": ids,
            "name": official.loc[ids, "name"].to_numpy(),
            "n_removed": counts.loc[ids].to_numpy(dtype="int64"),
        }
    )
    table["advice_official"] = official.loc[ids, "advice"].to_numpy()
    table["advice_including"] = before.loc[ids, "advice"].to_numpy()
    table["advice_name_official"] = table["advice_official"].map(ADVICE_NAMES)
    table["advice_name_including"] = table["advice_including"].map(ADVICE_NAMES)
    changed = (official.loc[ids, keys].fillna("").to_numpy() != before.loc[ids, keys].fillna("").to_numpy()).any(axis=1)
    table["advice_changed"] = changed
    components = removal_components(dataset, rules, year)
    moved = components.loc[components["label_component"] & components["status_changed"]]
    names = moved.groupby("corporation_id")["questionnaire_name"].agg(", ".join)
    table["components_changed"] = [names.get(c, "") for c in table["corporation_id"]]
    return table[ADVICE_COLUMNS]
