"""The use cases of schools and operators, as functions of the ports: the CLI and the console call
the same ones. No I/O here: the callers decode their inputs and pass a `flows.ports.Store`."""
