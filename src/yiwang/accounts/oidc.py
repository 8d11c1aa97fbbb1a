"""OpenID Connect claims for single sign-on by other government systems.

Scopes and what they release:

* ``profile`` — ``name``, ``subject_type`` and ``masked_id_number``;
* ``identity`` — the full ``id_number`` (audited);
* ``one_number`` — the person's 一号 (``one_number``, the resident ID number, and
  ``one_number_type``): masked like on every screen, in full only when ``identity`` was granted
  too (docs/decisions/0005). Every release of it is audited, masked or not.

A client gets a scope only when it asked for it and the person allowed it on the consent page:
the ``identity`` and ``one_number`` scopes always show that page, also for a client registered
with "skip authorization" and also when an earlier consent would let DOT skip it.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import AuthorizationView as _AuthorizationView

#: Scopes that hand over identity numbers: never granted without the person's consent on the page.
CONSENT_SCOPES = frozenset({"identity", "one_number"})


class YiwangOAuth2Validator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "name": "profile", "masked_id_number": "profile",
                        "id_number": "identity", "subject_type": "profile", "one_number": "one_number",
                        "one_number_type": "one_number"}

    def get_additional_claims(self, request):
        user = request.user
        claims = {
            "name": user.display_name,
            "subject_type": user.kind,
            "masked_id_number": user.masked_id_number,
        }
        if user.id_number:
            claims["id_number"] = user.id_number
            full = "identity" in (request.scopes or [])
            claims["one_number"] = user.id_number if full else user.masked_id_number
            claims["one_number_type"] = "resident_id"
        return claims

    # A deactivated account (suspended, deceased, merged) ends its single sign-on at once: DOT
    # itself does not look at ``is_active`` once a code, access token or refresh token exists.
    @staticmethod
    def _user_active(request) -> bool:
        user = getattr(request, "user", None)
        return user is not None and user.is_active

    def validate_bearer_token(self, token, scopes, request):
        return super().validate_bearer_token(token, scopes, request) and self._user_active(request)

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        return (super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
                and self._user_active(request))

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        return super().validate_code(client_id, code, client, request, *args, **kwargs) and self._user_active(request)

    def get_oidc_claims(self, token, token_handler, request):
        """The claims of both the id_token (token endpoint) and userinfo: every time the full ID
        number or the 一号 leaves for another system it is audited, one event per claim."""
        claims = super().get_oidc_claims(token, token_handler, request)
        released = []
        if "id_number" in claims:
            released.append({"field": "id_number"})
        if "one_number" in claims:
            released.append({"field": "one_number", "masked": claims["one_number"] != request.user.id_number})
        if released:
            from yiwang.core import audit

            user = request.user
            for data in released:
                audit.record("pii.shared_oidc", user, actor=user, role="citizen" if user.kind == "citizen" else "",
                             data={"client": getattr(request.client, "client_id", ""), **data,
                                   "via": "userinfo" if token_handler is None else "id_token"})
        return claims


class _ConsentRequired(Exception):
    """DOT was about to grant identity scopes without showing the consent page."""


class AuthorizationView(_AuthorizationView):
    """DOT's authorization endpoint, where "signed in" means what it means on every other page:
    a session with an actor. A staff member's password-only session (no verified second factor)
    is not a session, so it cannot be used to sign in to other systems either."""

    def dispatch(self, request, *args, **kwargs):
        actor = getattr(request, "actor", None)
        if actor is None or not actor.is_authenticated:
            staff = getattr(request.user, "kind", "") == "staff"
            return redirect_to_login(request.get_full_path(), "/accounts/login/staff/" if staff else settings.LOGIN_URL)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except _ConsentRequired:
            # The consent page DOT would have rendered had the client not been pre-approved.
            return self.render_to_response(self.get_context_data(**self.oauth2_data))

    def create_authorization_response(self, request, scopes, credentials, allow):
        # On GET, DOT grants without asking for "skip authorization" clients and for a repeat of
        # an earlier consent (approval_prompt=auto); identity numbers need the person's own "allow"
        # (the POST of the consent form).
        if request.method != "POST" and allow and CONSENT_SCOPES & set((scopes or "").split()):
            raise _ConsentRequired
        return super().create_authorization_response(request, scopes, credentials, allow)
