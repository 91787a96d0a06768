"""Signal e-mails: answers that a corporation is told about (docs/methodology.md §8.8, last bullet).

Per question a set of grades triggers a signal (e.g. 1–5, or 9–10). A signal is sent **only
when the respondent consented to sharing their details** (``anonymity_lifted`` true, docs/data-contract.md §5:
"respondent allowed their details to be shared"); for any other respondent nothing is ever
listed.

Configuration (``signals`` in ``params/rules.yml``)
    ``default_trigger_grades``
        grades that trigger for every **label question** of every questionnaire not
        configured otherwise;
    ``rules: {questionnaire: {question_id | "*": [grades]}}``
        per-questionnaire overrides. For a question the trigger grades are, first match wins:
        its own ``question_id`` entry (any question, label or not), the questionnaire's
        ``"*"`` entry (label questions only), ``default_trigger_grades`` (label questions
        only). An empty list switches signals off. Non-label questions only signal when
        named explicitly.
    A questionnaire key must be one of the six; a question_id that the dataset does not know
    for that questionnaire is refused (a typo would otherwise silently send nothing).

Period
    Service months ``first_month`` … ``last_month`` (``YYYY-MM``, inclusive), as for the
    scores (attribution by service month).
"""

from __future__ import annotations

import pandas as pd

from kwh_calc.intake.dataset import Dataset
from kwh_calc.intake.removals import removed_mask
from kwh_calc.intake.rules import QUESTIONNAIRES, Rules

__all__ = ["SIGNAL_COLUMNS", "signals", "trigger_table"]

#: Columns of :func:`signals`, in order.
SIGNAL_COLUMNS = ["response_id", "corporation_id", "questionnaire", "question_id", "question", "grade", "service_month"]
ALL_LABEL_QUESTIONS = "*"


def _check_grades(grades, where: str) -> list[int]:
    grades = list(grades)
    wrong = [g for g in grades if isinstance(g, bool) or not isinstance(g, int) or not 1 <= g <= 10]
    if wrong:
        raise ValueError(f"signals {where}: trigger grades must be whole grades 1-10, got {wrong}")
    return sorted(set(grades))


def trigger_table(questions: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Per question of the ``questions`` table, its trigger grades (module docstring).

    Returns
    -------
    DataFrame
        One row per (question, trigger grade): ``questionnaire``, ``question_id``,
        ``question`` (Dutch text), ``grade``. Questions without triggers have no rows.

    Raises
    ------
    ValueError
        Unknown questionnaire or question_id in ``signals.rules``, or a grade outside 1–10.
    """
    config = rules.signals.rules or {}
    default = _check_grades(rules.signals.default_trigger_grades, "default_trigger_grades")
    unknown_q = sorted(set(config) - set(QUESTIONNAIRES))
    if unknown_q:
        raise ValueError(f"signals.rules: unknown questionnaire(s) {unknown_q}; expected one of {list(QUESTIONNAIRES)}")
    known = set(zip(questions["questionnaire"], questions["question_id"], strict=True))
    unknown = sorted(
        f"{q}.{qid}"
        for q, entries in config.items()
        for qid in entries
        if qid != ALL_LABEL_QUESTIONS and (q, qid) not in known
    )
    if unknown:
        raise ValueError(f"signals.rules: question(s) not in the questions table: {', '.join(unknown)}")
    rows = []
    for questionnaire, question_id, text, label in zip(
        questions["questionnaire"],
        questions["question_id"],
        questions["text"],
        questions["label_question"],
        strict=True,
    ):
        entries = config.get(questionnaire, {})
        if question_id in entries:
            grades = _check_grades(entries[question_id], f"rules.{questionnaire}.{question_id}")
        elif not label:
            continue
        elif ALL_LABEL_QUESTIONS in entries:
            grades = _check_grades(entries[ALL_LABEL_QUESTIONS], f"rules.{questionnaire}.*")
        else:
            grades = default
        rows += [(questionnaire, question_id, text, grade) for grade in grades]
    table = pd.DataFrame(rows, columns=["questionnaire", "question_id", "question", "grade"])
    return table.astype({"questionnaire": "string", "question_id": "string", "question": "string", "grade": "int64"})


def signals(
    dataset: Dataset, rules: Rules, first_month: str, last_month: str, corporation_id: str | None = None
) -> pd.DataFrame:
    """The signals of a period: answers with a trigger grade by respondents who consented.

    Parameters
    ----------
    dataset : the research dataset (respondents, answers, questions).
    rules : the rule set; ``signals`` gives the trigger grades (module docstring).
    first_month, last_month : service months ``YYYY-MM``, inclusive.
    corporation_id : only this corporation's respondents.

    Returns
    -------
    DataFrame
        :data:`SIGNAL_COLUMNS`: ``response_id``, ``corporation_id``, ``questionnaire``,
        ``question_id``, ``question`` (Dutch text), ``grade`` (1–10), ``service_month``; one
        row per triggering answer, sorted by corporation, service month, respondent and
        question order. Only respondents with ``anonymity_lifted`` true appear.
    """
    for name, month in (("first_month", first_month), ("last_month", last_month)):
        if not (
            isinstance(month, str)
            and len(month) == 7
            and month[4] == "-"
            and month[:4].isdigit()
            and month[5:].isdigit()
            and 1 <= int(month[5:]) <= 12
        ):
            raise ValueError(f"{name} must be a month YYYY-MM, got {month!r}")
    triggers = trigger_table(dataset.questions, rules)
    respondents = dataset.respondents
    keep = (
        respondents["anonymity_lifted"].to_numpy(dtype=bool)
        & (respondents["service_month"] >= first_month).to_numpy(dtype=bool)
        & (respondents["service_month"] <= last_month).to_numpy(dtype=bool)
    )
    if corporation_id is not None:
        keep &= (respondents["corporation_id"] == corporation_id).fillna(False).to_numpy(dtype=bool)
    keep = keep & ~removed_mask(dataset)  # a removed questionnaire (no service delivered) signals nothing
    answers = dataset.answers
    if dataset.answer_respondent is not None:
        respondent_pos = dataset.answer_respondent
    else:  # pragma: no cover - every validated dataset carries the links
        respondent_pos = pd.Index(respondents["response_id"]).get_indexer(answers["response_id"])
    grade = answers["grade"]
    mask = (respondent_pos >= 0) & grade.notna().to_numpy(dtype=bool)
    mask[mask] &= keep[respondent_pos[mask]]
    picked = answers.loc[mask, ["response_id", "question_id", "grade"]].copy()
    who = respondents.iloc[respondent_pos[mask]]
    for column in ("corporation_id", "questionnaire", "service_month"):
        picked[column] = who[column].to_numpy()
    picked["grade"] = picked["grade"].astype("int64")
    picked = picked.astype(
        {
            "corporation_id": "string",
            "questionnaire": "string",
            "service_month": "string",
            "question_id": "string",
            "response_id": "string",
        }
    )
    found = picked.merge(triggers, on=["questionnaire", "question_id", "grade"], how="inner")
    order = {
        key: i
        for i, key in enumerate(zip(dataset.questions["questionnaire"], dataset.questions["question_id"], strict=True))
    }
    found["_order"] = [order.get(k, -1) for k in zip(found["questionnaire"], found["question_id"], strict=True)]
    found = found.sort_values(["corporation_id", "service_month", "response_id", "_order"], kind="stable")
    return found[SIGNAL_COLUMNS].reset_index(drop=True)
