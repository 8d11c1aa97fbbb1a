from __future__ import annotations

from ninja import Router, Schema

from yiwang.core.apiauth import actor_auth

from . import selectors, services

router = Router(tags=["licences"], auth=actor_auth)


class LicenceOut(Schema):
    identifier: str
    status: str
    type: str
    type_code: str
    number: str
    holder: str
    holder_code: str
    issuer: str
    issuer_code: str
    issued_at: str
    valid_from: str
    valid_until: str | None
    revoked_at: str | None


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict


@router.get("", response={200: list[LicenceOut], 401: ErrorOut}, summary="我的证照")
def mine(request):
    return [selectors.public_view(lic) for lic in selectors.wallet(request.auth)]


class RevokeIn(Schema):
    reason: str


@router.post("/{identifier}/revoke", response={200: LicenceOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                               409: ErrorOut, 422: ErrorOut}, summary="注销证照（颁证部门）")
def revoke(request, identifier: str, payload: RevokeIn):
    return selectors.public_view(services.revoke(request.auth, identifier, payload.reason))
