"""The school console's pages: recording the councils' results, publishing per class, the campaign's
settings, imports, the export, the `staff` command and `python -m bot run` serving the console."""

from __future__ import annotations

import argparse
import asyncio
import io
from datetime import date, time

import httpx
import pytest

from bot.runtime.bootstrap import App
from bot.runtime.config import Config
from bot.runtime.http import create_app
from bot.school.cli import staff as cli
from bot.school.console.serving import bind, console_for, serve_http
from flows.rules.calendar import AVIS, INTENTIONS, day_window
from flows.rules.model import Avis, ProposalAnswer, Step, Voie
from flows.rules.reminders import Offset
from flows.school import followup
from flows.school import results as council

from ..console_support import (
    HEAD_PASSWORD,
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


@pytest.fixture
def app(store, clock, hasher):
    make_staff(store, hasher, clock())
    return http_app(store, clock, hasher)


@pytest.fixture
async def lucas_validated(claire, store):
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)


def notifications(store) -> list[dict]:
    return [m for m in store.outbox() if (m["dedupe_key"] or "").startswith("notify:")]


# ---- the opinion, then publishing the class ------------------------------------------------------

async def test_record_the_opinion_then_publish_the_class(app, store, clock, lucas_validated):
    clock.advance(days=15)
    async with logged_in(app) as http:
        page = await http.get("/console/eleves/E-LUCAS")
        assert "Intention 1 : 1re année de CAP" in page.text
        assert "Métier ou formation : Ebéniste" in page.text
        answer = await http.post("/console/eleves/E-LUCAS/avis", data={
            "csrf_token": csrf_of(page.text), "avis_1": "favorable", "avis_2": "defavorable",
            "recommandation": "gt", "motivation": "  Le conseil\r\nrecommande la voie GT.  "})
        assert (answer.status_code, answer.headers["location"]) == (
            303, "/console/eleves/E-LUCAS?fait=avis")
        shown = text(await http.get(answer.headers["location"]))
        assert "L'avis du conseil de classe est enregistré." in shown
        assert "pas encore publié" in shown
        opinion = store.opinion("E-LUCAS", Step.INTENTIONS)
        assert opinion.avis == (Avis.FAVORABLE, Avis.DEFAVORABLE)
        assert opinion.motivation == "Le conseil recommande la voie GT."
        assert opinion.published_at is None and notifications(store) == []
        board = text(await http.get("/console/tableau?classe=3e+B"))
        assert "Saisi, non publié" in board
        assert "Publier les résultats de la classe 3e B" in board
        confirm = await http.get("/console/classes/publier?classe=3e+B")
        assert "1 avis provisoire du conseil de classe : Lucas Martin" in text(confirm)
        done = await http.post("/console/classes/publier", data={
            "csrf_token": csrf_of(confirm.text), "classe": "3e B"})
        assert done.status_code == 303
        board = text(await http.get(done.headers["location"]))
        assert "Résultats de la classe 3e B publiés : 1 avis" in board
        assert "Accuser réception de l'avis" in board  # what Claire must now do
    assert store.opinion("E-LUCAS", Step.INTENTIONS).published_at == clock()
    assert {m["recipient"] for m in notifications(store)} == {"test:claire", "+33798765432"}
    assert {"console_opinion", "console_publish"} <= {e["action"] for e in store.audit_entries()}


async def test_the_opinion_form_is_checked(app, store, lucas_validated):
    async with logged_in(app) as http:
        token = await token_of(http)
        answer = await http.post("/console/eleves/E-LUCAS/avis", data={
            "csrf_token": token, "avis_1": "favorable", "avis_2": "excellent",
            "recommandation": "lycee", "motivation": "x" * 2001})
        assert answer.status_code == 400
        page = text(answer)
        assert "Le formulaire contient 3 erreurs" in page
        assert "Choisissez l'avis sur l'intention 2." in page
        assert "Choisissez une voie dans la liste." in page
        assert "La motivation dépasse 2000 caractères" in page
        assert 'aria-invalid="true"' in page
        assert 'id="avis_1_favorable" name="avis_1" value="favorable" checked' in page  # kept
        assert store.opinion("E-LUCAS", Step.INTENTIONS) is None
        # No validated intentions: nothing to give an opinion on.
        nothing = await http.post("/console/eleves/E-LEA/avis", data={
            "csrf_token": token, "avis_1": "favorable"})
        assert nothing.status_code == 400 and "aucune intention" in text(nothing)


async def test_an_acknowledged_opinion_is_read_only(app, store, clock, lucas_validated):
    council.record(store, "E-LUCAS", [Avis.FAVORABLE, Avis.FAVORABLE], None, "Sans objet.",
                   clock())
    with store.transaction():
        from flows.rules.model import Acknowledgement

        store.save_acknowledgement(Acknowledgement("E-LUCAS", Step.INTENTIONS, "R-CLAIRE",
                                                   clock()))
    async with logged_in(app) as http:
        page = text(await http.get("/console/eleves/E-LUCAS"))
        assert "accusé de réception le 29/11/2026" in page and "Enregistrer l'avis" not in page
        answer = await http.post("/console/eleves/E-LUCAS/avis", data={
            "csrf_token": csrf_of(page), "avis_1": "defavorable", "avis_2": "defavorable"})
        assert answer.status_code == 400
        assert "La famille a déjà accusé réception de l'avis" in text(answer)
        board = text(await http.get("/console/tableau"))
        row = board.split('id="eleve-E-LUCAS"')[1].split("</tr>")[0]
        assert "Oui" in row and "Publié" in row
    assert store.opinion("E-LUCAS", Step.INTENTIONS).avis == (Avis.FAVORABLE, Avis.FAVORABLE)


async def test_filters_of_the_dashboard(app, store, clock, lucas_validated):
    async with logged_in(app) as http:
        board = text(await http.get("/console/tableau"))
        for name in ("Bernard Léa", "Nguyen Hugo", "Martin Lucas", "Nguyen Jade"):
            assert name in board
        assert "Intentions provisoires" in board and "06/12/2026" in board  # the deadline
        only_b = text(await http.get("/console/tableau?classe=3e+B"))
        assert "Martin Lucas" in only_b and "Bernard Léa" not in only_b
        # Step 1 is open: everyone but Lucas's family still has to enter intentions.
        waiting = text(await http.get("/console/tableau?en_attente=1"))
        assert "Martin Lucas" not in waiting and "Bernard Léa" in waiting
        assert "Saisir et valider les intentions" in waiting and "avant le 06/12/2026" in waiting
        assert (await http.get("/console/tableau?classe=4e+Z")).status_code == 404


# ---- step 3: proposals and the head's decision ------------------------------------------------------

async def test_proposals_then_the_heads_decision_after_a_disagreement(app, store, clock,
                                                                      lucas_validated):
    async with logged_in(app) as http:
        token = await token_of(http)
        bad = await http.post("/console/eleves/E-LUCAS/propositions", data={
            "csrf_token": token, "voie_1": "pro", "voie_2": "pro", "detail_3": "Cuisine"})
        assert bad.status_code == 400
        assert "La voie de la proposition 2 est déjà proposée." in text(bad)
        assert "Choisissez la voie de la proposition 3" in text(bad)
        done = await http.post("/console/eleves/E-LUCAS/propositions", data={
            "csrf_token": token, "voie_1": "pro", "detail_1": "Menuisier", "voie_2": "cap",
            "voie_3": ""})
        assert done.status_code == 303
        assert [(p.rank, p.voie, p.detail, p.published_at) for p in store.proposals("E-LUCAS")] \
            == [(1, Voie.PRO, "Menuisier", None), (2, Voie.CAP, "", None)]
        page = text(await http.get("/console/eleves/E-LUCAS"))
        assert "Non publiée" in page and "Enregistrer et publier la décision" not in page
        publish = await http.post("/console/classes/publier", data={
            "csrf_token": token, "classe": "3e B"})
        assert "propositions=1" in publish.headers["location"]
        with store.transaction():
            for rank in (1, 2):
                store.save_answer(ProposalAnswer("E-LUCAS", rank, "R-CLAIRE", False, clock()))
        page = text(await http.get("/console/eleves/E-LUCAS"))
        assert "Pas d'accord le 29/11/2026" in page
        assert "Enregistrer et publier la décision" in page
        assert "les propositions ne peuvent plus être modifiées" in page
        decided = await http.post("/console/eleves/E-LUCAS/decision", data={
            "csrf_token": token, "decision_voie": "cap", "decision_detail": "Ébéniste"})
        assert decided.status_code == 303
        page = text(await http.get(decided.headers["location"]))
        assert "La décision d'orientation est enregistrée, publiée" in page
        assert "décision du chef d'établissement" in page
    decision = store.decision("E-LUCAS")
    assert (decision.voie, decision.detail, decision.published_at) == (Voie.CAP, "Ébéniste", clock())
    assert any(m["dedupe_key"].startswith("notify:decision:E-LUCAS") for m in notifications(store))


# ---- settings ---------------------------------------------------------------------------------------

async def test_the_calendar_is_set_from_the_settings(app, store, clock):
    async with logged_in(app) as http:
        page = await http.get("/console/parametres")
        assert 'value="2026-10-30"' in page.text  # the demo's step 1 opens J-30
        form = {"csrf_token": csrf_of(page.text),
                "debut_intentions": "2027-01-05", "fin_intentions": "2027-02-26",
                "debut_avis": "15/03/2027", "fin_avis": "2027-03-31",
                "debut_choix": "", "fin_choix": "", "debut_reponse": "", "fin_reponse": ""}
        answer = await http.post("/console/parametres/calendrier", data=form)
        assert answer.status_code == 303
        assert "Le calendrier de la campagne est enregistré." in text(
            await http.get(answer.headers["location"]))
        calendar = store.calendar("0699999Z")
        assert calendar.window(INTENTIONS) == day_window(INTENTIONS, date(2027, 1, 5),
                                                         date(2027, 2, 26), "Europe/Paris")
        assert calendar.window(AVIS).opens == day_window(AVIS, date(2027, 3, 15),
                                                         date(2027, 3, 31), "Europe/Paris").opens
        assert calendar.window("choix") is None and calendar.window("reponse") is None
        assert store.calendar("0699998Y").window("choix") is not None  # other schools untouched
        overlapping = await http.post("/console/parametres/calendrier", data={
            **form, "debut_avis": "2027-02-20", "fin_avis": "2027-02-10", "debut_choix": "x",
            "fin_reponse": "2027-06-01"})
        assert overlapping.status_code == 400
        page = text(overlapping)
        assert "le dernier jour est avant le premier" in page
        assert "Le premier jour n'est pas une date" in page
        assert "Le formulaire contient 3 erreurs" in page
        order = await http.post("/console/parametres/calendrier", data={
            **form, "debut_avis": "2027-02-20"})
        assert order.status_code == 400
        assert "doit commencer après la fin de « 1 · Intentions provisoires »" in text(order)
    assert store.calendar("0699999Z").window(AVIS).opens.day == 15  # refused forms change nothing


async def test_reminder_settings(app, store):
    async with logged_in(app) as http:
        token = await token_of(http, "/console/parametres")
        answer = await http.post("/console/parametres/relances", data={
            "csrf_token": token, "offsets": "10, 3@18:00 ,0", "hours": " 09:00 - 19:30 "})
        assert answer.status_code == 303
        assert store.reminder_settings_of("0699999Z") == {"offsets": "10,3@18:00,0",
                                                          "hours": "09:00-19:30"}
        rules = store.reminder_rules().for_school("0699999Z")
        assert rules.offsets == (Offset(10), Offset(3, time(18, 0)), Offset(0))
        assert (rules.start, rules.end) == (time(9), time(19, 30))
        page = text(await http.get("/console/parametres"))
        assert 'value="10,3@18:00,0"' in page
        for offsets, hours in (("7,deux", ""), ("", "20:00-08:00"), ("90", ""), ("", "8h-20h")):
            bad = await http.post("/console/parametres/relances", data={
                "csrf_token": token, "offsets": offsets, "hours": hours})
            assert bad.status_code == 400, (offsets, hours)
        back = await http.post("/console/parametres/relances", data={
            "csrf_token": token, "offsets": "", "hours": ""})
        assert back.status_code == 303
    assert store.reminder_settings_of("0699999Z") == {"offsets": None, "hours": None}
    assert store.reminder_rules().for_school("0699999Z") == store.reminder_rules().default


# ---- imports and export -------------------------------------------------------------------------------

async def test_import_council_opinions_from_csv(app, store, lucas_validated):
    async with logged_in(app) as http:
        token = await token_of(http, "/console/import")
        bad = await http.post("/console/import/avis", data={"csrf_token": token}, files={
            "fichier": ("avis.csv", b"student_id;avis_1;avis_2\nE-LUCAS;favorable;superbe\n"
                                    b"E-NOAH;favorable;\n", "text/csv")})
        assert bad.status_code == 400
        page = text(bad)
        assert "Fichier refusé : aucune ligne n'a été enregistrée" in page
        assert "superbe" in page
        other = await http.post("/console/import/avis", data={"csrf_token": token}, files={
            "fichier": ("avis.csv", b"student_id;avis_1;avis_2\nE-LUCAS;favorable;favorable\n"
                                    b"E-NOAH;favorable;\n", "text/csv")})
        assert other.status_code == 400
        assert "E-NOAH" in text(other) and "E-LUCAS" not in text(other)  # Noah: another school
        assert store.opinion("E-LUCAS", Step.INTENTIONS) is None
        good = await http.post("/console/import/avis", data={"csrf_token": token}, files={
            "fichier": ("avis.csv", "\ufeffstudent_id;avis_1;avis_2;recommendation;motivation\n"
                                    "E-LUCAS;favorable;réservé;;Sans objet.\n".encode(),
                        "text/csv")})
        assert good.status_code == 200 and "Fichier enregistré : 1 ligne" in text(good)
        empty = await http.post("/console/import/avis", data={"csrf_token": token})
        assert empty.status_code == 400 and "Choisissez un fichier CSV" in text(empty)
    opinion = store.opinion("E-LUCAS", Step.INTENTIONS)
    assert opinion.avis == (Avis.FAVORABLE, Avis.RESERVE) and opinion.published_at is None


async def test_import_decisions_from_csv(app, store, clock):
    council.record_proposals(store, "E-LUCAS", [(Voie.PRO, "")], clock())
    council.record_proposals(store, "E-LEA", [(Voie.GT, "")], clock())
    with store.transaction():
        store.save_answer(ProposalAnswer("E-LUCAS", 1, "R-CLAIRE", False, clock()))
    async with logged_in(app) as http:
        token = await token_of(http, "/console/import")
        assert "Décisions du chef d'établissement" in text(await http.get("/console/import"))
        refused = await http.post("/console/import/decisions", data={"csrf_token": token}, files={
            "fichier": ("decisions.csv", b"student_id;voie;detail\nE-LUCAS;cap;Ebeniste\n"
                                         b"E-LEA;pro;\nE-NOAH;gt;\n", "text/csv")})
        assert refused.status_code == 400
        page = text(refused)
        assert "E-LEA" in page and "E-NOAH" in page  # Léa's family may still answer; Noah: elsewhere
        assert store.decision("E-LUCAS") is None  # the whole file refused
        done = await http.post("/console/import/decisions", data={"csrf_token": token}, files={
            "fichier": ("decisions.csv", b"student_id;voie;detail\nE-LUCAS;cap;Ebeniste\n",
                        "text/csv")})
        assert done.status_code == 200
        assert "Les décisions sont publiées et les familles prévenues." in text(done)
    decision = store.decision("E-LUCAS")
    assert (decision.voie, decision.detail, decision.published_at) == (Voie.CAP, "Ebeniste", clock())


STUDENTS = ("id;nom;prénom;date de naissance;uai;classe;niveau\n"
            "E-NEW;Leroy;Inès;04/06/2012;0699999Z;3e B;3ème\n")
GUARDIANS = "id;nom;prenom;mobile;email;student_ids\nR-NEW;Leroy;Paul;06 01 02 03 04;;E-NEW\n"


async def test_import_the_school_base(app, store):
    async with logged_in(app) as http:
        token = await token_of(http, "/console/import")
        done = await http.post("/console/import/base", data={"csrf_token": token}, files={
            "eleves": ("eleves.csv", STUDENTS.encode(), "text/csv"),
            "representants": ("representants.csv", GUARDIANS.encode(), "text/csv")})
        assert done.status_code == 200, text(done)
        page = text(done)
        assert "élèves : 1 nouveau, 0 modifié, 0 inchangé" in page
        assert "liens avec les élèves : 1 nouveau" in page
        student = store.student("E-NEW")
        assert (student.uai, student.class_name, student.level) == ("0699999Z", "3e B", "3e")
        assert [g.id for g in store.guardians_of("E-NEW")] == ["R-NEW"]
        assert "Leroy Inès" in text(await http.get("/console/tableau?classe=3e+B"))
        empty = await http.post("/console/import/base", data={"csrf_token": token})
        assert empty.status_code == 400 and "Choisissez le fichier" in text(empty)


async def test_the_school_base_import_stays_in_the_school(app, store):
    async with logged_in(app) as http:
        token = await token_of(http, "/console/import")
        students = ("id;nom;prenom;birth_date;uai;class_name;level\n"
                    "E-OUT;Roux;Tom;01/01/2012;0750001A;3e Z;3e\n"  # another school's UAI
                    "E-NOAH;Petit;Noah;30/11/2011;0699999Z;3e B;3e\n"  # moved from Martinique
                    "E-OK;Roux;Léo;01/01/2012;0699999Z;3e B;3e\n")
        guardians = ("id;nom;prenom;mobile;email;student_ids\n"
                     "R-NEW2;Roux;Ana;;;E-OK E-ZOE\n"  # Zoé: another school
                     "R-MARIE;Petit;Marie-José;06 66 66 66 66;;E-OK\n")  # Noah's mother
        refused = await http.post("/console/import/base", data={"csrf_token": token}, files={
            "eleves": ("eleves.csv", students.encode(), "text/csv"),
            "representants": ("rl.csv", guardians.encode(), "text/csv")})
        assert refused.status_code == 400
        page = text(refused)
        assert "aucune ligne n'a été enregistrée" in page
        assert "eleves.csv line 2, column uai: 0750001A is another school" in page
        assert "eleves.csv line 3, column id: E-NOAH is a student of another school" in page
        assert "rl.csv line 2, column student_ids: E-ZOE is a student of another school" in page
        assert "rl.csv line 3, column id: R-MARIE is a guardian of another school" in page
    assert store.student("E-OK") is None and store.student("E-OUT") is None
    assert store.student("E-NOAH").uai == "9720999X"
    assert store.guardian("R-MARIE").mobile == "+596696123456"


async def test_export_csv(app, store, lucas_validated, clock):
    async with logged_in(app) as http:
        answer = await http.get("/console/export.csv?classe=3e+B")
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.headers["content-disposition"] == \
            'attachment; filename="suivi-orientation-0699999Z-3eB.csv"'
        assert answer.text == followup.export_csv(store, "0699999Z", "3e B", now=clock())
        assert "E-LUCAS" in answer.text and "E-LEA" not in answer.text


# ---- the staff command -------------------------------------------------------------------------------

def _staff(store, hasher, clock, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    cli.add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    app = argparse.Namespace(store=store, hasher=hasher, clock=clock)
    out, err = io.StringIO(), io.StringIO()
    status = cli.command(app, args, io.StringIO(stdin), out, err)
    return status, out.getvalue(), err.getvalue()


async def test_staff_command(store, hasher, clock):
    run = lambda *argv, stdin="": _staff(store, hasher, clock, *argv, stdin=stdin)  # noqa: E731
    assert run("staff", "add", "--school", "0699999Z", "--login", "Adjoint.JM", "--role",
               "deputy", stdin="Adjoint-Moulin-2026!\n")[0] == 0
    status, _, err = run("staff", "add", "--school", "0699999Z", "--login", "autre", "--role",
                         "teacher", stdin="motdepasse\n")
    assert status == 1 and "au moins 12 caractères" in err and "au moins une majuscule" in err
    assert run("staff", "add", "--school", "0699999Z", "--login", "adjoint.jm", "--role", "head",
               stdin="Adjoint-Moulin-2026!\n")[2] == "error: the login adjoint.jm is already used\n"
    assert "no school with UAI 0000000X" in run("staff", "add", "--school", "0000000X", "--login",
                                                 "x1", "--role", "head",
                                                 stdin="Adjoint-Moulin-2026!\n")[2]
    assert "must be 2 to 64" in run("staff", "add", "--school", "0699999Z", "--login", "é t é",
                                    "--role", "head", stdin="Adjoint-Moulin-2026!\n")[2]
    status, out, _ = run("staff", "list", "--school", "0699999z")
    assert status == 0 and out.startswith("adjoint.jm\tdeputy\tactive\t")
    app = http_app(store, clock, hasher)
    async with client(app) as http:
        for _ in range(5):
            await log_in(http, "adjoint.jm", "Wrong-password-1!")
        assert "locked until" in run("staff", "list", "--school", "0699999Z")[1]
        assert run("staff", "unlock", "--school", "9720999X", "--login", "adjoint.jm")[0] == 1
        assert run("staff", "unlock", "--school", "0699999Z", "--login", "adjoint.jm")[0] == 0
        assert (await log_in(http, "adjoint.jm", "Adjoint-Moulin-2026!")).status_code == 303
    assert "Adjoint-Moulin-2026!" not in "\n".join(store.conn.iterdump())


# ---- served by `python -m bot run` ---------------------------------------------------------------------

def _app(store, clock, hasher, engine, port: int) -> App:
    config = Config(store.path, None, "NORMAL", True, http_port=port)
    return App(config, store, engine, clock, hasher)


async def test_the_bot_serves_the_console(store, clock, hasher, engine, capsys):
    make_staff(store, hasher, clock())
    app = _app(store, clock, hasher, engine, 0)  # port 0: any free port
    stop = asyncio.Event()
    tasks = serve_http(create_app(console=console_for(app)), app, stop)
    url = capsys.readouterr().err.strip().removeprefix("school console: ")
    assert url.startswith("http://127.0.0.1:") and url.endswith("/console/")
    try:
        async with httpx.AsyncClient() as http:
            page = await http.get(url + "connexion")
            assert page.status_code == 200 and 'lang="fr"' in page.text
            answer = await http.post(url + "connexion", data={
                "csrf_token": csrf_of(page.text), "identifiant": "direction",
                "mot_de_passe": HEAD_PASSWORD})
            assert answer.status_code == 303
            board = await http.get(url + "tableau")
            assert "Martin Lucas" in board.text
            assert (await http.get(url.removesuffix("console/") + "healthz")).status_code == 200
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def test_a_busy_port_leaves_the_chat_running_without_console(store, clock, hasher, engine,
                                                                    capsys):
    taken = bind("127.0.0.1", 0)
    taken.listen()
    try:
        app = _app(store, clock, hasher, engine, taken.getsockname()[1])
        assert serve_http(create_app(console=console_for(app)), app, asyncio.Event()) == []
        assert "warning: the school console is not served" in capsys.readouterr().err
        with pytest.raises(SystemExit):
            serve_http(create_app(), app, asyncio.Event(), required=True)
    finally:
        taken.close()
