"""Admin API for webhook receivers and their dead letters (DESIGN.md, "Hand-off to other systems")."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from server.deps import ClockDep, CurrentAdmin, RowId, SessionDep, WriteSessionDep
from server.webhooks import service
from server.webhooks.schemas import (
    DeadLetter,
    KeyCreate,
    KeyCreated,
    ReceiverCreate,
    ReceiverCreated,
    ReceiverUpdate,
    ReceiverView,
    Resent,
)

router = APIRouter(prefix="/admin/branches/{branch}/webhooks", tags=["admin", "webhooks"])

DeliveryId = Annotated[str, Path(min_length=1, max_length=40)]
KeyIdPath = Annotated[str, Path(min_length=1, max_length=80)]


@router.get("")
def list_receivers(branch: str, session: SessionDep, admin: CurrentAdmin) -> list[ReceiverView]:
    """Receivers of this branch (and the one from the settings), with their keys and queue counts."""
    return service.list_receivers(session, branch_id=branch, staff=admin)


@router.post("", status_code=status.HTTP_201_CREATED)
def add_receiver(
    branch: str, body: ReceiverCreate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> ReceiverCreated:
    """Add a receiver; it gets the branch's visit events from now on. The key's secret is shown once."""
    return service.add_receiver(session, branch_id=branch, body=body, staff=admin, now=clock())


@router.get("/dead-letters")
def dead_letters(branch: str, session: SessionDep, admin: CurrentAdmin) -> list[DeadLetter]:
    """Deliveries given up after the configured attempts (newest first, at most 200)."""
    return service.dead_letters(session, branch_id=branch, staff=admin)


@router.post("/dead-letters/{delivery_id}/retry")
def resend(
    branch: str, delivery_id: DeliveryId, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> Resent:
    """Send a dead letter again, with the same delivery id."""
    return service.resend(session, branch_id=branch, delivery_id=delivery_id, staff=admin, now=clock())


@router.patch("/{receiver_id}")
def update_receiver(
    branch: str,
    receiver_id: RowId,
    body: ReceiverUpdate,
    session: WriteSessionDep,
    admin: CurrentAdmin,
    clock: ClockDep,
) -> ReceiverView:
    """Rename, move, disable or enable a receiver, or switch the key that signs (signing_key_id)."""
    return service.update_receiver(
        session, branch_id=branch, receiver_id=receiver_id, body=body, staff=admin, now=clock()
    )


@router.post("/{receiver_id}/keys", status_code=status.HTTP_201_CREATED)
def add_key(
    branch: str, receiver_id: RowId, body: KeyCreate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> KeyCreated:
    """A second key beside the signing one (rotation): give it to the receiver, then switch to it."""
    return service.add_key(session, branch_id=branch, receiver_id=receiver_id, body=body, staff=admin, now=clock())


@router.delete("/{receiver_id}/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_key(
    branch: str, receiver_id: RowId, key_id: KeyIdPath, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> None:
    """Remove a key that no longer signs."""
    service.remove_key(session, branch_id=branch, receiver_id=receiver_id, key_id=key_id, staff=admin, now=clock())
