"""The command line: `python -m bot [--db PATH] [--today YYYY-MM-DD] COMMAND`.

Commands:
  run       start the bot: Telegram when a token is configured, else the terminal chat
  chat      talk to the bot in this terminal (works with piped input)
  council   record the class council's provisional opinion for students
  outbox    list what was queued (SMS, e-mails, chat messages): sent, pending, or set aside
            with the reason
  remind    queue the reminders due now (--dry-run: only list them), for cron
  demo      load the demo data into the database (done automatically on first use)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from . import service
from .bootstrap import App, build
from .config import ConfigError, load


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
    council = commands.add_parser("council", help="record a council's provisional opinion")
    council.add_argument("--student", help="student id, e.g. E-LUCAS")
    council.add_argument("--avis", help="avis per intention in rank order, comma separated: "
                                        "favorable, réservé, défavorable")
    council.add_argument("--recommendation", default="", help="gt, pro, cap, or empty")
    council.add_argument("--motivation", default="", help="the council's motivation")
    council.add_argument("--csv", help="a CSV file: student_id;avis_1;avis_2;avis_3;"
                                       "recommendation;motivation")
    commands.add_parser("outbox", help="list the outbox")
    commands.add_parser("demo", help="load the demo data")
    remind = commands.add_parser("remind", help="queue the reminders due now (for cron)")
    remind.add_argument("--dry-run", action="store_true", help="only list them; queue nothing")
    return parser


def _council(app: App, args: argparse.Namespace) -> int:
    from . import council

    try:
        if args.csv:
            with open(args.csv, encoding="utf-8") as handle:
                rows = council.rows_from_csv(handle.read())
        else:
            if not args.student or not args.avis:
                raise council.CouncilInputError("give --student and --avis, or --csv")
            rows = [(args.student, [council.parse_avis(a) for a in args.avis.split(",")],
                     council.parse_voie(args.recommendation), args.motivation)]
        for student_id, avis, recommendation, motivation in rows:
            council.record(app.store, student_id, avis, recommendation, motivation, app.clock())
            print(f"recorded and published: {student_id} ({len(avis)} avis)")
    except (council.CouncilInputError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


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
            return asyncio.run(service.run(app))
        if args.command == "chat":
            return asyncio.run(service.run_terminal(app, args.address))
        if args.command == "council":
            return _council(app, args)
        if args.command == "outbox":
            from .console_outbox import format_message

            for message in app.store.outbox():
                problem = f" ({message['last_error']})" if message["last_error"] else ""
                print(f"#{message['id']} {message['status']} tries={message['attempts']}{problem} "
                      f"{format_message(message)}")
            return 0
        if args.command == "remind":
            from .reminders import command

            return command(app.store, app.clock(), args.dry_run)
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
