"""A test double of the Telegram Bot API server, checked against the facts extracted from the Bot API.

``facts.json`` is written by ``scripts/extract_botapi.py``; ``double.BotApiDouble`` is the fake server.
"""

from .double import BOT_ID, BOT_USERNAME, TOKEN, BotApiDouble, Call, Violation

__all__ = ["BOT_ID", "BOT_USERNAME", "TOKEN", "BotApiDouble", "Call", "Violation"]
