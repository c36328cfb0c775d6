"""Channels turn what a person does into `Inbound`, call the engine, and render `Reply`."""
