"""The school's web console: councils' results, follow-up and campaign settings in a browser.

Served under `/console/` by the bot's HTTP server (`python -m bot run`); staff accounts are made
with `python -m bot staff add`. See `app.py` (the application), `auth.py` (accounts, log-in,
sessions, cookies), `csrf.py`, `views.py` (the pages) and `cli.py` (the `staff` command).
"""

from .app import create_console

__all__ = ["create_console"]
