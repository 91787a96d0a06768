"""Compact builders of small, valid synthetic research datasets for tests.

Every test that needs a dataset states only what matters to it; the builder fills in the
rest so that the dataset passes the docs/data-contract.md contract. All data is synthetic.

Example
-------
>>> b = DatasetBuilder(year=2025)
>>> b.corporation("C1", units=3000)
>>> b.quarterly_deliveries("C1", "reparaties")
>>> b.respondents("C1", "reparaties", [[8, 7], [6, None], [9, 9]], month="2025-02")
>>> dataset = b.build()
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from kwh_calc.intake.dataset import TABLE_COLUMNS, Dataset, from_tables
from kwh_calc.intake.rules import QUESTIONNAIRES

N_LABEL_QUESTIONS = 7


def _month_end(month: str) -> pd.Timestamp:
    return (pd.Period(month, "M").end_time).normalize()


class DatasetBuilder:
    """Accumulates rows of the docs/data-contract.md tables (the optional ``removals`` included);
    :meth:`build` validates them.

    Every questionnaire gets ``N_LABEL_QUESTIONS`` label questions ``L1``…``L7``, one Aedes
    question ``A1`` and one other question ``X1`` (neither label nor Aedes).
    """

    def __init__(self, year: int = 2025):
        self.year = year
        self.corporations: list[dict] = []
        self.deliveries: list[dict] = []
        self.respondent_rows: list[dict] = []
        self.answer_rows: list[dict] = []
        self.checkvraag_rows: list[dict] = []
        self.history: list[dict] = []
        self.removal_rows: list[dict] = []
        self._counter = 0

    # ------------------------------------------------------------------ tables
    def corporation(
        self,
        corporation_id: str,
        *,
        units: int = 3000,
        region: str = "Utrecht",
        urbanisation: int = 3,
        aedes_member: bool = True,
        member_since: str = "2015-01-01",
        merged_from: str | None = None,
        merged_on: str | None = None,
    ) -> DatasetBuilder:
        self.corporations.append(
            dict(
                corporation_id=corporation_id,
                name=f"Testcorporatie {corporation_id}",
                units=units,
                region=region,
                urbanisation=urbanisation,
                aedes_member=aedes_member,
                member_since=member_since,
                merged_from=merged_from,
                merged_on=merged_on,
            )
        )
        return self

    def delivery(
        self,
        corporation_id: str,
        questionnaire: str,
        start: str,
        end: str,
        *,
        n_delivered: int = 100,
        n_approached: int = 90,
        channel: str = "mijn_kwh",
        delivery_id: str | None = None,
    ) -> str:
        """Add a delivery with data period [start, end] (ISO dates); returns its id."""
        delivery_id = delivery_id or f"D{len(self.deliveries) + 1:05d}"
        self.deliveries.append(
            dict(
                delivery_id=delivery_id,
                corporation_id=corporation_id,
                questionnaire=questionnaire,
                channel=channel,
                delivered_on=(pd.Timestamp(end) + pd.Timedelta(days=5)).date().isoformat(),
                period_start=start,
                period_end=end,
                n_delivered=n_delivered,
                n_approached=n_approached,
            )
        )
        return delivery_id

    def quarterly_deliveries(
        self, corporation_id: str, questionnaire: str, year: int | None = None, **kwargs
    ) -> list[str]:
        """One delivery per calendar quarter of ``year`` (default the builder's year)."""
        year = year or self.year
        ids = []
        for quarter in range(4):
            start = pd.Timestamp(year, 3 * quarter + 1, 1)
            end = (start + pd.offsets.QuarterEnd(0)).normalize()
            ids.append(
                self.delivery(corporation_id, questionnaire, start.date().isoformat(), end.date().isoformat(), **kwargs)
            )
        return ids

    def _delivery_for(self, corporation_id: str, questionnaire: str, month: str) -> str:
        start = pd.Period(month, "M").start_time
        for row in self.deliveries:
            if (
                row["corporation_id"] == corporation_id
                and row["questionnaire"] == questionnaire
                and pd.Timestamp(row["period_start"]) <= start <= pd.Timestamp(row["period_end"])
            ):
                return row["delivery_id"]
        return self.delivery(
            corporation_id, questionnaire, start.date().isoformat(), _month_end(month).date().isoformat()
        )

    def respondents(
        self,
        corporation_id: str,
        questionnaire: str,
        grades: Sequence[Sequence[int | None]],
        *,
        month: str | None = None,
        mode: str = "online",
        completed_on: str | None = None,
        aannemer: str | None = None,
        uitsplitsing_1: str | None = None,
        aedes_grades: Sequence[int | None] | None = None,
        other_grades: Sequence[int | None] | None = None,
        anonymity_lifted: bool = True,
    ) -> list[str]:
        """Add one respondent per entry of ``grades`` (their label-question grades, None = not answered).

        ``aedes_grades`` gives each respondent's grade on the Aedes question ``A1``;
        ``other_grades`` their grade on the non-label question ``X1``.
        """
        month = month or f"{self.year}-06"
        delivery_id = self._delivery_for(corporation_id, questionnaire, month)
        completed = completed_on or (_month_end(month) + pd.Timedelta(days=10)).date().isoformat()
        ids = []
        for index, label_grades in enumerate(grades):
            self._counter += 1
            response_id = f"R{self._counter:07d}"
            ids.append(response_id)
            self.respondent_rows.append(
                dict(
                    response_id=response_id,
                    corporation_id=corporation_id,
                    questionnaire=questionnaire,
                    service_month=month,
                    completed_on=completed,
                    mode=mode,
                    delivery_id=delivery_id,
                    aannemer=aannemer,
                    uitsplitsing_1=uitsplitsing_1,
                    uitsplitsing_2=None,
                    uitsplitsing_3=None,
                    uitsplitsing_4=None,
                    anonymity_lifted=anonymity_lifted,
                )
            )
            for number, grade in enumerate(label_grades, start=1):
                self.answer_rows.append(dict(response_id=response_id, question_id=f"L{number}", grade=grade))
            if aedes_grades is not None:
                self.answer_rows.append(dict(response_id=response_id, question_id="A1", grade=aedes_grades[index]))
            if other_grades is not None:
                self.answer_rows.append(dict(response_id=response_id, question_id="X1", grade=other_grades[index]))
        return ids

    def label_history(
        self, corporation_id: str, research_year: int, decision: str, passed: bool, valid_until: str | None = None
    ) -> DatasetBuilder:
        self.history.append(
            dict(
                corporation_id=corporation_id,
                research_year=research_year,
                decision=decision,
                passed=passed,
                valid_until=valid_until,
            )
        )
        return self

    def checkvraag(
        self,
        corporation_id: str,
        delivery_id: str,
        month: str,
        answer: int,
        *,
        aannemer: str | None = None,
        consent: bool = False,
    ) -> DatasetBuilder:
        self.checkvraag_rows.append(
            dict(
                corporation_id=corporation_id,
                delivery_id=delivery_id,
                service_month=month,
                answer=answer,
                aannemer=aannemer,
                consent=consent,
            )
        )
        return self

    def removal(
        self,
        response_id: str,
        *,
        reason: str = "geen_dienst_geleverd",
        decided_on: str = "2026-01-15",
        reference: str | None = None,
    ) -> DatasetBuilder:
        """Register the removal of questionnaire ``response_id`` (docs/data-contract.md ``removals``)."""
        reference = reference or f"VZ-{len(self.removal_rows) + 1:04d}"
        row = dict(response_id=response_id, reason=reason, decided_on=decided_on, reference=reference)
        self.removal_rows.append(row)
        return self

    # ------------------------------------------------------------------ output
    @staticmethod
    def questions() -> pd.DataFrame:
        rows = []
        for questionnaire in QUESTIONNAIRES:
            for number in range(1, N_LABEL_QUESTIONS + 1):
                rows.append(
                    dict(
                        questionnaire=questionnaire,
                        question_id=f"L{number}",
                        text=f"Labelvraag {number}",
                        label_question=True,
                        aedes_question=False,
                    )
                )
            rows.append(
                dict(
                    questionnaire=questionnaire,
                    question_id="A1",
                    text="Rapportcijfer dienstverlening",
                    label_question=False,
                    aedes_question=True,
                )
            )
            rows.append(
                dict(
                    questionnaire=questionnaire,
                    question_id="X1",
                    text="Overige vraag",
                    label_question=False,
                    aedes_question=False,
                )
            )
        return pd.DataFrame(rows)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The raw tables (before validation), for tests that break the contract on purpose."""

        def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
            return pd.DataFrame(rows, columns=columns)

        return {
            "corporations": frame(
                self.corporations,
                [
                    "corporation_id",
                    "name",
                    "units",
                    "region",
                    "urbanisation",
                    "aedes_member",
                    "member_since",
                    "merged_from",
                    "merged_on",
                ],
            ),
            "questions": self.questions(),
            "respondents": frame(self.respondent_rows, list(TABLE_COLUMNS["respondents"])),
            "answers": frame(self.answer_rows, ["response_id", "question_id", "grade"]),
            "deliveries": frame(
                self.deliveries,
                [
                    "delivery_id",
                    "corporation_id",
                    "questionnaire",
                    "channel",
                    "delivered_on",
                    "period_start",
                    "period_end",
                    "n_delivered",
                    "n_approached",
                ],
            ),
            "checkvraag": frame(
                self.checkvraag_rows,
                ["corporation_id", "delivery_id", "service_month", "answer", "aannemer", "consent"],
            ),
            "label_history": frame(
                self.history, ["corporation_id", "research_year", "decision", "passed", "valid_until"]
            ),
            "removals": frame(self.removal_rows, ["response_id", "reason", "decided_on", "reference"]),
        }

    def build(self) -> Dataset:
        """Validate the accumulated rows into a :class:`~kwh_calc.intake.dataset.Dataset`."""
        return from_tables(self.tables())
