"""The command line: `python -m bot [--db PATH] [--today YYYY-MM-DD] COMMAND`.

Commands:
  run       start the bot: Telegram when a token is configured, else the terminal chat
  chat      talk to the bot in this terminal (works with piped input)
  council   record the class council's provisional opinion for students
  proposals record the council's proposals (step 3); decision: the head's decision
  publish   publish a class's recorded results (notifies the families)
  followup  who has not acted, per class; export: requests, answers, decisions as CSV
  outbox    list what was queued (SMS, e-mails, chat messages): sent, pending, or set aside
            with the reason
  remind    queue the reminders due now (--dry-run: only list them), for cron
  demo      load the demo data into the database (done automatically on first use)
  import-base  load the school base from CSV files (schools, students, guardians)
  calendar  show or set a school's campaign calendar (show, set, import)
  staff     the school console's staff accounts (add, list, unlock); the console is served at
            /console/ by `run`
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from flows.rules.calendar import home_day

from .runtime import run
from .runtime.bootstrap import build
from .runtime.config import ConfigError, load
from .school.cli import results as results_cli
from .school.cli import setup as setup_cli
from .school.cli import staff as staff_cli


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLite database file (default data/orientation.sqlite3, "
                                     "or ORIENTATION_DB)")
    parser.add_argument("--today", help="move the bot's clock to this date, YYYY-MM-DD "
                                        "(or ORIENTATION_TODAY)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the bot")
    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument("--address", default="local",
                      help="which terminal conversation to use (default: local)")
    commands.add_parser("outbox", help="list the outbox")
    commands.add_parser("demo", help="load the demo data")
    remind = commands.add_parser("remind", help="queue the reminders due now (for cron)")
    remind.add_argument("--dry-run", action="store_true", help="only list them; queue nothing")
    setup_cli.add_parsers(commands)  # import-base, calendar
    results_cli.add_parsers(commands)  # council, proposals, decision, publish, followup, export
    staff_cli.add_parsers(commands)  # staff add, list, unlock (bot/school/cli/staff.py)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = build(load(args.db, args.today))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "run":
            return asyncio.run(run.run(app))
        if args.command == "chat":
            return asyncio.run(run.run_terminal(app, args.address))
        if args.command in results_cli.COMMANDS:
            return results_cli.command(app.store, args, app.clock())
        if args.command == "outbox":
            from .sending.printed import format_message

            for message in app.store.outbox():
                problem = f" ({message['last_error']})" if message["last_error"] else ""
                print(f"#{message['id']} {message['status']} tries={message['attempts']}{problem} "
                      f"{format_message(message)}")
            return 0
        if args.command == "remind":
            from .runtime.reminders import command

            return command(app.store, app.clock(), args.dry_run)
        if args.command in setup_cli.COMMANDS:
            return setup_cli.command(app.store, args, home_day(app.clock()))
        if args.command == "staff":
            return staff_cli.command(app, args)
        if args.command == "demo":
            print("demo data loaded")
            return 0
    except KeyboardInterrupt:
        return 130
    finally:
        app.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
