"""The SMS channel: the same dialogues for families without a smartphone.

`webhook.SmsWebhook` serves `POST /sms/inbound` (Twilio's webhook format, signature checked,
`signature.py`); `channel.SmsChannel` turns each SMS into the engine's `Inbound` and its answers
into SMS (`render.py`: short texts, the GSM alphabet, numbered options, at most 2 segments each,
counted by `segments.py`), queued in the outbox or answered as TwiML; `push.SmsPush` sends the
chat messages meant for a conversation held by SMS (recaps, reminders, notifications). What SMS
sessions need beyond that (STOP, unknown numbers, answers by number or words, the kept binding)
is the engine's SMS policy, `flows/sessions.py`.
"""
