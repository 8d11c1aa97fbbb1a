from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status

from yiwang.core.apiauth import actor_auth

from . import services
from .models import Channel, Notification

router = Router(tags=["notifications"], auth=actor_auth)


class MessageOut(Schema):
    id: int
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


@router.get("", response=list[MessageOut], summary="我的站内消息")
def my_messages(request, unread: bool = False):
    qs = Notification.objects.filter(recipient=request.auth.user, channel=Channel.SITE)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return list(qs[:100])


@router.post("/{notification_id}/read", response={204: None}, summary="标记已读")
def read(request, notification_id: int):
    services.mark_read(request.auth.user, notification_id)
    return Status(204, None)
