"""The whole orientation year through the terminal chat, with the clock moved between steps.

Separate `python -m bot` processes on one SQLite file, as a family and a school would use it:
step 1 as in the seed, step 2's choix définitifs, the council's proposal and the family's
*D'accord*; then a second family answers *Pas d'accord*, the head's decision is recorded from the
command line, and the family sees it with the appeal deadline.
"""

from __future__ import annotations

from pathlib import Path

from .test_e2e_terminal import CAMPAIGN_DAY, bot, chat, code_sent_to, screen_after

# The demo is loaded on CAMPAIGN_DAY (11/01/2027): step 2 runs 22/02-15/03/2027, the answers
# 29/03-12/04/2027.
CHOICES_DAY = "2027-02-23"
PROPOSAL_DAY = "2027-03-30"
HEAD_DAY = "2027-03-31"  # a Wednesday: 3 working days later is Monday 05/04/2027

CHOICES_RECAP = """Choix 1 : 2de professionnelle
Métier ou formation : Menuisier, charpentier
Sous statut d'apprenti

Choix 2 : 1re année de CAP
Métier ou formation : Ebéniste
Sous statut scolaire"""


def _claire_through_step_one(db: Path) -> None:
    out = chat(db, CAMPAIGN_DAY, "claire", ["2", "1", "1", "Martin", "Claire", "06 12 34 56 78"])
    code = code_sent_to(out, "+33612345678")
    out = chat(db, CAMPAIGN_DAY, "claire", [
        code, "14/05/2012", "02/09/2016", "TresSolide-2026!", "TresSolide-2026!",
        "Orientation", "Saisir les intentions",
        "Ajouter une intention", "1re année de CAP", "Ebéniste", "☐ Sous statut scolaire",
        "Continuer",
        "Ajouter une intention", "2de professionnelle", "Menuisier, charpentier",
        "☐ Sous statut scolaire", "Continuer",
        "Valider", "/deconnexion"])
    assert "Vos intentions ont bien été validées." in out


def _log_in(identifier: str, password: str) -> list[str]:
    return ["J'ai un compte", identifier, password, "Orientation"]


def test_the_whole_year_for_two_families(tmp_path):
    db = tmp_path / "orientation.sqlite3"
    _claire_through_step_one(db)

    # Step 2: the choix définitifs, a separate record from the intentions.
    out = chat(db, CHOICES_DAY, "claire", [
        *_log_in("c.martin1", "TresSolide-2026!"),
        "Saisir les choix définitifs",
        "Ajouter un choix", "2de professionnelle", "Menuisier, charpentier",
        "☐ Sous statut d'apprenti", "Continuer",
        "Ajouter un choix", "1re année de CAP", "Ebéniste", "☐ Sous statut scolaire", "Continuer",
        "Valider", "/deconnexion"])
    home = screen_after(out, "Orientation")
    assert "Saisie des choix définitifs : ouverte jusqu'au 15/03/2027." in home
    assert "À faire : saisir et valider les choix définitifs au plus tard le 15/03/2027." in home
    validated = screen_after(out, "Valider")
    assert validated.startswith("Nous demandons pour la rentrée prochaine :\n\n" + CHOICES_RECAP)
    assert "Vos choix définitifs ont bien été validés." in validated
    assert "[E-MAIL → claire.martin@example.org] Orientation de Lucas : vos choix définitifs " \
           "ont bien été validés" in validated
    assert "récapitulatif des choix définitifs" in screen_after(out, "/deconnexion")

    # Sophie Bernard (no mobile: the school's temporary password) enters Léa's choices.
    out = chat(db, CHOICES_DAY, "sophie", [
        "J'ai un compte", "s.bernard1", "Provisoire-Bernard-2026",
        "Sophie-Bernard-2026!", "Sophie-Bernard-2026!", "20/01/2012",
        "Orientation", "Saisir les choix définitifs",
        "Ajouter un choix", "2de générale et technologique ou 2de STHR", "Valider", "/deconnexion"])
    assert "Vos choix définitifs ont bien été validés." in out

    # Step 3: the school records the councils' proposals from a CSV.
    proposals = tmp_path / "propositions.csv"
    proposals.write_text("\ufeffstudent_id;voie_1;detail_1\nE-LUCAS;2de professionnelle;\n"
                         "E-LEA;pro;Métiers de la relation client\n", encoding="utf-8")
    assert "recorded 2 student(s)' proposals and published" in bot(
        db, PROPOSAL_DAY, "proposals", "--csv", str(proposals))

    # Claire agrees: the proposal becomes the decision, dated.
    out = chat(db, PROPOSAL_DAY, "claire", [
        *_log_in("c.martin1", "TresSolide-2026!"),
        "Proposition et décision d'orientation", "D'accord", "Confirmer"])
    shown = screen_after(out, "Proposition et décision d'orientation")
    assert "Proposition 1 : 2de professionnelle" in shown
    assert "Répondez à la proposition 1 au plus tard le 12/04/2027" in shown
    assert "Attention : votre réponse est définitive." in screen_after(out, "D'accord")
    decided = screen_after(out, "Confirmer")
    assert "cette proposition devient la décision d'orientation" in decided
    assert "Votre réponse : D'accord (le 30/03/2027)" in decided
    assert "DÉCISION D'ORIENTATION : 2de professionnelle, le 30/03/2027." in decided
    assert "commission d'appel" not in decided  # the family agreed: nothing to appeal

    # Sophie does not agree: she is sent to the head of school.
    out = chat(db, PROPOSAL_DAY, "sophie", [
        *_log_in("s.bernard1", "Sophie-Bernard-2026!"),
        "Proposition et décision d'orientation", "Pas d'accord", "Confirmer", "/deconnexion"])
    refused = screen_after(out, "Confirmer")
    assert "Votre réponse : Pas d'accord (le 30/03/2027)" in refused
    assert "Prenez contact avec le chef d'établissement" in refused
    assert "Collège Jean Moulin — tél. 04 72 00 00 00 — college.jean-moulin@example.org" in refused

    # After meeting her, the head records the decision from the command line; Sophie is told.
    assert "recorded and published: the decision for E-LEA" in bot(
        db, HEAD_DAY, "decision", "--student", "E-LEA", "--voie", "gt")
    outbox = bot(db, HEAD_DAY, "outbox")
    assert "la décision d'orientation pour Léa est publiée" in outbox
    out = chat(db, HEAD_DAY, "sophie", [
        *_log_in("s.bernard1", "Sophie-Bernard-2026!"), "Proposition et décision d'orientation"])
    seen = screen_after(out, "Proposition et décision d'orientation")
    assert "DÉCISION D'ORIENTATION : 2de générale et technologique ou 2de STHR, le 31/03/2027." \
        in seen
    assert "commission d'appel dans un délai de 3 jours ouvrables, au plus tard le 05/04/2027" \
        in seen

    # The school follows who has acted, and exports the year for a spreadsheet.
    follow = bot(db, HEAD_DAY, "followup", "--school", "0699999Z", "--all")
    assert "E-LUCAS" in follow and "décision family" in follow
    assert "E-LEA" in follow and "décision head" in follow
    export = bot(db, HEAD_DAY, "export", "--school", "0699999Z", "--class", "3e B")
    lines = export.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("student_id;nom;prenom;classe;intentions;")
    assert lines[1].startswith("E-LUCAS;Martin;Lucas;3e B;cap > pro;")
    assert ";pro > cap;published;agreed;pro;30/03/2027;" in lines[1]
