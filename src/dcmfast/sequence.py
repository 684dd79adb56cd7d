"""Sequence: the value of an SQ element, a list of Datasets."""
from __future__ import annotations

from typing import Any, Iterable

__all__ = ["Sequence"]


class Sequence(list):
    """A list of :class:`~dcmfast.dataset.Dataset` items (PS3.5 §7.5).

    ``is_undefined_length`` records how the sequence was encoded, so writing
    can keep it.
    """

    __slots__ = ("is_undefined_length",)

    def __init__(self, iterable: Iterable[Any] | None = None) -> None:
        from dcmfast.dataset import Dataset

        items = list(iterable) if iterable is not None else []
        for item in items:
            if not isinstance(item, Dataset):
                raise TypeError("Sequence items must be 'Dataset' instances")
        super().__init__(items)
        self.is_undefined_length = False

    @classmethod
    def _from_items(cls, items: list, undefined: bool) -> "Sequence":
        seq = cls.__new__(cls)
        list.extend(seq, items)
        seq.is_undefined_length = undefined
        return seq

    def _check(self, item: Any) -> Any:
        from dcmfast.dataset import Dataset

        if not isinstance(item, Dataset):
            raise TypeError("Sequence items must be 'Dataset' instances")
        return item

    def append(self, item: Any) -> None:
        super().append(self._check(item))

    def insert(self, index: int, item: Any) -> None:  # type: ignore[override]
        super().insert(index, self._check(item))

    def extend(self, items: Iterable[Any]) -> None:
        super().extend(self._check(i) for i in items)

    def __setitem__(self, index, item) -> None:  # type: ignore[override]
        if isinstance(index, slice):
            super().__setitem__(index, [self._check(i) for i in item])
        else:
            super().__setitem__(index, self._check(item))

    def __iadd__(self, items: Iterable[Any]):  # type: ignore[override]
        self.extend(items)
        return self

    def __str__(self) -> str:
        return f"[{''.join(str(x) for x in self)}]"

    def __repr__(self) -> str:
        return f"<Sequence, length {len(self)}>"

    def __deepcopy__(self, memo):
        import copy

        new = Sequence._from_items([copy.deepcopy(x, memo) for x in self], self.is_undefined_length)
        return new
