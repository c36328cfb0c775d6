"""The dialogues: states and transitions declared as data on `transitions` machines built once."""
