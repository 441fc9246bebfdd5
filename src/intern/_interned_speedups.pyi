# The C hit path of @intern.interned (see intern/_interned.py, which calls it).
import inspect
from collections.abc import Callable
from itertools import count
from typing import Any, final

@final
class Constructor:
    __signature__: inspect.Signature
    def __new__(
        cls,
        owner: type,
        init: Callable[..., None] | None,
        fields: tuple[str, ...] | None,
        plain: dict[Any, Any],
        find_or_add: Callable[[object], object],
        other: Callable[..., object],
        hits: count[int],
    ) -> Constructor: ...
    def __call__(self, cls: type, /, *args: Any, **kwargs: Any) -> Any: ...
