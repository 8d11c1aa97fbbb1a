"""OpenID Connect claims for single sign-on by other government systems."""

from oauth2_provider.oauth2_validators import OAuth2Validator

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

    def get_userinfo_claims(self, request):
        claims = super().get_userinfo_claims(request)
        from yiwang.core import audit

        if "identity" in (request.scopes or []):
            audit.record("pii.shared_oidc", request.user, actor=request.user, role="citizen",
                         data={"client": getattr(request.client, "client_id", ""), "field": "id_number"})
        return claims
