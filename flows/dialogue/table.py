"""A small vocabulary to declare dialogue transitions as data for `transitions`.

`on(trigger, source, dest)` is a plain transition. `branch(trigger, source, run, {outcome: dest})`
runs `run(ctx)` once, which returns an outcome, and the transition of that outcome is taken; a
destination of None stays in the state (an internal transition). Callbacks take the event's `Ctx`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .context import Ctx

Callback = Callable[[Ctx], object]


def _ctx(event) -> Ctx:
    return event.kwargs["ctx"]


def _wrap(fn: Callback):
    return lambda event: fn(_ctx(event))


def on(trigger: str, source: str | list[str], dest: str | None, *,
       when: Callback | None = None, do: Callback | None = None) -> dict:
    spec: dict = {"trigger": trigger, "source": source, "dest": dest}
    if when is not None:
        spec["conditions"] = [_wrap(when)]
    if do is not None:
        spec["after"] = [_wrap(do)]
    return spec


def branch(trigger: str, source: str | list[str], run: Callable[[Ctx], str],
           outcomes: dict[str, str | None]) -> list[dict]:
    def prepare(event) -> None:
        ctx = _ctx(event)
        ctx.outcome = run(ctx)
        if ctx.outcome not in outcomes:
            raise ValueError(f"{run.__name__} returned unknown outcome {ctx.outcome!r}")

    specs = []
    for index, (outcome, dest) in enumerate(outcomes.items()):
        spec: dict = {"trigger": trigger, "source": source, "dest": dest,
                      "conditions": [lambda event, o=outcome: _ctx(event).outcome == o]}
        if index == 0:
            spec["prepare"] = [prepare]
        specs.append(spec)
    return specs


def flatten(items: Iterable[dict | list[dict]]) -> list[dict]:
    out: list[dict] = []
    for item in items:
        out.extend(item if isinstance(item, list) else [item])
    return out
