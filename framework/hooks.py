"""Hook points and the sorted hook map every request runs.

A request passes through named hook points (see :data:`HOOK_POINTS`); tools and
``hooks.<point>`` config attach callbacks to them. :class:`HookMap` keeps each
point's hooks as an immutable tuple sorted by priority, so sorting happens once at
attach time and copying a map for a request is a cheap dict copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from framework.errors import HTTPError, HTTPRedirect, InternalRedirect, log_exception

__all__ = ["HOOK_POINTS", "Hook", "HookMap"]

#: The hook points, in the order a request reaches them.
HOOK_POINTS: tuple[str, ...] = (
    "on_start_resource",
    "before_request_body",
    "before_handler",
    "before_finalize",
    "on_end_resource",
    "on_end_request",
    "before_error_response",
    "after_error_response",
)


class Hook:
    """A callback attached to a hook point.

    Args:
        callback: called with ``**kwargs`` when the point is reached.
        failsafe: if true, runs even when an earlier hook at the point failed.
        priority: lower runs first; defaults to ``callback.priority`` or 50.
        kwargs: keyword arguments passed to the callback on every call.
    """

    __slots__ = ("callback", "failsafe", "kwargs", "priority")

    def __init__(
        self,
        callback: Callable[..., Any],
        failsafe: bool | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.callback = callback
        if failsafe is None:
            failsafe = bool(getattr(callback, "failsafe", False))
        self.failsafe = failsafe
        if priority is None:
            priority = getattr(callback, "priority", 50)
        self.priority: int = priority
        self.kwargs = kwargs

    def __lt__(self, other: Hook) -> bool:
        return self.priority < other.priority

    def __call__(self) -> Any:
        return self.callback(**self.kwargs)

    def __repr__(self) -> str:
        name = getattr(self.callback, "__qualname__", repr(self.callback))
        return f"Hook({name}, failsafe={self.failsafe}, priority={self.priority})"


class HookMap(dict[str, tuple[Hook, ...]]):
    """Hooks by point; each point holds a tuple sorted by priority."""

    def __init__(self, points: Iterable[str] = HOOK_POINTS) -> None:
        super().__init__((point, ()) for point in points)

    def attach(
        self,
        point: str,
        callback: Callable[..., Any],
        failsafe: bool | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Attach ``callback`` to ``point`` (kept sorted by priority; stable).

        Raises:
            KeyError: if ``point`` is not a known hook point.
        """
        if point not in self:
            raise KeyError(f"{point!r} is not a hook point; choose one of {', '.join(self)}")
        hook = Hook(callback, failsafe, priority, **kwargs)
        # PERF: sort once here, never per request; sorted() is stable so equal
        # priorities keep attach order.
        self[point] = tuple(sorted((*self[point], hook), key=_priority))

    def copy(self) -> HookMap:
        """Return an independent map (tuples are immutable, so shallow is enough)."""
        new = HookMap(())
        dict.update(new, self)
        return new

    def run(self, point: str) -> None:
        """Run every hook at ``point``.

        After a hook fails, only failsafe hooks still run; the last failure is
        re-raised at the end (as CherryPy does). Unexpected exceptions are logged when they happen.
        """
        hooks = self[point]
        if not hooks:
            return
        exc: BaseException | None = None
        for hook in hooks:
            if exc is not None and not hook.failsafe:
                continue
            try:
                if hook.kwargs:
                    hook.callback(**hook.kwargs)
                else:
                    hook.callback()  # PERF: half the cost of unpacking an empty dict
            except (KeyboardInterrupt, SystemExit):
                raise
            except (HTTPError, HTTPRedirect, InternalRedirect) as err:
                exc = err
            except Exception as err:
                exc = err
                log_exception(f"Error in hook {hook!r} at {point}")
        if exc is not None:
            raise exc

    def __repr__(self) -> str:
        attached = {point: hooks for point, hooks in self.items() if hooks}
        return f"HookMap({attached!r})"


def _priority(hook: Hook) -> int:
    return hook.priority
