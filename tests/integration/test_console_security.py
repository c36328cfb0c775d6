"""The school console's security: sessions, cookies, CSRF, lock-out, school scoping, roles, logs."""

from __future__ import annotations

import asyncio
import hashlib
import logging

import pytest

from flows.rules.model import Avis, Step, Voie
from flows.school import results as council

from ..console_support import (
    HEAD_PASSWORD,
    OTHER_PASSWORD,
    TEACHER_PASSWORD,
    ZOE,
    client,
    csrf_of,
    http_app,
    log_in,
    logged_in,
    make_staff,
    text,
    token_of,
)
from ..support import activate_claire, enter_seed_intentions

PAGES = ["/console/tableau", "/console/tableau?classe=3e+B", "/console/eleves/E-LUCAS",
         "/console/classes/publier?classe=3e+B", "/console/parametres", "/console/import",
         "/console/export.csv"]
POSTS = ["/console/eleves/E-LUCAS/avis", "/console/eleves/E-LUCAS/propositions",
         "/console/eleves/E-LUCAS/decision", "/console/classes/publier",
         "/console/parametres/calendrier", "/console/parametres/relances", "/console/import/avis",
         "/console/import/decisions", "/console/import/base", "/console/deconnexion"]


@pytest.fixture
def app(store, clock, hasher):
    make_staff(store, hasher, clock())
    return http_app(store, clock, hasher)


# ---- sessions ----------------------------------------------------------------------------------

async def test_no_page_without_a_session(app):
    async with client(app) as http:
        for path in PAGES:
            answer = await http.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/console/connexion?suite=%2Fconsole%2F")
            assert "Lucas" not in answer.text
        for path in POSTS:
            answer = await http.post(path, data={"csrf_token": "x", "classe": "3e B"})
            assert (answer.status_code, answer.headers["location"]) == (303, "/console/connexion")
        http.cookies.set("console_session", "forged" * 8)
        assert (await http.get("/console/tableau")).status_code == 303


async def test_log_in_goes_back_to_the_page_asked_for_and_log_out_ends_the_session(app, store):
    async with client(app) as http:
        first = await http.get("/console/eleves/E-LUCAS")
        login_page = await http.get(first.headers["location"])
        assert 'name="suite" value="/console/eleves/E-LUCAS"' in login_page.text
        answer = await http.post("/console/connexion", data={
            "csrf_token": csrf_of(login_page.text), "identifiant": " Direction ",
            "mot_de_passe": HEAD_PASSWORD, "suite": "/console/eleves/E-LUCAS"})
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/eleves/E-LUCAS")
        page = await http.get("/console/eleves/E-LUCAS")
        assert page.status_code == 200 and "Lucas Martin" in page.text
        cookie = http.cookies["console_session"]
        logout = await http.post("/console/deconnexion", data={"csrf_token": csrf_of(page.text)})
        assert logout.status_code == 303
        assert store.staff_session(hashlib.sha256(cookie.encode()).hexdigest()) is None
        http.cookies.set("console_session", cookie, path="/console")
        assert (await http.get("/console/tableau")).status_code == 303
    actions = [e["action"] for e in store.audit_entries()]
    assert "staff_login" in actions and "staff_logout" in actions


async def test_no_open_redirect_after_log_in(app):
    async with client(app) as http:
        page = await http.get("/console/connexion?suite=https://evil.example.org/")
        assert 'name="suite" value=""' in page.text
        for target in ("https://evil.example.org/", "//evil.example.org/console/", "/elsewhere"):
            http.cookies.clear()
            page = await http.get("/console/connexion")
            answer = await http.post("/console/connexion", data={
                "csrf_token": csrf_of(page.text), "identifiant": "direction",
                "mot_de_passe": HEAD_PASSWORD, "suite": target})
            assert answer.headers["location"] == "/console/tableau"


async def test_the_session_token_is_stored_hashed(app, store):
    async with logged_in(app) as http:
        token = http.cookies["console_session"]
        assert len(token) >= 43
        rows = store._all("SELECT token_hash FROM staff_sessions")
        assert rows == [{"token_hash": hashlib.sha256(token.encode()).hexdigest()}]


async def test_a_session_ends_after_8_hours_without_a_request(app, clock):
    async with logged_in(app) as http:
        clock.advance(hours=7, minutes=50)
        assert (await http.get("/console/tableau")).status_code == 200  # activity: still open
        clock.advance(hours=7, minutes=50)
        assert (await http.get("/console/tableau")).status_code == 200
        clock.advance(hours=8, minutes=1)
        answer = await http.get("/console/tableau")
        assert answer.status_code == 303 and "/console/connexion" in answer.headers["location"]


# ---- cookies -----------------------------------------------------------------------------------

def _cookie(answer, name: str) -> list[str]:
    header = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(name + "="))
    return [part.strip().lower() for part in header.split(";")]


@pytest.mark.parametrize(("base_url", "insecure", "secure"), [
    ("https://console.example.org", False, True),
    ("http://console.example.org", False, True),  # plain http, not loopback: still Secure
    ("http://127.0.0.1:8080", False, False),  # `make run` on this machine
    ("http://localhost:8080", False, False),
    ("https://console.example.org", True, False),  # CONSOLE_INSECURE_COOKIES=1
])
async def test_session_cookie_flags(store, clock, hasher, base_url, insecure, secure):
    make_staff(store, hasher, clock())
    app = http_app(store, clock, hasher, insecure_cookies=insecure)
    async with client(app, base_url) as http:
        page = await http.get("/console/connexion")
        login_cookie = _cookie(page, "console_login")
        if base_url.startswith("http://") and secure:
            # Over plain http away from this machine, the browser keeps its Secure cookie to
            # itself: the log-in cannot be completed (use https).
            assert "secure" in login_cookie
            refused = await http.post("/console/connexion", data={
                "csrf_token": csrf_of(page.text), "identifiant": "direction",
                "mot_de_passe": HEAD_PASSWORD})
            assert refused.status_code == 403 and "console_session" not in http.cookies
            return
        answer = await http.post("/console/connexion", data={
            "csrf_token": csrf_of(page.text), "identifiant": "direction",
            "mot_de_passe": HEAD_PASSWORD})
        assert answer.status_code == 303
        for flags in (_cookie(answer, "console_session"), login_cookie):
            assert "httponly" in flags and "samesite=strict" in flags and "path=/console" in flags
            assert ("secure" in flags) is secure
        session_flags = _cookie(answer, "console_session")
        assert not any(f.startswith(("max-age", "expires")) for f in session_flags)


async def test_security_headers_and_no_cache(app):
    async with logged_in(app) as http:
        page = await http.get("/console/tableau")
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-content-type-options"] == "nosniff"


# ---- CSRF --------------------------------------------------------------------------------------

async def test_every_post_needs_the_session_csrf_token(app, store, claire, clock):
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    async with logged_in(app) as other:  # another session: its token is not this session's
        foreign = await token_of(other)
    async with logged_in(app) as http:
        token = await token_of(http)
        forms = {"avis_1": "favorable", "avis_2": "favorable", "recommandation": "",
                 "motivation": "x", "voie_1": "gt", "decision_voie": "gt", "classe": "3e B",
                 "offsets": "3", "hours": "09:00-18:00", "debut_intentions": "2026-11-01",
                 "fin_intentions": "2026-11-30"}
        for path in POSTS:
            for given in ({}, {"csrf_token": ""}, {"csrf_token": foreign},
                          {"csrf_token": token[:-1] + ("A" if token[-1] != "A" else "B")}):
                answer = await http.post(path, data={**forms, **given})
                assert answer.status_code == 403, (path, given)
                assert "Formulaire refusé" in answer.text
        assert store.opinion("E-LUCAS", Step.INTENTIONS) is None
        assert store.proposals("E-LUCAS") == []
        assert store.reminder_settings_of("0699999Z") is None
        assert (await http.get("/console/tableau")).status_code == 200  # still logged in
        # With the token, the same form is accepted.
        done = await http.post("/console/eleves/E-LUCAS/avis", data={**forms, "csrf_token": token})
        assert done.status_code == 303
        assert store.opinion("E-LUCAS", Step.INTENTIONS).avis == (Avis.FAVORABLE, Avis.FAVORABLE)


async def test_the_log_in_form_needs_its_own_token(app):
    async with client(app) as http:
        answer = await http.post("/console/connexion", data={
            "identifiant": "direction", "mot_de_passe": HEAD_PASSWORD})
        assert answer.status_code == 403 and "console_session" not in http.cookies
        page = await http.get("/console/connexion")
        answer = await http.post("/console/connexion", data={
            "csrf_token": csrf_of(page.text) + "x", "identifiant": "direction",
            "mot_de_passe": HEAD_PASSWORD})
        assert answer.status_code == 403 and "Le formulaire a expiré" in answer.text
        assert "console_session" not in http.cookies


# ---- lock-out ----------------------------------------------------------------------------------

async def test_five_failures_lock_the_account_for_15_minutes(app, store, clock):
    async with client(app) as http:
        for _ in range(4):
            answer = await log_in(http, "direction", "Wrong-password-2026!")
            assert answer.status_code == 401
            assert "Identifiant ou mot de passe incorrect" in answer.text
        answer = await log_in(http, "direction", "Wrong-password-2026!")
        assert answer.status_code == 403
        # 10:00 UTC + 15 min, told in the school's time (Paris, UTC+1 in November).
        assert "Ce compte est verrouillé après 5 échecs de connexion, jusqu'au 29/11/2026 à " \
               "11:15" in text(answer)
        clock.advance(minutes=14)
        answer = await log_in(http, "direction", HEAD_PASSWORD)  # the right password
        assert answer.status_code == 403 and "verrouillé" in answer.text
        assert "console_session" not in http.cookies
        assert store._all("SELECT * FROM staff_sessions") == []
        other = await log_in(http, "prof.3eb", TEACHER_PASSWORD)  # other accounts are not locked
        assert other.status_code == 303
        http.cookies.clear()
        clock.advance(minutes=1, seconds=1)
        answer = await log_in(http, "direction", HEAD_PASSWORD)
        assert answer.status_code == 303
    assert "staff_locked" in [e["action"] for e in store.audit_entries()]


async def test_an_unknown_login_gets_the_same_answer(app):
    async with client(app) as http:
        for _ in range(6):
            answer = await log_in(http, "personne", "Wrong-password-2026!")
            assert answer.status_code == 401
            assert "Identifiant ou mot de passe incorrect" in answer.text


async def test_passwords_are_never_logged(app, store, caplog):
    caplog.set_level(logging.DEBUG)
    async with client(app) as http:
        await log_in(http, "direction", "Not-the-password-1!")
        await log_in(http, "direction", HEAD_PASSWORD)
        await http.get("/console/tableau")
    assert caplog.records, "nothing was captured: the check would be empty"
    for secret in (HEAD_PASSWORD, "Not-the-password-1!"):
        assert secret not in caplog.text
        assert all(secret not in str(entry) for entry in store.audit_entries())
        dump = "\n".join(store.conn.iterdump())
        assert secret not in dump
    assert "$argon2id$" in store.staff_by_login("direction")["password_hash"]


# ---- one school only ---------------------------------------------------------------------------

async def test_another_schools_student_is_not_found(app, store, clock):
    council.record(store, ZOE.id, [Avis.FAVORABLE], None, "", clock(), publish=False)
    async with logged_in(app) as http:
        token = await token_of(http)
        board = await http.get("/console/tableau")
        assert "Zoé" not in board.text and "3e Z" not in board.text
        for path in ("/console/eleves/E-ZOE", "/console/tableau?classe=3e+Z",
                     "/console/classes/publier?classe=3e+Z", "/console/export.csv?classe=3e+Z"):
            answer = await http.get(path)
            assert answer.status_code == 404, path
            assert "Zoé" not in answer.text and "Durand" not in answer.text
        forms = {"/console/eleves/E-ZOE/avis": {"avis_1": "defavorable", "motivation": "x"},
                 "/console/eleves/E-ZOE/propositions": {"voie_1": "cap"},
                 "/console/eleves/E-ZOE/decision": {"decision_voie": "cap"},
                 "/console/classes/publier": {"classe": "3e Z"}}
        for path, data in forms.items():
            answer = await http.post(path, data={**data, "csrf_token": token})
            assert answer.status_code == 404, path
            assert "Zoé" not in answer.text
        upload = await http.post("/console/import/avis", data={"csrf_token": token}, files={
            "fichier": ("avis.csv", b"student_id;avis_1\nE-ZOE;defavorable\n", "text/csv")})
        assert upload.status_code == 400 and "Fichier refusé" in upload.text
        export = await http.get("/console/export.csv")
        assert "E-ZOE" not in export.text and "E-LUCAS" in export.text
    opinion = store.opinion(ZOE.id, Step.INTENTIONS)
    assert opinion.avis == (Avis.FAVORABLE,) and opinion.published_at is None
    assert store.proposals(ZOE.id) == [] and store.decision(ZOE.id) is None
    # The other school's head sees Zoé, and not Lucas.
    async with client(app) as other:
        assert (await log_in(other, "direction.og", OTHER_PASSWORD)).status_code == 303
        board = await other.get("/console/tableau")
        assert "Zoé" in board.text and "Lucas" not in board.text
        assert (await other.get("/console/eleves/E-LUCAS")).status_code == 404


# ---- roles -------------------------------------------------------------------------------------

async def test_a_teacher_records_but_does_not_publish_decide_or_configure(app, store, claire):
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    async with client(app) as http:
        assert (await log_in(http, "prof.3eb", TEACHER_PASSWORD)).status_code == 303
        token = await token_of(http)
        board = await http.get("/console/tableau")
        assert "Calendrier et relances" not in board.text and "Publier" not in board.text
        for path in ("/console/parametres", "/console/import",
                     "/console/classes/publier?classe=3e+B"):
            answer = await http.get(path)
            assert answer.status_code == 403 and "réservée au chef" in answer.text, path
        for path, data in {"/console/classes/publier": {"classe": "3e B"},
                           "/console/eleves/E-LUCAS/decision": {"decision_voie": "gt"},
                           "/console/parametres/relances": {"offsets": "1"}}.items():
            assert (await http.post(path, data={**data, "csrf_token": token})).status_code == 403
        recorded = await http.post("/console/eleves/E-LUCAS/avis", data={
            "csrf_token": token, "avis_1": "favorable", "avis_2": "reserve",
            "recommandation": "gt", "motivation": "Sans objet."})
        assert recorded.status_code == 303
    opinion = store.opinion("E-LUCAS", Step.INTENTIONS)
    assert (opinion.avis, opinion.recommendation, opinion.published_at) == (
        (Avis.FAVORABLE, Avis.RESERVE), Voie.GT, None)
    assert store.reminder_settings_of("0699999Z") is None


async def test_a_flood_of_log_ins_does_not_fill_the_hashing_queue(store, clock, hasher):
    import time

    from bot.school.console.auth import MAX_PENDING_LOGINS, Auth

    make_staff(store, hasher, clock())

    class SlowHasher:
        def hash(self, secret: str) -> str:
            return hasher.hash(secret)

        def verify(self, stored: str, secret: str) -> bool:
            time.sleep(0.05)
            return hasher.verify(stored, secret)

    auth = Auth(store, SlowHasher(), clock)
    outcomes = await asyncio.gather(*(auth.log_in("personne", "x") for _ in range(12)))
    assert sum(o.busy for o in outcomes) == 12 - MAX_PENDING_LOGINS
    assert (await auth.log_in("direction", HEAD_PASSWORD)).token is not None  # the queue drained
