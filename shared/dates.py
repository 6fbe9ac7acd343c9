"""Dates as people in Chile write them."""

from __future__ import annotations

import re
from datetime import date

_DATE_FORMATS = (
    re.compile(r"^(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})$"),
    re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
)


def parse_date(value: str) -> date:
    """`dd-mm-aaaa`, `dd/mm/aaaa` or `aaaa-mm-dd`; ValueError otherwise (31-02 included)."""
    for pattern in _DATE_FORMATS:
        match = pattern.match(value.strip())
        if match:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
    raise ValueError(value)
