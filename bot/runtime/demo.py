"""Demo data: a school base whose families exercise every case, and a calendar around today.

Loaded on first use of an empty database, so `make run` is inside step 1, a week before its
closing date. The README lists these identities; tests rely on the Martin family.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flows.ports import Hasher, Store
from flows.rules.accounts import TEMP_PASSWORD_VALIDITY
from flows.rules.calendar import AVIS, CHOIX, INTENTIONS, REPONSE, day_window, home_day
from flows.rules.model import Account, AccountKind, Guardian, School, Student

JEAN_MOULIN = School("0699999Z", "Collège Jean Moulin", "04 72 00 00 00",
                     "college.jean-moulin@example.org")
VICTOR_HUGO = School("0699998Y", "École élémentaire Victor Hugo", "04 72 00 00 01",
                     "ecole.victor-hugo@example.org")
AIME_CESAIRE = School("9720999X", "Collège Aimé Césaire", "05 96 00 00 00",
                      "college.aime-cesaire@example.org", "America/Martinique")

STUDENTS = [
    Student("E-LUCAS", "Martin", "Lucas", date(2012, 5, 14), "0699999Z", "3e B", "3e"),
    Student("E-EMMA", "Martin", "Emma", date(2016, 9, 2), "0699998Y", "CM1", "CM1"),
    Student("E-LEA", "Bernard", "Léa", date(2012, 1, 20), "0699999Z", "3e A", "3e"),
    Student("E-HUGO", "Nguyen", "Hugo", date(2012, 7, 3), "0699999Z", "3e A", "3e"),
    Student("E-JADE", "Nguyen", "Jade", date(2012, 7, 3), "0699999Z", "3e C", "3e"),
    Student("E-NOAH", "Petit", "Noah", date(2011, 11, 30), "9720999X", "3e 2", "3e"),
]
GUARDIANS = [
    (Guardian("R-CLAIRE", "Martin", "Claire", "+33612345678", "claire.martin@example.org"),
     ["E-LUCAS", "E-EMMA"]),
    (Guardian("R-KARIM", "Martin", "Karim", "+33798765432", None), ["E-LUCAS", "E-EMMA"]),
    (Guardian("R-SOPHIE", "Bernard", "Sophie", None, "sophie.bernard@example.org"), ["E-LEA"]),
    (Guardian("R-THI", "Nguyen", "Thi", "+33611223344", "thi.nguyen@example.org"),
     ["E-HUGO", "E-JADE"]),
    (Guardian("R-MARIE", "Petit", "Marie-José", "+596696123456", None), ["E-NOAH"]),
]
# Identifiers and temporary passwords the school hands out (guardian without mobile, student).
TEMP_ACCOUNTS = [
    ("s.bernard1", AccountKind.GUARDIAN, "R-SOPHIE", "Provisoire-Bernard-2026"),
    ("l.martin1", AccountKind.STUDENT, "E-LUCAS", "Provisoire-Lucas-2026"),
]
# Days from the loading day: step 1 closes a week later, the council's opinion follows.
CALENDAR_OFFSETS = {INTENTIONS: (-30, 7), AVIS: (14, 28), CHOIX: (42, 63), REPONSE: (77, 91)}


def is_loaded(store: Store) -> bool:
    return store.school(JEAN_MOULIN.uai) is not None


def load(store: Store, hasher: Hasher, now: datetime) -> None:
    """Load the demo base, calendar and temporary accounts, anchored on `now`'s date."""
    anchor = home_day(now)
    with store.transaction():
        for school in (JEAN_MOULIN, VICTOR_HUGO, AIME_CESAIRE):
            store.put_school(school)
            for key, (first, last) in CALENDAR_OFFSETS.items():
                store.put_window(school.uai, day_window(
                    key, anchor + timedelta(days=first), anchor + timedelta(days=last),
                    school.timezone))
        for student in STUDENTS:
            store.put_student(student)
        for guardian, children in GUARDIANS:
            store.put_guardian(guardian, children)
        for identifier, kind, person, password in TEMP_ACCOUNTS:
            if store.account_of(kind, person) is None:
                store.save_account(Account(
                    None, identifier, kind, person, temp_password_hash=hasher.hash(password),
                    temp_expires_at=now + TEMP_PASSWORD_VALIDITY))
