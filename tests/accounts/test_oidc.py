"""The OpenID Connect provider: discovery, the authorization-code flow with PKCE (S256 only),
RS256 id_tokens verified against the published JWKS, claims by scope, and the audit of every
hand-over of the full ID number to another system."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from .conftest import PASSWORD

REDIRECT = "https://rp.example.gov.cn/callback"
SECRET = "rp-client-secret-" + "s" * 32


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@pytest.fixture
def rp(db):
    """A relying party registered by the platform admin: a confidential client using RS256."""
    from oauth2_provider.models import get_application_model

    Application = get_application_model()
    app = Application(
        name="江东市不动产登记系统",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris=REDIRECT,
        skip_authorization=False,
        client_secret=SECRET,  # plaintext kept here: it is stored hashed
    )
    app.save()
    app.refresh_from_db()
    assert app.client_secret != SECRET, "client secrets are stored hashed"
    return app


@pytest.fixture
def citizen_browser(make_citizen):
    user = make_citizen(name="王芳")
    browser = Client()
    r = browser.post("/accounts/login/", {"id_number": user.id_number, "method": "password", "password": PASSWORD})
    assert r.status_code == 302
    return user, browser


def authorize_params(rp, challenge, scope="openid profile identity", **extra) -> dict:
    params = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "st-" + secrets.token_hex(8),
        "nonce": "n-" + secrets.token_hex(8),
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def consent(browser, params) -> dict:
    """GET the consent page, then allow; returns the parameters of the redirect to the client."""
    r = browser.get("/o/authorize/", params)
    assert r.status_code == 200, (r.status_code, r.get("Location"), r.content[:500])
    assert "authorizationForm" in r.content.decode()
    r = browser.post("/o/authorize/", {**params, "allow": "Allow"})
    assert r.status_code == 302, r.content[:500]
    location = urlsplit(r["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def exchange(code, verifier, rp, secret=SECRET):
    basic = base64.b64encode(f"{rp.client_id}:{secret}".encode()).decode()
    return Client().post("/o/token/", {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                       "code_verifier": verifier},
                         headers={"Authorization": f"Basic {basic}"})


def discovery(client=None):
    r = (client or Client()).get("/.well-known/openid-configuration")
    assert r.status_code == 200
    return r.json()


def local(url: str) -> str:
    parts = urlsplit(url)
    assert parts.netloc == "testserver", url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def verify_id_token(id_token: str):
    from jwcrypto import jwk, jwt

    meta = discovery()
    keys = jwk.JWKSet.from_json(Client().get(local(meta["jwks_uri"])).content.decode())
    token = jwt.JWT(jwt=id_token, key=keys, algs=["RS256"], expected_type="JWS")
    header = json.loads(token.header)
    assert header["alg"] == "RS256" and header["kid"]
    return json.loads(token.claims), meta


def test_discovery_document(db):
    meta = discovery()
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        assert meta[key].startswith("http://testserver/"), (key, meta[key])
    assert "code" in meta["response_types_supported"]
    assert "S256" in meta["code_challenge_methods_supported"]
    assert "plain" not in meta["code_challenge_methods_supported"]
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    assert not {"token", "id_token", "id_token token"} & set(meta["response_types_supported"]), "no implicit grant"
    # the issuer's own discovery document (OIDC Discovery §4) answers with the same issuer
    assert Client().get(local(meta["issuer"] + "/.well-known/openid-configuration")).json()["issuer"] == meta["issuer"]
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        assert Client().get(local(meta[key])).status_code != 404, key


def test_authorization_code_flow_with_pkce(rp, citizen_browser):
    from yiwang.core.models import AuditEvent

    user, browser = citizen_browser
    verifier, challenge = pkce_pair()
    params = authorize_params(rp, challenge)
    answer = consent(browser, params)
    assert answer["state"] == params["state"] and answer["code"]
    assert answer.get("iss") == discovery()["issuer"], "RFC 9207 iss in the authorization response"

    r = exchange(answer["code"], verifier, rp)
    assert r.status_code == 200, r.content
    tokens = r.json()
    assert tokens["token_type"].lower() == "bearer" and "id_token" in tokens

    claims, meta = verify_id_token(tokens["id_token"])
    assert claims["iss"] == meta["issuer"]
    assert claims["sub"] == str(user.pk)
    assert claims["aud"] == rp.client_id or rp.client_id in claims["aud"]
    assert claims["nonce"] == params["nonce"]
    assert claims["name"] == "王芳"
    assert claims["masked_id_number"] == user.masked_id_number

    # the code is single use
    assert exchange(answer["code"], verifier, rp).status_code == 400

    r = Client().get(local(meta["userinfo_endpoint"]), headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code == 200, r.content
    info = r.json()
    assert info["sub"] == str(user.pk) and info["masked_id_number"] == user.masked_id_number
    assert info["id_number"] == user.id_number, "granted with the identity scope"
    shared = AuditEvent.objects.filter(action="pii.shared_oidc", actor_id=user.pk)
    assert shared.exists()
    assert all(e.data["client"] == rp.client_id for e in shared)
    assert shared.filter(object_id=str(user.pk)).exists()


def test_every_hand_over_of_the_id_number_is_audited(rp, citizen_browser):
    """The full number leaves in the id_token (token endpoint) and in userinfo: each is audited."""
    from yiwang.core.models import AuditEvent

    user, browser = citizen_browser
    verifier, challenge = pkce_pair()
    answer = consent(browser, authorize_params(rp, challenge))
    tokens = exchange(answer["code"], verifier, rp).json()
    claims, _meta = verify_id_token(tokens["id_token"])
    if "id_number" in claims:
        assert AuditEvent.objects.filter(action="pii.shared_oidc", actor_id=user.pk).count() == 1, \
            "the id_token carried the full number: that hand-over must be audited"


def test_without_the_identity_scope_no_id_number(rp, citizen_browser):
    from yiwang.core.models import AuditEvent

    user, browser = citizen_browser
    verifier, challenge = pkce_pair()
    answer = consent(browser, authorize_params(rp, challenge, scope="openid profile"))
    tokens = exchange(answer["code"], verifier, rp).json()
    claims, meta = verify_id_token(tokens["id_token"])
    assert "id_number" not in claims and user.id_number not in json.dumps(claims)
    info = Client().get(local(meta["userinfo_endpoint"]),
                        headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert "id_number" not in info and user.id_number not in json.dumps(info)
    assert info["masked_id_number"] == user.masked_id_number
    assert not AuditEvent.objects.filter(action="pii.shared_oidc").exists()


def test_openid_scope_alone_gives_no_personal_data(rp, citizen_browser):
    user, browser = citizen_browser
    verifier, challenge = pkce_pair()
    answer = consent(browser, authorize_params(rp, challenge, scope="openid"))
    tokens = exchange(answer["code"], verifier, rp).json()
    claims, _meta = verify_id_token(tokens["id_token"])
    assert claims["sub"] == str(user.pk)
    assert not {"name", "masked_id_number", "id_number"} & set(claims)


def _refused(r) -> bool:
    """An authorization request refused: an error page, or a redirect back with ``error=`` and no code."""
    if r.status_code == 302:
        query = parse_qs(urlsplit(r["Location"]).query)
        return "error" in query and "code" not in query
    return 400 <= r.status_code < 500 or (r.status_code == 200 and "authorizationForm" not in r.content.decode())


def test_plain_pkce_is_refused(rp, citizen_browser):
    """DOT shows the consent page, then refuses the request when it is allowed: no code is ever
    issued for a "plain" challenge (RFC 9700: S256 only)."""
    from oauth2_provider.models import Grant

    _user, browser = citizen_browser
    verifier = secrets.token_urlsafe(48)
    params = authorize_params(rp, verifier, code_challenge_method="plain")
    assert browser.get("/o/authorize/", params).status_code < 500
    r = browser.post("/o/authorize/", {**params, "allow": "Allow"})
    assert _refused(r)
    assert parse_qs(urlsplit(r["Location"]).query)["error"] == ["invalid_request"]
    assert not Grant.objects.exists()


def test_missing_pkce_is_refused(rp, citizen_browser):
    _user, browser = citizen_browser
    params = authorize_params(rp, None, code_challenge_method=None)
    assert _refused(browser.get("/o/authorize/", params))
    assert _refused(browser.post("/o/authorize/", {**params, "allow": "Allow"}))


def test_wrong_code_verifier_and_wrong_secret_are_refused(rp, citizen_browser):
    _user, browser = citizen_browser
    verifier, challenge = pkce_pair()
    answer = consent(browser, authorize_params(rp, challenge))
    assert exchange(answer["code"], "x" * 50, rp).status_code == 400
    answer = consent(browser, authorize_params(rp, challenge))
    assert exchange(answer["code"], verifier, rp, secret="wrong").status_code == 401
    r = Client().post("/o/token/", {"grant_type": "authorization_code", "code": answer["code"],
                                    "redirect_uri": REDIRECT, "code_verifier": verifier})
    assert r.status_code == 401, "a confidential client must authenticate"


def test_unregistered_redirect_uri_is_refused(rp, citizen_browser):
    _user, browser = citizen_browser
    _verifier, challenge = pkce_pair()
    params = authorize_params(rp, challenge, redirect_uri="https://evil.example.com/callback")
    r = browser.get("/o/authorize/", params)
    assert r.status_code != 302 or not r["Location"].startswith("https://evil.example.com"), r["Location"]
    assert _refused(r)


def test_denying_consent_gives_no_code(rp, citizen_browser):
    _user, browser = citizen_browser
    _verifier, challenge = pkce_pair()
    params = authorize_params(rp, challenge)
    browser.get("/o/authorize/", params)
    r = browser.post("/o/authorize/", params)  # "Cancel": no allow
    assert r.status_code == 302
    query = parse_qs(urlsplit(r["Location"]).query)
    assert query.get("error") == ["access_denied"] and "code" not in query


def test_anonymous_authorize_goes_to_the_login_page(rp):
    _verifier, challenge = pkce_pair()
    params = authorize_params(rp, challenge)
    r = Client().get("/o/authorize/", params)
    assert r.status_code == 302
    location = urlsplit(r["Location"])
    assert location.path == "/accounts/login/"
    nxt = parse_qs(location.query)["next"][0]
    assert nxt.startswith("/o/authorize/?")
    assert parse_qs(urlsplit(nxt).query)["client_id"] == [rp.client_id]


def test_login_then_continue_to_the_consent_page(rp, make_citizen):
    """The login form honours ``next`` back to the authorization request."""
    user = make_citizen()
    _verifier, challenge = pkce_pair()
    params = authorize_params(rp, challenge)
    browser = Client()
    nxt = "/o/authorize/?" + urlencode(params)
    r = browser.post("/accounts/login/", {"id_number": user.id_number, "method": "password", "password": PASSWORD,
                                          "next": nxt})
    assert r.status_code == 302 and r["Location"] == nxt
    assert "authorizationForm" in browser.get(nxt).content.decode()


def test_staff_session_without_otp_cannot_authorize(rp, org, make_staff):
    """A password-only staff session is not a session: no single sign-on from it."""
    staff = make_staff("reviewer", org["dept"])
    browser = Client()
    browser.force_login(staff)
    _verifier, challenge = pkce_pair()
    r = browser.get("/o/authorize/", authorize_params(rp, challenge))
    assert r.status_code == 302 and urlsplit(r["Location"]).path.startswith("/accounts/login/"), r.get("Location")


def test_citizens_cannot_register_oauth_clients(citizen_browser):
    """Relying parties are registered by the platform admin, not by any signed-in person (a
    self-registered client could phish citizens for the identity scope)."""
    from oauth2_provider.models import get_application_model

    _user, browser = citizen_browser
    for path in ("/o/applications/", "/o/applications/register/"):
        r = browser.get(path)
        assert r.status_code in (403, 404), (path, r.status_code)
    r = browser.post("/o/applications/register/", {
        "name": "钓鱼", "client_id": "phish", "client_secret": "x" * 40, "client_type": "public",
        "authorization_grant_type": "authorization-code", "redirect_uris": "https://evil.example.com/cb",
        "algorithm": "RS256"})
    assert r.status_code in (403, 404)
    assert not get_application_model().objects.filter(name="钓鱼").exists()


def test_password_grant_is_refused(rp, make_citizen):
    user = make_citizen()
    basic = base64.b64encode(f"{rp.client_id}:{SECRET}".encode()).decode()
    r = Client().post("/o/token/", {"grant_type": "password", "username": user.username, "password": PASSWORD},
                      headers={"Authorization": f"Basic {basic}"})
    assert r.status_code in (400, 401) and "access_token" not in r.content.decode()


def test_userinfo_without_a_token_is_401(db):
    assert Client().get("/o/userinfo/").status_code == 401
    assert Client().get("/o/userinfo/", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_deactivated_account_loses_single_sign_on(rp, citizen_browser):
    """Once an account is deactivated (e.g. suspended for fraud), relying parties can no longer
    read it through userinfo, refresh its tokens, or redeem a code issued before."""
    from yiwang.accounts.models import User

    user, browser = citizen_browser
    verifier, challenge = pkce_pair()
    tokens = exchange(consent(browser, authorize_params(rp, challenge))["code"], verifier, rp).json()
    verifier2, challenge2 = pkce_pair()
    pending_code = consent(browser, authorize_params(rp, challenge2))["code"]
    assert tokens.get("refresh_token")
    User.objects.filter(pk=user.pk).update(is_active=False)

    r = Client().get("/o/userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code in (401, 403), r.status_code
    basic = base64.b64encode(f"{rp.client_id}:{SECRET}".encode()).decode()
    r = Client().post("/o/token/", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                      headers={"Authorization": f"Basic {basic}"})
    assert r.status_code in (400, 401) and "access_token" not in r.content.decode(), r.content
    r = exchange(pending_code, verifier2, rp)
    assert r.status_code in (400, 401) and "id_token" not in r.content.decode(), r.content


def test_refresh_keeps_working_for_an_active_account(rp, citizen_browser):
    _user, browser = citizen_browser
    verifier, challenge = pkce_pair()
    tokens = exchange(consent(browser, authorize_params(rp, challenge))["code"], verifier, rp).json()
    basic = base64.b64encode(f"{rp.client_id}:{SECRET}".encode()).decode()
    r = Client().post("/o/token/", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                      headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200 and r.json()["access_token"] != tokens["access_token"]


# ---------------------------------------------------------------------------------------------
# The 一号 (one_number) claim: its own scope, masked unless the identity scope is granted too,
# every release audited, never granted without the person's consent
# ---------------------------------------------------------------------------------------------
def tokens_for(rp, browser, scope):
    verifier, challenge = pkce_pair()
    answer = consent(browser, authorize_params(rp, challenge, scope=scope))
    r = exchange(answer["code"], verifier, rp)
    assert r.status_code == 200, r.content
    return r.json()


def userinfo(tokens) -> dict:
    r = Client().get("/o/userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code == 200, r.content
    return r.json()


def test_discovery_offers_the_one_number_scope(db):
    assert "one_number" in discovery()["scopes_supported"]


def test_one_number_scope_releases_the_masked_number_and_audits_it(rp, citizen_browser):
    from yiwang.core.models import AuditEvent

    user, browser = citizen_browser
    tokens = tokens_for(rp, browser, "openid one_number")
    claims, _meta = verify_id_token(tokens["id_token"])
    assert claims["one_number"] == user.masked_id_number and claims["one_number_type"] == "resident_id"
    assert user.id_number not in json.dumps(claims)
    assert not {"name", "masked_id_number", "id_number"} & set(claims), "only what the scopes name"
    info = userinfo(tokens)
    assert info["one_number"] == user.masked_id_number and user.id_number not in json.dumps(info)
    events = AuditEvent.objects.filter(action="pii.shared_oidc", actor_id=user.pk).order_by("seq")
    assert [(e.data["field"], e.data["masked"], e.data["via"], e.data["client"]) for e in events] == [
        ("one_number", True, "id_token", rp.client_id), ("one_number", True, "userinfo", rp.client_id)]


def test_one_number_in_full_with_the_identity_scope(rp, citizen_browser):
    from yiwang.core.models import AuditEvent

    user, browser = citizen_browser
    tokens = tokens_for(rp, browser, "openid identity one_number")
    claims, _meta = verify_id_token(tokens["id_token"])
    assert claims["one_number"] == user.id_number == claims["id_number"]
    assert userinfo(tokens)["one_number"] == user.id_number
    shared = AuditEvent.objects.filter(action="pii.shared_oidc", actor_id=user.pk, data__field="one_number")
    assert shared.count() == 2 and all(e.data["masked"] is False for e in shared)


def test_without_the_one_number_scope_no_one_number(rp, citizen_browser):
    from yiwang.core.models import AuditEvent

    _user, browser = citizen_browser
    tokens = tokens_for(rp, browser, "openid profile identity")
    claims, _meta = verify_id_token(tokens["id_token"])
    assert "one_number" not in claims and "one_number" not in userinfo(tokens)
    assert not AuditEvent.objects.filter(action="pii.shared_oidc", data__field="one_number").exists()


def test_a_staff_account_has_no_one_number(rp, org, make_staff):
    staff = make_staff("reviewer", org["dept"])
    browser = Client()
    assert browser.post("/accounts/login/staff/", {"username": staff.username, "password": PASSWORD,
                                                   "otp": staff.totp()}).status_code == 302
    claims, _meta = verify_id_token(tokens_for(rp, browser, "openid one_number")["id_token"])
    assert "one_number" not in claims and claims["sub"] == str(staff.pk)


def test_a_preapproved_client_still_asks_before_identity_numbers_leave(rp, citizen_browser):
    """"Skip authorization" (a client the admin trusts) spares the consent page for the profile,
    never for the identity or one_number scopes: the person allows those themself."""
    from oauth2_provider.models import Grant

    rp.skip_authorization = True
    rp.save()
    _user, browser = citizen_browser
    _verifier, challenge = pkce_pair()
    r = browser.get("/o/authorize/", authorize_params(rp, challenge, scope="openid profile"))
    assert r.status_code == 302 and "code" in parse_qs(urlsplit(r["Location"]).query)
    Grant.objects.all().delete()
    for scope in ("openid one_number", "openid profile identity"):
        r = browser.get("/o/authorize/", authorize_params(rp, challenge, scope=scope))
        assert r.status_code == 200 and "authorizationForm" in r.content.decode(), (scope, r.status_code)
        assert not Grant.objects.exists()
    # and an earlier consent does not stand in for this one either (approval_prompt=auto)
    rp.skip_authorization = False
    rp.save()
    tokens_for(rp, browser, "openid one_number")
    r = browser.get("/o/authorize/", authorize_params(rp, challenge, scope="openid one_number",
                                                      approval_prompt="auto"))
    assert r.status_code == 200 and "authorizationForm" in r.content.decode()


def test_a_request_without_a_scope_gets_openid_only(rp, citizen_browser):
    """DOT's default would grant every scope to a request that names none."""
    user, browser = citizen_browser
    verifier, challenge = pkce_pair()
    params = authorize_params(rp, challenge, scope=None)
    page = browser.get("/o/authorize/", params).content.decode()
    granted = re.search(r'name="scope" value="([^"]*)"', page).group(1)
    assert granted == "openid", "the consent page asks for openid only"
    r = browser.post("/o/authorize/", {**params, "scope": granted, "allow": "Allow"})
    code = parse_qs(urlsplit(r["Location"]).query)["code"][0]
    tokens = exchange(code, verifier, rp).json()
    assert tokens["scope"].split() == ["openid"], tokens
    r = Client().get("/o/userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert user.id_number not in r.content.decode() and user.masked_id_number not in r.content.decode()


def test_an_access_token_can_be_revoked(rp, citizen_browser):
    _user, browser = citizen_browser
    tokens = tokens_for(rp, browser, "openid profile")
    basic = base64.b64encode(f"{rp.client_id}:{SECRET}".encode()).decode()
    r = Client().post("/o/revoke_token/", {"token": tokens["access_token"]}, headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200
    r = Client().get("/o/userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code == 401
