"""The demo city hall's routes as a clerk at a one-stop counter would check them: for each life
event, what a typical household answers at the kiosk and the procedures it must then go through.

Answers not listed are "no". Procedures are the configuration's service ids; the sources for each
rule are cited beside it in config/demo_city_hall.yaml.
"""

from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.models import Role, Service, Staff, Stop
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from tests.support import BRANCH, FixedClock, make_staff

# (life event, who, answers that are yes, the procedures of the visit)
TYPICAL_HOUSEHOLDS = [
    (
        "move_in",
        "会社員の夫婦と小学生。マイナンバーカードあり、印鑑登録をする",
        {"has_mynumber_card", "wants_seal_registration", "has_children", "has_school_children"},
        {
            "moving_in",
            "seal_registration",
            "civil_review",
            "civil_entry",
            "mynumber_update",
            "child_allowance",
            "child_medical",
            "school_transfer",
            "pickup",
        },
    ),
    (
        "move_in",
        "海外勤務から戻った自営業の単身者",
        {"from_abroad", "national_health_insurance"},
        {"moving_in", "civil_review", "civil_entry", "nhi_enroll", "pension", "pickup"},
    ),
    (
        "move_in",
        "外国籍の会社員と保育所に入る子ども",
        {"is_foreign_resident", "has_mynumber_card", "has_children", "wants_nursery"},
        {
            "moving_in",
            "residence_card",
            "civil_review",
            "civil_entry",
            "mynumber_update",
            "child_allowance",
            "child_medical",
            "nursery",
            "pickup",
        },
    ),
    (
        "move_within",
        "70歳と76歳の夫婦(国保と後期高齢者医療)",
        {"has_mynumber_card", "national_health_insurance", "over_65", "over_75"},
        {
            "moving_within",
            "civil_review",
            "civil_entry",
            "mynumber_update",
            "nhi_change",
            "late_elderly",
            "ltc_insurance",
        },
    ),
    (
        "move_out",
        "海外赴任する会社員の家族(子どもは中学生)。国外転出に転出証明書はない",
        {"to_abroad", "has_children", "has_school_children"},
        {
            "moving_out",
            "civil_review",
            "civil_entry",
            "pension",
            "child_allowance",
            "child_medical",
            "school_transfer",
        },
    ),
    (
        "household_change",
        "国保の親から世帯を分ける",
        {"national_health_insurance"},
        {"household_change", "civil_review", "civil_entry", "nhi_change"},
    ),
    (
        "birth",
        "会社員の夫婦、保育所を申し込む",
        {"wants_nursery"},
        {
            "birth_reg",
            "civil_review",
            "civil_entry",
            "child_allowance",
            "child_medical",
            "maternal_health",
            "nursery",
            "pickup",
        },
    ),
    (
        "birth",
        "自営業の夫婦(国保、母は国民年金第1号)",
        {"national_health_insurance", "mother_pays_national_pension"},
        {
            "birth_reg",
            "civil_review",
            "civil_entry",
            "nhi_enroll",
            "birth_lump_sum",
            "pension_maternity",
            "child_allowance",
            "child_medical",
            "maternal_health",
            "pickup",
        },
    ),
    (
        "marriage",
        "市外から来て婚姻、氏が変わる。カードと印鑑登録あり、会社員",
        {"moves_from_other_city", "name_changes", "has_mynumber_card", "has_seal_registration"},
        {"marriage_reg", "moving_in", "seal_registration", "civil_review", "civil_entry", "mynumber_update", "pickup"},
    ),
    (
        "marriage",
        "児童扶養手当を受けているひとり親の婚姻",
        {"has_children", "receives_child_support_allowance"},
        {"marriage_reg", "civil_review", "civil_entry", "child_allowance", "single_parent"},
    ),
    (
        "divorce",
        "夫の扶養から外れる妻、子どもを引き取り氏が変わる",
        {"name_changes", "has_mynumber_card", "national_health_insurance", "has_children"},
        {
            "divorce_reg",
            "civil_review",
            "civil_entry",
            "mynumber_update",
            "nhi_enroll",
            "pension",
            "child_allowance",
            "single_parent",
            "child_medical",
        },
    ),
    (
        "death",
        "78歳の世帯主(後期高齢者医療、国民年金だけを受給、市内に家)。死亡届は葬儀社が提出済み",
        {"was_household_head", "over_65", "over_75", "national_pension_only", "owns_real_estate", "needs_certificates"},
        {
            "household_change",
            "civil_review",
            "civil_entry",
            "late_elderly",
            "ltc_insurance",
            "pension_death",
            "heir_representative",
            "certificate",
        },
    ),
    (
        "death",
        "45歳の自営業の世帯主(国保、子ども2人)。配偶者が今日死亡届を出す。証明書は後日",
        {
            "files_death_registration",
            "was_household_head",
            "deceased_national_health_insurance",
            "has_children",
            "deceased_paid_national_pension",
        },
        {
            "death_reg",
            "household_change",
            "civil_review",
            "civil_entry",
            "nhi_withdraw",
            "nhi_funeral",
            "child_allowance",
            "pension_survivor",
            "pickup",
        },
    ),
]


@pytest.fixture
def concierge(engine: Engine, clock: FixedClock) -> Staff:
    return make_staff(engine, "concierge", Role.contractor, clock())


def route_of(session: Session, issuer: Staff, now: datetime, life_event: str, yes: set[str]) -> set[str]:
    """The services of the ticket issued for these yes answers (an unanswered question is a no)."""
    request = TicketCreate.model_validate({"life_event": life_event, "answers": dict.fromkeys(yes, True)})
    ticket = issue_ticket(session, branch_id=BRANCH, request=request, issuer=issuer, now=now)
    keys = session.exec(
        select(Service.key).join(Stop, col(Stop.service_id) == Service.id).where(Stop.ticket_id == ticket.id)
    ).all()
    return set(keys)


@pytest.mark.parametrize(
    ("life_event", "household", "yes", "procedures"),
    TYPICAL_HOUSEHOLDS,
    ids=[f"{event}:{household}" for event, household, _, _ in TYPICAL_HOUSEHOLDS],
)
def test_a_typical_household_gets_exactly_its_procedures(
    session: Session,
    concierge: Staff,
    clock: FixedClock,
    life_event: str,
    household: str,
    yes: set[str],
    procedures: set[str],
) -> None:
    route = route_of(session, concierge, clock.advance(seconds=1), life_event, yes)
    assert route == procedures, f"{household}: missing {procedures - route}, not expected {route - procedures}"
