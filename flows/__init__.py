"""The rule core and the dialogues of the orientation bot: pure Python, no I/O, no channel, no SQL."""
