"""Sending what the outbox holds: one sender, one transport per kind (sms, email, push)."""
