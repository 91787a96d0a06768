"""Answers to open questions, masked and grouped so that no output identifies a tenant.

docs/data-contract.md ``open_answers``: tenants write anything, including their own or a neighbour's name,
phone number, e-mail address, street address or postcode. :func:`mask_text` replaces such
personal data by a bracketed placeholder before any output; :func:`open_answer_table`
selects a corporation's (or a contractor's) answers for a period and shows them only when
the group shown has at least the minimum cell of respondents (docs/methodology.md §6).

Masking is deliberately greedy: a word that looks like a name after a title or an
introduction ("mevrouw Jansen", "ik ben Piet", "monteur Ahmed") is masked even if it was not
one; a lost word costs less than a published name. Capitalised words on their own are not
masked (every sentence starts with one); names that appear without such a cue can slip
through, which is why open answers are shown only for groups of at least the minimum cell
and the dashboard says that the answers were masked automatically.
"""

from __future__ import annotations

import re

import pandas as pd

from kwh_calc.intake.dataset import Dataset

__all__ = ["PLACEHOLDERS", "mask_text", "masked_open_answers", "open_answer_table", "shown_open_answers"]

PLACEHOLDERS = {
    "email": "[e-mailadres]",
    "phone": "[telefoonnummer]",
    "postcode": "[postcode]",
    "address": "[adres]",
    "house_number": "[huisnummer]",
    "name": "[naam]",
    "url": "[link]",
}

_EMAIL = re.compile(r"[\w.+-]+\s?(?:@|\(at\)|\[at\])\s?[\w-]+(?:\s?(?:\.|\(dot\))\s?[\w-]+)+", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
# Dutch numbers: 06-12345678, 06 1234 5678, +31 6 12345678, 0031 (0)20-1234567, 020-123 45 67 …:
# a run of at least 9 digits, allowing the usual separators in between.
_PHONE = re.compile(r"(?<![\w])(?:\+|00)?(?:\d[\s\-./()]{0,3}){9,13}\d(?![\w])")
# 1234 AB, 1234AB, 1234ab (capitals when apart: "in 2025 is" is a year, not a postcode).
_POSTCODE = re.compile(r"\b[1-9]\d{3}(?:\s?-?\s?[A-Z]{2}|[a-z]{2})\b")
_STREET_SUFFIX = (
    r"(?:straat|laan|weg|plein|kade|gracht|singel|dreef|hof|park|pad|steeg|dijk|"
    r"plantsoen|erf|veld|baan|ring|wal|markt|burg|haven|hoven|akker|wijk|dam|oord)"
)
# "Kerkstraat 12", "Burg. de Vlugtlaan 3-A", "Lange Nieuwstraat 12bis": street name + number.
# Case-sensitive: the street name is capitalised, words before it are capitalised or particles.
_ADDRESS = re.compile(
    r"\b(?:(?:[A-Z][\w'.-]*|de|van|der|den|het|'t)\s){0,3}[A-Z][\w'.-]*"
    + _STREET_SUFFIX
    + r"\b\.?\s*\d+(?:\s?[-/]?\s?[A-Za-z0-9]{1,3}\b)?"
)
# "huisnummer 12", "nr. 14a", "nummer 3", "no 7", "op 23-II": a bare number after such a cue.
_HOUSE_NUMBER = re.compile(r"\b(?:huisnummer|huisnr\.?|nummer|nr\.?|no\.?)\s*\d+\s?[A-Za-z]?\b", re.IGNORECASE)
# Name cues: titles, roles and introductions, followed by one to three capitalised words
# (with Dutch tussenvoegsels between them).
_TITLES = (
    r"(?i:mevrouw|mevr\.?|mw\.?|meneer|mijnheer|dhr\.?|de heer|heer|mr\.?|dr\.?|ir\.?|ing\.?|"
    r"buurman|buurvrouw|monteur|loodgieter|schilder|timmerman|aannemer|medewerker|medewerkster|"
    r"opzichter|huismeester|consulent|consulente|collega|zoon|dochter|man|vrouw|"
    r"genaamd|heet|heette|heten|ik ben|mijn naam is|naam)"
)
_TUSSEN = r"(?i:van der|van den|van de|van|de|der|den|ter|ten|te|in 't|'t|el|al)"
_NAME_WORD = r"[A-ZÀ-Ý][\w'À-ÿ-]+"
_NAME = re.compile(
    r"(?<![\w])("
    + _TITLES
    + r")(\s*:\s*|\s+|(?<=\.))((?:"
    + _TUSSEN
    + r"\s+)?"
    + _NAME_WORD
    + r"(?:\s+(?:"
    + _TUSSEN
    + r"\s+)?"
    + _NAME_WORD
    + r"){0,2}|[A-Z]\.(?:\s?[A-Z]\.)*\s*(?:"
    + _TUSSEN
    + r"\s+)?"
    + _NAME_WORD
    + r")",
)  # case-sensitive: a name is capitalised, the cue (scoped (?i:)) may be written any way
# Initials with a surname anywhere: "J. de Vries", "A.B. Jansen".
_INITIALS = re.compile(r"\b(?:[A-Z]\.\s?){1,4}(?:" + _TUSSEN + r"\s+)?" + _NAME_WORD + r"\b")
# Signatures: "Groet, Piet" / "groetjes Annie de Boer" at the end.
_SIGNATURE = re.compile(
    r"((?i:(?:met\s+)?(?:vriendelijke\s+)?(?:groet(?:en|jes)?|gr\.?|mvg))[,\s]+)("
    + _NAME_WORD
    + r"(?:\s+(?:"
    + _TUSSEN
    + r"\s+)?"
    + _NAME_WORD
    + r"){0,2})\s*\.?\s*$"
)


def _name_replacement(match: re.Match) -> str:
    # Keep the cue ("monteur", "mevrouw"): it tells the reader who was meant, not who it was.
    return f"{match.group(1)}{match.group(2)}{PLACEHOLDERS['name']}"


def mask_text(text: str) -> str:
    """Replace personal data in a tenant's own words by placeholders.

    Parameters
    ----------
    text : the answer as written (UTF-8, up to 4.000 characters).

    Returns
    -------
    str
        The text with e-mail addresses, links, phone numbers, postcodes, street addresses,
        house numbers and names after a cue (title, role, introduction, initials, signature)
        replaced by ``[e-mailadres]``, ``[link]``, ``[telefoonnummer]``, ``[postcode]``,
        ``[adres]``, ``[huisnummer]`` and ``[naam]``. Order matters: e-mail before names
        (``piet@…``), phone numbers before postcodes and house numbers.
    """
    masked = _EMAIL.sub(PLACEHOLDERS["email"], text)
    masked = _URL.sub(PLACEHOLDERS["url"], masked)
    masked = _PHONE.sub(PLACEHOLDERS["phone"], masked)
    masked = _POSTCODE.sub(PLACEHOLDERS["postcode"], masked)
    masked = _ADDRESS.sub(PLACEHOLDERS["address"], masked)
    masked = _HOUSE_NUMBER.sub(PLACEHOLDERS["house_number"], masked)
    masked = _NAME.sub(_name_replacement, masked)
    # Case-sensitive on purpose: initials are capitals followed by a dot.
    masked = _INITIALS.sub(PLACEHOLDERS["name"], masked)
    masked = _SIGNATURE.sub(lambda m: m.group(1) + PLACEHOLDERS["name"], masked)
    return masked


def masked_open_answers(dataset: Dataset, *, first_month: str, last_month: str) -> pd.DataFrame:
    """Every open answer of respondents in a service-month range, masked, with their groups.

    Parameters
    ----------
    dataset : validated research dataset (``open_answers`` may be empty).
    first_month, last_month : inclusive service-month range ``YYYY-MM``.

    Returns
    -------
    DataFrame
        ``corporation_id, aannemer, questionnaire, question_id, question, service_month,
        response_id, text`` (masked by :func:`mask_text`); answers without text left out.
        ``response_id`` is kept only to count respondents per group: never show it.
    """
    columns = [
        "corporation_id",
        "aannemer",
        "questionnaire",
        "question_id",
        "question",
        "service_month",
        "response_id",
        "text",
    ]
    answers = dataset.open_answers
    if answers is None or answers.empty:
        return pd.DataFrame(columns=columns)
    respondents = dataset.respondents
    window = respondents.loc[
        (respondents["service_month"] >= first_month) & (respondents["service_month"] <= last_month),
        ["response_id", "corporation_id", "aannemer", "questionnaire", "service_month"],
    ]
    frame = answers.merge(window, on="response_id", how="inner")
    frame = frame.loc[frame["text"].fillna("").str.strip() != ""]
    questions = dataset.questions[["questionnaire", "question_id", "text"]].rename(columns={"text": "question"})
    frame = frame.merge(questions, on=["questionnaire", "question_id"], how="left")
    frame["text"] = [mask_text(str(t)) for t in frame["text"]]
    return frame[columns].reset_index(drop=True)


def shown_open_answers(
    masked: pd.DataFrame, corporation_id: str, *, min_cell: int, aannemer: str | None = None
) -> pd.DataFrame:
    """The masked answers one output may show: its corporation (or contractor), per question
    only when at least ``min_cell`` respondents answered it.

    Parameters
    ----------
    masked : output of :func:`masked_open_answers`.
    corporation_id : the corporation.
    min_cell : minimum respondents of a group shown (``suppression.min_cell_size``).
    aannemer : only respondents of this contractor (contractor dashboards).

    Returns
    -------
    DataFrame
        ``questionnaire, question_id, question, service_month, text``, sorted by
        questionnaire, question and month.
    """
    frame = masked.loc[masked["corporation_id"] == corporation_id]
    if aannemer is not None:
        frame = frame.loc[frame["aannemer"] == aannemer]
    sizes = frame.groupby(["questionnaire", "question_id"])["response_id"].transform("nunique")
    frame = frame.loc[sizes >= min_cell]
    columns = ["questionnaire", "question_id", "question", "service_month", "text"]
    return frame.sort_values(["questionnaire", "question_id", "service_month", "response_id"])[columns].reset_index(
        drop=True
    )


def open_answer_table(
    dataset: Dataset,
    corporation_id: str,
    *,
    first_month: str,
    last_month: str,
    min_cell: int,
    aannemer: str | None = None,
) -> pd.DataFrame:
    """Masked open answers of a corporation (or one contractor of it) that may be shown.

    :func:`masked_open_answers` then :func:`shown_open_answers`; a question answered by fewer
    than ``min_cell`` respondents is left out entirely (with so few, an answer points to a
    person).
    """
    masked = masked_open_answers(dataset, first_month=first_month, last_month=last_month)
    return shown_open_answers(masked, corporation_id, min_cell=min_cell, aannemer=aannemer)
