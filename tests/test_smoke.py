def test_health_reports_database_and_queue(client, db):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["database"] == "ok" and body["queue"] == "ok"


def test_citizen_token_and_me(api, make_citizen):
    user = make_citizen()
    token = api.token(user.id_number)
    me = api.get("/api/v1/me", token=token).json()
    assert me["role"] == "citizen"
    assert me["masked_id_number"] == user.id_number[:4] + "*" * 10 + user.id_number[-4:]


def test_staff_token_needs_totp(api, org, make_staff):
    staff = make_staff("reviewer", org["dept"])
    r = api.post("/api/v1/auth/token", {"login": staff.username, "password": "Yiwang#2026"})
    assert r.status_code == 401
    token = api.token(staff.username, otp=staff.totp())
    me = api.get("/api/v1/me", token=token).json()
    assert me["role"] == "reviewer" and me["roles"][0]["unit_code"] == org["dept"].code
