"""OpenID Connect claims for single sign-on by other government systems."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import AuthorizationView as _AuthorizationView

from yiwang.core.crypto import blind_index


class YiwangOAuth2Validator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "name": "profile", "masked_id_number": "profile",
                        "id_number": "identity", "subject_type": "profile"}

    def get_additional_claims(self, request):
        user = request.user
        claims = {
            "name": user.display_name,
            "subject_type": user.kind,
            "masked_id_number": user.masked_id_number,
        }
        if user.id_number:
            claims["id_number"] = user.id_number
            # A stable, pairwise-free identifier other systems can join on without the number.
            claims["one_number"] = blind_index(user.id_number, "oidc-one-number")
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
        number leaves for another system (the identity scope was granted) it is audited."""
        claims = super().get_oidc_claims(token, token_handler, request)
        if "id_number" in claims:
            from yiwang.core import audit

            user = request.user
            audit.record("pii.shared_oidc", user, actor=user, role="citizen" if user.kind == "citizen" else "",
                         data={"client": getattr(request.client, "client_id", ""), "field": "id_number",
                               "via": "userinfo" if token_handler is None else "id_token"})
        return claims


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
