from fastapi import APIRouter, status

from server.deps import ClockDep, SettingsDep, WriteSessionDep
from server.notices import service
from server.notices.schemas import NoticeRegistered, NoticeRequest

router = APIRouter(tags=["notices"])


@router.post("/tickets/{status_token}/email-notice", status_code=status.HTTP_201_CREATED)
def register_email_notice(
    status_token: str, body: NoticeRequest, session: WriteSessionDep, settings: SettingsDep, clock: ClockDep
) -> NoticeRegistered:
    """An e-mail when the turn is near and when called (the number and the window only); the
    status token is the capability. The address is erased when the visit ends."""
    return service.register_email(
        session, status_token=status_token, email=body.email, notify_ahead=settings.notify_ahead, now=clock()
    )


@router.delete("/tickets/{status_token}/email-notice", status_code=status.HTTP_204_NO_CONTENT)
def cancel_email_notice(status_token: str, session: WriteSessionDep) -> None:
    """No more e-mail for this ticket; the address is erased at once."""
    service.cancel_email(session, status_token=status_token)
