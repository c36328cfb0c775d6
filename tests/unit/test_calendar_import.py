"""The calendar file's use case (flows/school/calendar.py `import_windows`) on the in-memory store:
windows merged over the stored ones, refusals per line, nothing written on a refusal or a dry run."""

from __future__ import annotations

from datetime import date

from flows.rules.calendar import day_window
from flows.rules.model import School
from flows.school.calendar import WindowLine, import_windows
from storage.memory import MemoryStore

PARIS = School("0751234A", "Collège Test", "01 44 00 00 00", "ce@ac-test.fr")
MARTINIQUE = School("9720001A", "Collège Aimé", "05 96 00 00 00", "ce@ac-mq.fr", "America/Martinique")


def _store() -> MemoryStore:
    store = MemoryStore()
    with store.transaction():
        store.put_school(PARIS)
        store.put_school(MARTINIQUE)
        store.put_window(PARIS.uai, day_window("intentions", date(2027, 1, 4), date(2027, 1, 18),
                                               PARIS.timezone))
    return store


def test_new_and_unchanged_windows_in_each_school_s_time_zone() -> None:
    store = _store()
    done = import_windows(store, [
        WindowLine(2, PARIS.uai, "intentions", date(2027, 1, 4), date(2027, 1, 18)),
        WindowLine(3, MARTINIQUE.uai, "avis", date(2027, 2, 1), date(2027, 2, 12))], dry_run=False)
    assert (done.changed, done.unchanged, done.errors) == (1, 1, ())
    avis = store.calendar(MARTINIQUE.uai).windows["avis"]
    assert avis == day_window("avis", date(2027, 2, 1), date(2027, 2, 12), "America/Martinique")


def test_a_refused_line_refuses_the_file_and_writes_nothing() -> None:
    store = _store()
    done = import_windows(store, [
        WindowLine(2, "0000000X", "avis", date(2027, 2, 1), date(2027, 2, 12)),
        WindowLine(3, PARIS.uai, "avis", date(2027, 1, 10), date(2027, 2, 12)),
        WindowLine(4, MARTINIQUE.uai, "avis", date(2027, 2, 1), date(2027, 2, 12))], dry_run=False)
    assert [(e.number, e.column, e.error.key) for e in done.errors] == [
        (2, "uai", "calendar.unknown_school"), (3, "from", "calendar.out_of_order")]
    assert done.errors[1].error.params["closes"] == "2027-01-18 23:59"
    assert "avis" not in store.calendar(MARTINIQUE.uai).windows


def test_a_dry_run_counts_and_writes_nothing() -> None:
    store = _store()
    done = import_windows(store, [WindowLine(2, PARIS.uai, "avis", date(2027, 2, 1),
                                             date(2027, 2, 12))], dry_run=True)
    assert (done.changed, done.unchanged) == (1, 0)
    assert "avis" not in store.calendar(PARIS.uai).windows
