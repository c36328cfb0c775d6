"""The school's results and follow-up from the command line: councils' opinions, proposals, the
head's decisions, publishing per class, who has not acted, and the CSV export.

    python -m bot council   --student E-LUCAS --avis favorable,réservé [--recommendation gt]
                            [--motivation TEXT] [--draft]     |  --csv FILE [--draft]
    python -m bot proposals --student E-LUCAS --voie pro[,cap] [--detail TEXT] [--draft]
                                                              |  --csv FILE [--draft]
    python -m bot decision  --student E-LUCAS --voie pro [--detail TEXT]  |  --csv FILE
    python -m bot publish   --school 0699999Z --class "3e B"
    python -m bot followup  --school 0699999Z [--class "3e B"] [--all]
    python -m bot export    --school 0699999Z [--class "3e B"] [--out FILE]

Exit codes: 0 done, 1 refused (every reason on stderr, nothing recorded), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from flows.ports import Store
from flows.rules.errors import DomainError
from flows.rules.model import CONCERNED_LEVEL
from flows.school import followup, results
from flows.school.refusals import Refused
from flows.school.texts import operator_text

from .. import csv_input
from ..console import labels
from .report import failed

COMMANDS = ("council", "proposals", "decision", "publish", "followup", "export")


def _recording(commands: argparse._SubParsersAction, name: str, summary: str, description: str,
               csv_columns: str, draft: bool = True) -> argparse.ArgumentParser:
    """A command recording results for one student (--student …) or a whole file (--csv)."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=summary,
                                                          description=description)
    parser.add_argument("--student", help="student id, e.g. E-LUCAS")
    parser.add_argument("--csv", help=f"a CSV file: {csv_columns}")
    if draft:
        parser.add_argument("--draft", action="store_true", help="record without publishing")
    return parser


def add_parsers(commands: argparse._SubParsersAction) -> None:
    opinion = _recording(
        commands, "council", "record the class council's provisional opinion",
        "Record (and publish, unless --draft) the council's opinion per intention.",
        "student_id;avis_1;avis_2;avis_3;recommendation;motivation")
    opinion.add_argument("--avis", help="avis per intention in rank order, comma separated: "
                                        "favorable, réservé, défavorable")
    opinion.add_argument("--recommendation", default="", help="gt, pro, cap, or empty")
    opinion.add_argument("--motivation", default="", help="the council's motivation")

    proposals = _recording(
        commands, "proposals", "record the council's proposals (step 3)",
        "Record (and publish, unless --draft) 1 to 3 ranked proposals.",
        "student_id;voie_1;detail_1;voie_2;detail_2;voie_3;detail_3")
    proposals.add_argument("--voie", help="voies in rank order, comma separated: gt, pro, cap")
    proposals.add_argument("--detail", default="", help="a precision for the first proposal")

    decision = _recording(
        commands, "decision", "record the head's decision after a disagreement",
        "Record and publish the head of school's decision d'orientation.",
        "student_id;voie;detail", draft=False)
    decision.add_argument("--voie", help="gt, pro or cap")
    decision.add_argument("--detail", default="", help="a precision (formation, statut)")

    publish = commands.add_parser("publish", help="publish a class's recorded results")
    publish.add_argument("--school", required=True, help="the school's UAI")
    publish.add_argument("--class", dest="class_name", required=True, help='e.g. "3e B"')

    follow = commands.add_parser("followup", help="who has not acted, per class")
    follow.add_argument("--school", required=True, help="the school's UAI")
    follow.add_argument("--class", dest="class_name", help="one class only")
    follow.add_argument("--all", action="store_true", help="every student, not only those who "
                                                           "have something to do now")

    export = commands.add_parser("export", help="export requests, answers and decisions as CSV")
    export.add_argument("--school", required=True, help="the school's UAI")
    export.add_argument("--class", dest="class_name", help="one class only")
    export.add_argument("--out", help="write to this file (default: standard output)")


def command(store: Store, args: argparse.Namespace, now: datetime) -> int:
    try:
        return _COMMANDS[args.command](store, args, now)
    except DomainError as exc:  # a value of the command line (an avis, a voie)
        return failed(sys.stderr, operator_text(exc))
    except (Refused, _Refused, OSError) as exc:
        return failed(sys.stderr, str(exc))
    except _Usage as exc:
        return failed(sys.stderr, str(exc), 2)


class _Usage(Exception):
    """A command-line mistake (exit status 2)."""


class _Refused(Exception):
    """An unknown school or class named on the command line (exit status 1)."""


def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8-sig")


def _record_file(store: Store, parse: Callable, record_one: Callable, path: str,
                 now: datetime, what: str, **options: object) -> int:
    rows = parse(_read(path))
    count = results.record_all(store, record_one, rows, now, **options)
    print(f"recorded {count} {what}" + (" (not published)" if options.get("publish") is False
                                         else " and published"))
    return 0


def _council(store: Store, args: argparse.Namespace, now: datetime) -> int:
    if args.csv:
        return _record_file(store, csv_input.opinion_rows, results.record, args.csv, now,
                            "opinion(s)", publish=not args.draft)
    if not args.student or not args.avis:
        raise _Usage("give --student and --avis, or --csv")
    avis = [csv_input.parse_avis(a) for a in args.avis.split(",")]
    results.record(store, args.student, avis, csv_input.parse_voie(args.recommendation),
                   args.motivation, now, publish=not args.draft)
    print(f"recorded{'' if args.draft else ' and published'}: {args.student} ({len(avis)} avis)")
    return 0


def _proposals(store: Store, args: argparse.Namespace, now: datetime) -> int:
    if args.csv:
        return _record_file(store, csv_input.proposal_rows, results.record_proposals,
                            args.csv, now, "student(s)' proposals", publish=not args.draft)
    if not args.student or not args.voie:
        raise _Usage("give --student and --voie, or --csv")
    voies = [csv_input.required_voie(v) for v in args.voie.split(",")]
    details = [args.detail] + [""] * (len(voies) - 1)
    results.record_proposals(store, args.student, list(zip(voies, details, strict=True)), now,
                             publish=not args.draft)
    print(f"recorded{'' if args.draft else ' and published'}: {args.student} "
          f"({len(voies)} proposal(s))")
    return 0


def _decision(store: Store, args: argparse.Namespace, now: datetime) -> int:
    if args.csv:
        return _record_file(store, csv_input.decision_rows, results.record_decision,
                            args.csv, now, "decision(s)")
    if not args.student or not args.voie:
        raise _Usage("give --student and --voie, or --csv")
    results.record_decision(store, args.student, csv_input.required_voie(args.voie),
                            args.detail, now)
    print(f"recorded and published: the decision for {args.student}")
    return 0


def _school(store: Store, uai: str) -> None:
    if store.school(uai.upper()) is None:
        raise _Refused(f"no school with UAI '{uai}'")


def _publish(store: Store, args: argparse.Namespace, now: datetime) -> int:
    _school(store, args.school)
    if args.class_name not in followup.class_names(store, args.school.upper()):
        raise _Refused(f"no class '{args.class_name}' of {CONCERNED_LEVEL} in {args.school}")
    counts = results.publish_class(store, args.school.upper(), args.class_name, now)
    print(f"published in {args.class_name}: {counts['opinions']} opinion(s), "
          f"{counts['proposals']} student(s)' proposals")
    return 0


def _followup(store: Store, args: argparse.Namespace, now: datetime) -> int:
    _school(store, args.school)
    uai = args.school.upper()
    calendar = store.calendar(uai)
    rows = followup.statuses(store, uai, args.class_name, now=now)
    shown = rows if args.all else [r for r in rows if r.pending]
    current = None
    for row in shown:
        if row.class_name != current:
            current = row.class_name
            waiting = sum(1 for r in rows if r.class_name == current and r.pending)
            print(f"{current}: {waiting} famille(s) n'ont pas encore agi")
        todo = (f"{labels.PENDING[row.pending]} avant le {calendar.local_date(row.deadline)}"
                if row.pending and row.deadline else "rien à faire")
        print(f"  {row.student_id:<12} {row.nom} {row.prenom} — {todo} "
              f"[intentions {row.intentions}, avis {row.opinion}, accusé {row.acknowledged}, "
              f"choix {row.choix}, proposition {row.proposals}, réponse {row.answer}, "
              f"décision {row.decision}]")
    if not shown:
        print("every family has done what is due now" if rows else "no student of 3e")
    return 0


def _export(store: Store, args: argparse.Namespace, now: datetime) -> int:
    _school(store, args.school)
    text = followup.export_csv(store, args.school.upper(), args.class_name, now=now)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"exported {text.count(chr(10)) - 1} student(s) to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


_COMMANDS = {"council": _council, "proposals": _proposals, "decision": _decision,
             "publish": _publish, "followup": _followup, "export": _export}
