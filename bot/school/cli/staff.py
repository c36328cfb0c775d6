"""`python -m bot staff …`: the school console's staff accounts.

    python -m bot staff add --school UAI --login NAME --role head|deputy|teacher
    python -m bot staff list --school UAI
    python -m bot staff unlock --school UAI --login NAME

`add` reads the password from the terminal (typed twice, not echoed) or, when stdin is not a
terminal, from the first line of stdin (`printf '%s\\n' "$PASSWORD" | python -m bot staff add …`);
never from the command line, where other users of the machine could read it. The password follows
the families' policy (12 characters or more, upper and lower case, digits, special characters).
Exit status: 0 done, 1 refused (one `error:` line says why).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime
from typing import TextIO

from flows.rules.errors import DomainError
from flows.school.staff import ROLE_CODES, add_staff, normalize_login, staff_of_school, unlock_staff
from flows.school.texts import operator_text

from .report import failed


class StaffInputError(ValueError):
    """A mistake at the terminal (passwords that differ); one line."""


def add_parsers(commands: argparse._SubParsersAction) -> None:
    staff = commands.add_parser("staff", help="the school console's staff accounts",
                                description="Staff accounts of the school console (/console/).")
    actions = staff.add_subparsers(dest="staff_command", required=True)
    add = actions.add_parser("add", help="create an account (the password is read from the "
                                         "terminal or stdin)")
    add.add_argument("--school", required=True, metavar="UAI")
    add.add_argument("--login", required=True, help="2-64 characters: a-z 0-9 . _ -")
    add.add_argument("--role", required=True, choices=list(ROLE_CODES),
                     help="head (chef d'établissement), deputy (adjoint), teacher (professeur "
                          "principal)")
    listing = actions.add_parser("list", help="list a school's accounts")
    listing.add_argument("--school", required=True, metavar="UAI")
    unlock = actions.add_parser("unlock", help="lift a lock-out after 5 failed log-ins")
    unlock.add_argument("--school", required=True, metavar="UAI")
    unlock.add_argument("--login", required=True)


def read_password(stdin: TextIO) -> str:
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise StaffInputError("the two passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


def command(app, args: argparse.Namespace, stdin: TextIO | None = None,
            out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run `staff add|list|unlock` on the bot's `App`; returns the exit status."""
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    now: datetime = app.clock()
    try:
        if args.staff_command == "add":
            add_staff(app.store, app.hasher, args.school, args.login, args.role,
                      read_password(stdin), now)
            print(f"staff account {normalize_login(args.login)} ({args.role}) created for "
                  f"{args.school.strip().upper()}; log in at /console/", file=out)
        elif args.staff_command == "list":
            uai = args.school.strip().upper()
            rows = staff_of_school(app.store, uai)
            for row in rows:
                locked = row["locked_until"]
                state = f"locked until {locked}" if locked and \
                    datetime.fromisoformat(locked) > now else "active"
                print(f"{row['login']}\t{row['role']}\t{state}\tcreated {row['created_at']}",
                      file=out)
            if not rows:
                print(f"no staff account in {uai}", file=out)
        else:
            unlock_staff(app.store, args.school, args.login, now)
            print(f"staff account {normalize_login(args.login)} unlocked", file=out)
    except DomainError as exc:
        return failed(err, operator_text(exc))
    except StaffInputError as exc:
        return failed(err, str(exc))
    except (EOFError, KeyboardInterrupt):
        return failed(err, "no password given")
    return 0
