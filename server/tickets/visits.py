"""A route told once, the way the citizen lives it: one line per window visit, back-office work
as one line of progress. Kiosk result, slip, status page and staff console all show these."""

from dataclasses import dataclass, field
from typing import Literal

from server.models import StopStatus
from server.tickets.schemas import VisitPublic

Phase = Literal["done", "current", "upcoming", "missed"]

BACK_OFFICE_LABEL = ("書類の準備", "Preparing your documents")

_STOP_PHASE: dict[StopStatus, Phase] = {
    StopStatus.done: "done",
    StopStatus.skipped: "done",
    StopStatus.waiting: "current",
    StopStatus.called: "current",
    StopStatus.serving: "current",
    StopStatus.no_show: "missed",
    StopStatus.pending: "upcoming",
}


@dataclass(frozen=True)
class RouteStop:
    status: StopStatus
    citizen_present: bool
    # The window group that takes it ("1–5") and its windows; None and empty for back office.
    window: str | None
    windows: frozenset[str]
    # The window that called it, once one did.
    counter: str | None
    label: str
    label_en: str
    # In the ticket's language, and the language that text is really in (a fallback's otherwise).
    label_local: str = ""
    label_local_lang: str = ""
    # 「書類の準備」 in the ticket's language, for back-office work.
    back_office_local: tuple[str, str] = BACK_OFFICE_LABEL[0], "ja"


def _phase(phases: list[Phase]) -> Phase:
    if "missed" in phases:
        return "missed"
    if all(phase == "done" for phase in phases):
        return "done"
    if all(phase == "upcoming" for phase in phases):
        return "upcoming"
    return "current"


@dataclass
class _Visit:
    citizen_present: bool
    window: str | None
    windows: frozenset[str]
    counter: str | None = None
    labels: list[str] = field(default_factory=list)
    labels_en: list[str] = field(default_factory=list)
    labels_local: list[str] = field(default_factory=list)
    labels_local_lang: list[str] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    stops: list[int] = field(default_factory=list)

    def takes(self, stop: RouteStop) -> bool:
        """Consecutive stops are one visit: all back-office work; stops at the same window; a
        stop that every window of this visit also takes (the window goes on without a call)."""
        if not self.citizen_present or not stop.citizen_present:
            return self.citizen_present == stop.citizen_present
        if self.counter is not None and stop.counter is not None:
            return self.counter == stop.counter
        return bool(self.windows) and self.windows <= stop.windows

    def add(self, index: int, stop: RouteStop) -> None:
        self.counter = self.counter or stop.counter
        label, label_en = (stop.label, stop.label_en) if stop.citizen_present else BACK_OFFICE_LABEL
        if label not in self.labels:
            self.labels.append(label)
        if label_en not in self.labels_en:
            self.labels_en.append(label_en)
        local = (stop.label_local or label, stop.label_local_lang) if stop.citizen_present else stop.back_office_local
        if local[0] not in self.labels_local:
            self.labels_local.append(local[0])
            self.labels_local_lang.append(local[1])
        self.phases.append(_STOP_PHASE[stop.status])
        self.stops.append(index)

    def public(self) -> VisitPublic:
        return VisitPublic(
            kind="counter" if self.citizen_present else "back_office",
            counters=(self.counter or self.window) if self.citizen_present else None,
            labels=self.labels,
            labels_en=self.labels_en,
            labels_local=self.labels_local,
            labels_local_lang=self.labels_local_lang,
            status=_phase(self.phases),
            stops=self.stops,
        )


def route_visits(stops: list[RouteStop]) -> list[VisitPublic]:
    visits: list[_Visit] = []
    for index, stop in enumerate(stops):
        if not visits or not visits[-1].takes(stop):
            visits.append(_Visit(stop.citizen_present, stop.window, stop.windows))
        visits[-1].add(index, stop)
    return [visit.public() for visit in visits]
