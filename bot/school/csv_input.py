"""Reading the school base from the CSV files a school exports: parsing and line-by-line checks.

Pure functions on text: the command (`bot/school/cli/setup.py`) reads the files, and the use case
`flows.school.base` writes what changed. One file per kind, as a school's software exports them:

    schools.csv    uai;name;phone;email;timezone
    students.csv   id;nom;prenom;birth_date;uai;class_name;level
    guardians.csv  id;nom;prenom;mobile;email;student_ids
    calendar.csv   uai;window;from;to          (`python -m bot calendar import`)

and the councils' results files (`python -m bot council|proposals|decision --csv`, the console's
imports), read here too and recorded by `flows.school.results`:

    opinions:  student_id;avis_1;avis_2;avis_3;recommendation;motivation
    proposals: student_id;voie_1;detail_1;voie_2;detail_2;voie_3;detail_3
    decisions: student_id;voie;detail

An avis is favorable, réservé or défavorable (with or without "Avis "); a voie is gt, pro, cap, its
French label, or (recommendation only) empty for none. A results file's problems are the rules'
keys (`flows.school.refusals.Refused`), each with its line.

Files: UTF-8 with or without BOM (a spreadsheet's "CSV UTF-8"); `;` or `,` separated, whichever the
header line uses more; the first line names the columns, in any order. Header names ignore case,
accents, spaces, `-` and `_`, and accept French aliases (see `ALIASES` below, e.g. `prénom`,
`date de naissance`, `classe`, `niveau`, `portable`, `courriel`); other columns are ignored and
named in the report. Empty lines are skipped.

Values: surrounding spaces are trimmed and inner runs of spaces collapsed; a value may not hold a
control or invisible character, nor exceed 100 characters.

- `uai`: 7 digits and a letter (`0751234A`), upper-cased.
- `id` (students, guardians): no spaces, `|`, `;` or `,`; unique within its file.
- `timezone`: optional, an IANA zone (`America/Martinique`, any case), default Europe/Paris.
- `phone` (school): a valid French or overseas number, kept as written (families read it).
- `email`: a basic `name@domain.tld` shape; optional for guardians.
- `birth_date`: 14/05/2012, 14-05-2012, 14.05.2012, "14 mai 2012" or 2012-05-14; an impossible
  date (31/02/2010), a date in the future or more than 30 years ago is refused.
- `uai` of a student: a school of schools.csv or already in the database.
- `level`: free but non-empty; usual spellings are normalised (3ème, 3EME, troisième → `3e`;
  seconde → `2de`; cm1 → `CM1`), because only level `3e` is concerned by the service.
- `mobile`: optional; stored in E.164 form (+33612345678), as activation compares numbers.
- `student_ids`: one or more student ids separated by spaces or `|`, each a student of
  students.csv or already in the database.

Every problem is reported with its place, as a spreadsheet shows it (the header is line 1):
`students.csv line 7, column birth_date: 31/02/2010 is not a date`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers

from flows.rules import days
from flows.rules.calendar import WINDOW_ORDER
from flows.rules.errors import DomainError
from flows.rules.identity import fold, normalize_mobile, plausible_birth_date
from flows.rules.model import Avis, Guardian, School, Student, Voie
from flows.school.refusals import Problem as Refusal
from flows.school.refusals import Refused
from flows.texts import t

T = TypeVar("T")
MAX_LENGTH = 100
DEFAULT_TIMEZONE = "Europe/Paris"
KINDS = ("schools", "students", "guardians")

_UAI = re.compile(r"^\d{7}[A-Z]$")
_ID = re.compile(r"^[^\s|;,]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")
_ID_SEPARATORS = re.compile(r"[\s|]+")
# A birth date in the base: what families may type, and the ISO form spreadsheets export.
BASE_BIRTH_FORMS = days.BIRTH_FORMS | {days.Form.ISO}
_SPACES = re.compile(r"\s+")
_PHONE_SEPARATORS = re.compile(r"[ .\-/()]")
# Levels as schools write them → the form the service compares (`Student.concerned` wants "3e").
_LEVEL_WORDS = {
    "sixieme": "6e", "cinquieme": "5e", "quatrieme": "4e", "troisieme": "3e",
    "seconde": "2de", "2nde": "2de", "2de": "2de", "premiere": "1re", "1re": "1re", "1ere": "1re",
    "terminale": "Tle", "tle": "Tle", "ps": "PS", "ms": "MS", "gs": "GS", "cp": "CP",
    "ce1": "CE1", "ce2": "CE2", "cm1": "CM1", "cm2": "CM2",
}
_COLLEGE_LEVEL = re.compile(r"^([3-6])(?:e|eme|ieme)$")


class Bad(ValueError):
    """A value that cannot be accepted; the message says why, in the operator's words."""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: str  # the header as written in the file; "" for the whole line or file
    message: str
    position: int = field(default=0, compare=False)  # column index, to sort as the sheet reads

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}"
        return f"{where}, column {self.column}: {self.message}" if self.column else \
            f"{where}: {self.message}"


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str, date], object]  # cleaned, non-empty text → value; raises Bad
    required: bool = True  # the column must be present and every value non-empty
    aliases: tuple[str, ...] = ()


@dataclass
class Line:
    number: int
    # The columns whose value is valid, as their parsers made them (a str, a date, a tuple of ids:
    # each column its own type, so the records are built from them by column name).
    values: dict[str, Any]
    ok: bool  # no problem on this line


@dataclass
class Table:
    """One file once read: the header as written for each column, its lines, its problems."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)  # column → header as in the file
    positions: dict[str, int] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    width: int = 0  # cells in the header line

    def problem(self, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(self.name, line, self.labels.get(column, column), message,
                                     self.positions.get(column, -1)))

    def values(self, column: str) -> Iterable[tuple[Line, Any]]:
        return ((line, line.values[column]) for line in self.lines if column in line.values)


# ---- values -----------------------------------------------------------------------------------

def _show(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def clean(raw: str) -> str:
    """Trim, collapse inner spaces; refuse control or invisible characters and long values."""
    text = raw.strip()
    if not text.isprintable():  # fast path: most values are plain printable text
        bad = next((c for c in text if not c.isprintable() and not _is_space(c)), None)
        if bad is not None:
            raise Bad(f"contains a control or invisible character (U+{ord(bad):04X})")
        text = _SPACES.sub(" ", text)
    elif "  " in text:
        text = _SPACES.sub(" ", text)
    if len(text) > MAX_LENGTH:
        raise Bad(f"too long ({len(text)} characters, at most {MAX_LENGTH})")
    return text


def _is_space(char: str) -> bool:
    # Non-breaking and thin spaces are ordinary in French text (1 000, « … »); tabs are not.
    return unicodedata.category(char) == "Zs"


def _text(text: str, today: date) -> str:
    return text


def _id(text: str, today: date) -> str:
    if not _ID.match(text):
        raise Bad(f"{_show(text)} is not an id (no spaces, '|', ';' or ',')")
    return text


def parse_uai(text: str, today: date | None = None) -> str:
    uai = text.upper()
    if not _UAI.match(uai):
        raise Bad(f"{_show(text)} is not a UAI (7 digits and a letter, e.g. 0751234A)")
    return uai


@cache
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _timezone(text: str, today: date) -> str:
    name = _zones().get(text.casefold())
    if name is None:
        raise Bad(f"{_show(text)} is not a known time zone (e.g. Europe/Paris, America/Martinique)")
    ZoneInfo(name)  # listed zones always load; this keeps a broken tzdata from passing silently
    return name


def _phone(text: str, today: date) -> str:
    try:
        normalize_mobile(text)
    except DomainError:
        raise Bad(f"{_show(text)} is not a phone number") from None
    return text  # kept as written: families read it on the contact screen


@cache
def _french_mobile() -> re.Pattern[str]:
    # phonenumbers' own patterns for France: the general one and the mobile one.
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    assert metadata is not None and metadata.general_desc is not None \
        and metadata.mobile is not None  # France is in the library's metadata
    general = metadata.general_desc.national_number_pattern
    mobile = metadata.mobile.national_number_pattern
    return re.compile(rf"(?=(?:{general})$)(?:{mobile})$")


def fast_mobile(text: str) -> str | None:
    """The E.164 form of a metropolitan mobile written 06…, +33 6… or 0033 6…, else None.

    phonenumbers takes about 16 µs a number, half of an import of 180,000 guardians; numbers
    matching its French mobile pattern are valid for it, so this gives `normalize_mobile`'s
    answer without the parse. Anything else (overseas, odd forms, errors) goes to it.
    """
    digits = _PHONE_SEPARATORS.sub("", text)
    if digits.startswith("0033"):
        national = digits[4:]
    elif digits.startswith("+33"):
        national = digits[3:]
    elif digits.startswith("0") and not digits.startswith("00"):
        national = digits[1:]
    else:
        return None
    if national.isascii() and national.isdigit() and _french_mobile().match(national):
        return "+33" + national
    return None


def _mobile(text: str, today: date) -> str:
    fast = fast_mobile(text)
    if fast is not None:
        return fast
    try:
        return normalize_mobile(text)
    except DomainError:
        raise Bad(f"{_show(text)} is not a mobile number") from None


def _email(text: str, today: date) -> str:
    if not _EMAIL.match(text):
        raise Bad(f"{_show(text)} is not an e-mail address")
    return text


def _birth_date(text: str, today: date) -> date:
    try:
        value = days.parse_day(text, BASE_BIRTH_FORMS)
    except DomainError:
        raise Bad(f"{_show(text)} is not a date") from None
    if not plausible_birth_date(value, today):
        raise Bad(f"{text} is not a plausible birth date "
                  f"(in the future or more than 30 years ago)")
    return value


def _level(text: str, today: date) -> str:
    key = "".join(fold(text).split())
    college = _COLLEGE_LEVEL.match(key)
    if college:
        return f"{college.group(1)}e"
    return _LEVEL_WORDS.get(key, text)


def _student_ids(text: str, today: date) -> tuple[str, ...]:
    ids = [part for part in _ID_SEPARATORS.split(text) if part]
    for student_id in ids:
        _id(student_id, today)
    return tuple(dict.fromkeys(ids))  # a repeated id is one link


def parse_day(text: str) -> date:
    """A calendar day: 2027-05-03 or 03/05/2027 (3/5/2027 too)."""
    try:
        return days.parse_day(text, days.CALENDAR_FORMS)
    except DomainError:
        raise Bad(f"{_show(text.strip())} is not a date (YYYY-MM-DD or DD/MM/YYYY)") from None


def _window_key(text: str, today: date) -> str:
    key = "".join(fold(text).split())
    if key not in WINDOW_ORDER:
        raise Bad(f"{_show(text)} is not a window ({', '.join(WINDOW_ORDER)})")
    return key


def _day(text: str, today: date) -> date:
    return parse_day(text)


# ---- the columns of each file -----------------------------------------------------------------

SCHOOL_COLUMNS = (
    Column("uai", parse_uai, aliases=("code uai", "rne", "code rne")),
    Column("name", _text, aliases=("nom", "nom etablissement", "etablissement", "denomination")),
    Column("phone", _phone, aliases=("telephone", "tel")),
    Column("email", _email, aliases=("courriel", "e-mail", "mail", "adresse mail")),
    Column("timezone", _timezone, required=False, aliases=("fuseau", "fuseau horaire", "tz")),
)
STUDENT_COLUMNS = (
    Column("id", _id, aliases=("identifiant", "id eleve", "identifiant eleve", "numero eleve")),
    Column("nom", _text, aliases=("nom de famille", "last name")),
    Column("prenom", _text, aliases=("first name",)),
    Column("birth_date", _birth_date,
           aliases=("date naissance", "date de naissance", "naissance", "date of birth")),
    Column("uai", parse_uai, aliases=("code uai", "rne", "etablissement")),
    Column("class_name", _text, aliases=("classe", "class", "division")),
    Column("level", _level, aliases=("niveau",)),
)
GUARDIAN_COLUMNS = (
    Column("id", _id, aliases=("identifiant", "id responsable", "identifiant responsable")),
    Column("nom", _text, aliases=("nom de famille", "last name")),
    Column("prenom", _text, aliases=("first name",)),
    Column("mobile", _mobile, required=False,
           aliases=("portable", "telephone portable", "tel portable", "telephone", "tel")),
    Column("email", _email, required=False, aliases=("courriel", "e-mail", "mail", "adresse mail")),
    Column("student_ids", _student_ids,
           aliases=("eleves", "eleve", "ids eleves", "enfants", "students")),
)
CALENDAR_COLUMNS = (
    Column("uai", parse_uai, aliases=("code uai", "rne", "etablissement")),
    Column("window", _window_key, aliases=("fenetre", "etape")),
    Column("from", _day, aliases=("du", "debut", "ouverture", "date debut")),
    Column("to", _day, aliases=("au", "fin", "fermeture", "date fin")),
)
COLUMNS = {"schools": SCHOOL_COLUMNS, "students": STUDENT_COLUMNS, "guardians": GUARDIAN_COLUMNS,
           "calendar": CALENDAR_COLUMNS}


def _header_key(name: str) -> str:
    return "".join(fold(name).split())


def aliases(columns: Sequence[Column]) -> dict[str, str]:
    """Folded header name → column name."""
    return {_header_key(alias): column.name for column in columns
            for alias in (column.name, *column.aliases)}


# ---- reading a file ---------------------------------------------------------------------------

class BadFile(ValueError):
    """A file that cannot be read as text at all; `problem` says where."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def decode(name: str, data: bytes) -> str:
    """UTF-8 text, BOM dropped; other encodings are refused with the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadFile(Problem(name, line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                                              f"save the file as \"CSV UTF-8\"")) from None


def separator(text: str) -> str:
    header = text.split("\n", 1)[0]
    return "," if header.count(",") > header.count(";") else ";"


def read_table(name: str, text: str, columns: Sequence[Column], today: date) -> Table:
    """Read one file: map the header, then check every line's values."""
    table = Table(name)
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(text), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            table.problem(1, "", "no header line (the file is empty)")
            return table
        table.width = len(header)
        slots = _map_header(table, header, columns)
        if table.problems:
            return table
        for number, row in enumerate(reader, start=2):
            if any(cell.strip() for cell in row):
                table.lines.append(_read_line(table, number, row, slots, columns, today))
    except csv.Error as exc:
        table.problem(reader.line_num, "", f"unreadable CSV ({exc}); check the quotes")
    return table


def _map_header(table: Table, header: list[str], columns: Sequence[Column]) -> dict[str, int]:
    known = aliases(columns)
    slots: dict[str, int] = {}
    for index, cell in enumerate(header):
        label = cell.strip()
        name = known.get(_header_key(label))
        if name is None:
            if label:
                table.ignored.append(label)
        elif name in slots:
            table.problem(1, "", f"columns {table.labels[name]} and {label} are both {name}")
        else:
            slots[name] = index
            table.labels[name] = label
            table.positions[name] = index
    for column in columns:
        if column.required and column.name not in slots:
            names = ", ".join((column.name, *column.aliases))
            table.problem(1, "", f"missing column {column.name} (accepted names: {names})")
    return slots


def _read_line(table: Table, number: int, row: list[str], slots: dict[str, int],
               columns: Sequence[Column], today: date) -> Line:
    line = Line(number, {}, True)
    if any(cell.strip() for cell in row[table.width:]):
        line.ok = False
        table.problem(number, "", f"{len(row)} values, but the header has {table.width} columns")
    for column in columns:
        index = slots.get(column.name)
        raw = row[index] if index is not None and index < len(row) else ""
        try:
            text = clean(raw)
            if not text:
                if column.required:
                    raise Bad("empty, but required")
                continue
            line.values[column.name] = column.parse(text, today)
        except Bad as exc:
            line.ok = False
            table.problem(number, column.name, str(exc))
    return line


# ---- the school base ----------------------------------------------------------------------------

@dataclass
class SchoolBase:
    """The records of the given files (lines without problems), and the tables they came from."""

    tables: dict[str, Table]  # by kind, only the files given, in KINDS order
    schools: list[School] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)
    guardians: list[tuple[Guardian, tuple[str, ...]]] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """Every problem, file by file, in the order a person reads the sheet."""
        return sorted_problems(self.tables.values())

    def absent_columns(self) -> dict[str, set[str]]:
        """Kind → the optional columns its file left out (their stored values are kept)."""
        return {kind: {c.name for c in COLUMNS[kind] if c.name not in table.labels}
                for kind, table in self.tables.items()}


def sorted_problems(tables: Iterable[Table]) -> list[Problem]:
    out: list[Problem] = []
    for table in tables:
        out += sorted(table.problems, key=lambda p: (p.line, p.position))
    return out


def parse_base(files: Mapping[str, tuple[str, str]], today: date) -> SchoolBase:
    """Read the given files (kind → (display name, text)) and check every line on its own.

    References to schools and students are checked afterwards by `check_references`, against the
    files and the database.
    """
    base = SchoolBase({kind: read_table(*files[kind], COLUMNS[kind], today)
                       for kind in KINDS if kind in files})
    for kind, table in base.tables.items():
        _refuse_duplicates(table, "uai" if kind == "schools" else "id")
    for line in _good_lines(base, "schools"):
        v = line.values
        base.schools.append(School(v["uai"], v["name"], v["phone"], v["email"],
                                   v.get("timezone", DEFAULT_TIMEZONE)))
    for line in _good_lines(base, "students"):
        v = line.values
        base.students.append(Student(v["id"], v["nom"], v["prenom"], v["birth_date"], v["uai"],
                                     v["class_name"], v["level"]))
    for line in _good_lines(base, "guardians"):
        v = line.values
        base.guardians.append((Guardian(v["id"], v["nom"], v["prenom"], v.get("mobile"),
                                        v.get("email")), v["student_ids"]))
    return base


def _good_lines(base: SchoolBase, kind: str) -> list[Line]:
    table = base.tables.get(kind)
    return [line for line in table.lines if line.ok] if table else []


def _refuse_duplicates(table: Table, column: str) -> None:
    first: dict[object, int] = {}
    for line, value in table.values(column):
        seen = first.setdefault(value, line.number)
        if seen != line.number:
            line.ok = False
            table.problem(line.number, column, f"{value} is already on line {seen}")


def check_references(base: SchoolBase, known_uais: AbstractSet[str],
                     known_students: AbstractSet[str]) -> None:
    """A student's school, a guardian's students: in the files or already in the database."""
    schools = base.tables.get("schools")
    uais = known_uais | {uai for _, uai in schools.values("uai")} if schools else known_uais
    if "students" in base.tables:
        table = base.tables["students"]
        for line, uai in table.values("uai"):
            if uai not in uais:
                line.ok = False
                table.problem(line.number, "uai", f"{uai} is not a known school (not in the "
                                                  f"schools file nor in the database)")
    if "guardians" in base.tables:
        students = base.tables.get("students")
        ids = known_students | {i for _, i in students.values("id")} if students else known_students
        table = base.tables["guardians"]
        for line, student_ids in table.values("student_ids"):
            unknown = [i for i in student_ids if i not in ids]
            if unknown:
                line.ok = False
                what = "is not a known student" if len(unknown) == 1 else "are not known students"
                table.problem(line.number, "student_ids", f"{_show(' '.join(unknown))} {what} "
                                                          f"(not in the students file nor in the database)")


# ---- the calendar file --------------------------------------------------------------------------

def parse_calendar(name: str, text: str) -> Table:
    """Read `uai;window;from;to` lines; each window's dates must be in order, once per school."""
    table = read_table(name, text, CALENDAR_COLUMNS, date.today())
    first: dict[tuple[object, object], int] = {}
    for line in table.lines:
        v = line.values
        if "from" in v and "to" in v and v["to"] < v["from"]:
            line.ok = False
            table.problem(line.number, "to", f"{v['to']:%Y-%m-%d} is before the opening day "
                                             f"{v['from']:%Y-%m-%d}")
        if "uai" in v and "window" in v:
            seen = first.setdefault((v["uai"], v["window"]), line.number)
            if seen != line.number:
                line.ok = False
                table.problem(line.number, "window",
                              f"{v['window']} of {v['uai']} is already on line {seen}")
    return table


# ---- the councils' results files -------------------------------------------------------------------

_AVIS = {"favorable": Avis.FAVORABLE, "reserve": Avis.RESERVE, "defavorable": Avis.DEFAVORABLE}
OPINION_COLUMNS = ("student_id", "avis_1", "avis_2", "avis_3", "recommendation", "motivation")
PROPOSAL_COLUMNS = ("student_id", "voie_1", "detail_1", "voie_2", "detail_2", "voie_3", "detail_3")
DECISION_COLUMNS = ("student_id", "voie", "detail")

Row = dict[str, str]
OpinionRow = tuple[str, list[Avis], Voie | None, str]
ProposalRow = tuple[str, list[tuple[Voie, str]]]
DecisionRow = tuple[str, Voie, str]


def parse_avis(raw: str) -> Avis:
    key = fold(raw).removeprefix("avis ").strip()
    if key not in _AVIS:
        raise DomainError("input.not_avis", raw=raw)
    return _AVIS[key]


def parse_voie(raw: str) -> Voie | None:
    """A voie by its code or label; None for an empty cell (no recommendation)."""
    text = raw.strip()
    if not text or fold(text) in ("aucune", "none", "-"):
        return None
    for voie in Voie:
        if fold(text) in (voie.value, fold(t(f"voie.{voie.value}"))):
            return voie
    raise DomainError("input.not_voie", raw=raw)


def required_voie(raw: str) -> Voie:
    voie = parse_voie(raw)
    if voie is None:
        raise DomainError("input.voie_required")
    return voie


def _result_rows(text: str, columns: Sequence[str]) -> list[tuple[int, Row]]:
    """(line number, column → cell) for every non-empty line; headers folded as the base's."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(text))
    known = {_header_key(name): name for name in columns}
    names = [known.get(_header_key(cell)) for cell in next(reader, [])]
    return [(reader.line_num, {name: (row[i] if i < len(row) else "")
                               for i, name in enumerate(names) if name})
            for row in reader if row]


def _results_file(text: str, columns: Sequence[str], required: tuple[str, ...],
                  parse: Callable[[Row], T]) -> list[T]:
    """Every row parsed, or `Refused` with every bad line."""
    rows = _result_rows(text, columns)
    missing = [c for c in required if rows and c not in rows[0][1]]
    if missing:
        raise Refused([Refusal(DomainError("input.missing_columns", columns=", ".join(missing)),
                               line=1)])
    parsed: list[T] = []
    problems: list[Refusal] = []
    for number, row in rows:
        try:
            if not row.get("student_id", "").strip():
                raise DomainError("input.empty_column", column="student_id")
            parsed.append(parse(row))
        except DomainError as error:
            problems.append(Refusal(error, line=number))
    if problems:
        raise Refused(problems)
    if not parsed:
        raise Refused([DomainError("input.no_lines")])
    return parsed


def _opinion_row(row: Row) -> OpinionRow:
    avis = [parse_avis(row[c]) for c in ("avis_1", "avis_2", "avis_3") if row.get(c, "").strip()]
    return (row["student_id"].strip(), avis, parse_voie(row.get("recommendation", "")),
            row.get("motivation", ""))


def _proposal_row(row: Row) -> ProposalRow:
    proposals = [(required_voie(row[f"voie_{n}"]), row.get(f"detail_{n}", ""))
                 for n in (1, 2, 3) if row.get(f"voie_{n}", "").strip()]
    if not proposals:
        raise DomainError("input.voie_required_in", column="voie_1")
    return row["student_id"].strip(), proposals


def _decision_row(row: Row) -> DecisionRow:
    return row["student_id"].strip(), required_voie(row.get("voie", "")), row.get("detail", "")


def opinion_rows(text: str) -> list[OpinionRow]:
    return _results_file(text, OPINION_COLUMNS, ("student_id", "avis_1"), _opinion_row)


def proposal_rows(text: str) -> list[ProposalRow]:
    return _results_file(text, PROPOSAL_COLUMNS, ("student_id", "voie_1"), _proposal_row)


def decision_rows(text: str) -> list[DecisionRow]:
    return _results_file(text, DECISION_COLUMNS, ("student_id", "voie"), _decision_row)
