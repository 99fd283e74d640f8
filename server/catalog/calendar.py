"""Which days a branch is closed (閉庁日): one rule for issuing tickets and for bookings.

Weekends, Japan's national holidays (国民の祝日・振替休日・国民の休日, from the maintained
`holidays` package), the year-end break 12/29〜1/3, and extra days the admin adds. Each can be
turned off in the configuration's `calendar` section (a branch open on Saturdays, say).
"""

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

import holidays

from server.catalog.schemas import CalendarSpec


class ClosedDay(NamedTuple):
    reason: str  # weekend, national_holiday, year_end, closed_day
    ja: str
    en: str

    def message(self, day: date) -> str:
        return (
            f"{day.month}月{day.day}日は{self.ja}のため閉庁日です。 "
            f"The city hall is closed on {day.isoformat()} ({self.en})."
        )


# Years with the national holidays law (1948) up to as far as anyone books; outside them, none.
HOLIDAY_YEARS = (1948, 2200)


@lru_cache(maxsize=16)
def _national_holidays(year: int) -> Mapping[date, str]:
    return dict(holidays.country_holidays("JP", years=year, language="ja"))


def calendar_of(settings: Mapping[str, Any]) -> CalendarSpec:
    """The branch's calendar from its settings (a branch loaded before calendars existed gets the defaults)."""
    return CalendarSpec.model_validate(settings.get("calendar") or {})


def closed_day(calendar: CalendarSpec, day: date) -> ClosedDay | None:
    """Why the branch is closed on `day`, or None when it is open."""
    if day in calendar.closed_days:
        return ClosedDay("closed_day", "臨時の閉庁日", "closed day")
    if calendar.year_end and ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)):
        return ClosedDay("year_end", "年末年始", "year-end holidays, 29 December to 3 January")
    if calendar.national_holidays and HOLIDAY_YEARS[0] <= day.year <= HOLIDAY_YEARS[1]:
        name = _national_holidays(day.year).get(day)
        if name is not None:
            return ClosedDay("national_holiday", f"祝日({name})", "national holiday")
    if calendar.weekends and day.weekday() >= 5:
        return ClosedDay("weekend", "土曜日" if day.weekday() == 5 else "日曜日", "weekend")
    return None
