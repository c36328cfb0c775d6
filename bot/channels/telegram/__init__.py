"""The Telegram channel: one core (updates in, Bot API calls out) and two transports.

`channel.TelegramChannel` turns a Bot API update (a dict, as Telegram sends it) into the engine's
`Inbound` and renders each `Reply` into Bot API calls (`render.py`), the same for both transports:
`via_ptb.py` (python-telegram-bot, polling or webhook) and `via_httpx.py` (plain httpx, no
framework). Each transport only moves updates in and calls out.
"""
