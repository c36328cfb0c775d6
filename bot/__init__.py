"""The outside world of the orientation bot: channels, CLI, configuration, demo data and wiring."""
