"""End to end through the terminal chat with piped input: the seed's example, replayed.

Each step is a separate `python -m bot chat` process on the same SQLite file, so the test also
shows that conversations, accounts and requests survive restarts. The activation code is read from
the printed SMS line, as a person would read their phone.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGN_DAY = "2027-01-11"  # demo loaded on this day: step 1 closes on 18/01/2027
OPINION_DAY = "2027-01-26"  # the council's opinion is published on 25/01/2027

SEED_RECAP = """Intention 1 : 1re année de CAP
Métier ou formation : Ebéniste
Sous statut scolaire

Intention 2 : 2de professionnelle
Métier ou formation : Menuisier, charpentier
Sous statut scolaire"""


def bot(db: Path, today: str, *args: str, lines: list[str] = ()) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), "--today", today, *args],
        input="".join(line + "\n" for line in lines), capture_output=True, text=True,
        cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def chat(db: Path, today: str, address: str, lines: list[str]) -> str:
    return bot(db, today, "chat", "--address", address, lines=lines)


def code_sent_to(output: str, number: str) -> str:
    match = re.findall(rf"^\[SMS → {re.escape(number)}\] .*?(\d{{6}})", output, re.MULTILINE)
    assert match, output
    return match[-1]


def screen_after(output: str, typed: str) -> str:
    """The bot's answer to the input line `typed` (the echo `> typed` starts it)."""
    part = output.split(f"> {typed}\n", 1)[1]
    return part.split("\n> ", 1)[0]


def test_seed_example_through_the_terminal(tmp_path):
    db = tmp_path / "orientation.sqlite3"

    # Claire activates her account by SMS code.
    out = chat(db, CAMPAIGN_DAY, "claire", ["2", "1", "1", "Martin", "Claire", "06 12 34 56 78"])
    assert "Un code d'activation vous a été envoyé par SMS au •• •• •• •• 78." in out
    code = code_sent_to(out, "+33612345678")
    wrong = "000000" if code != "000000" else "111111"
    out = chat(db, CAMPAIGN_DAY, "claire", [
        wrong, code,
        "31/02/2012", "14/05/2012", "02/09/2016",
        "faible", "TresSolide-2026!", "Autre-Chose-2026!", "TresSolide-2026!", "TresSolide-2026!",
    ])
    assert "Ce code n'est pas le bon. Il vous reste 4 essais." in out
    assert "Saisie des dates de naissance pour chacun des enfants scolarisés" in out
    assert "Enfant 1 sur 2 : Lucas" in out and "Enfant 2 sur 2 : Emma" in out
    assert "La date « 31/02/2012 » n'existe pas" in out
    assert "Votre identifiant : c.martin1\nIl est à conserver puisqu'il sera demandé à chaque " \
           "connexion." in out
    assert "Ce mot de passe n'est pas assez robuste" in out
    assert "Les deux mots de passe ne sont pas identiques" in out
    assert "Le compte est activé, vous pouvez accéder aux services." in out
    assert "TresSolide" not in out  # secrets are not echoed
    assert "Bienvenue Claire Martin" in out

    # Step 1: two intentions, by labels typed in full and by button numbers.
    out = chat(db, CAMPAIGN_DAY, "claire", [
        "Orientation", "Saisir les intentions",
        "Ajouter une intention", "1re année de CAP", "Ebéniste", "☐ Sous statut scolaire",
        "Continuer",
        "2", "2", "Menuisier, charpentier", "1", "4",
        "Valider", "/deconnexion",
    ])
    validated = screen_after(out, "Valider")
    assert validated.startswith("Nous souhaitons pour la rentrée prochaine :\n\n" + SEED_RECAP)
    assert "Vos intentions ont bien été validées. Un e-mail de confirmation va vous être envoyé" \
        in validated
    assert "Modification possible jusqu'au 18/01/2027." in validated
    assert "[E-MAIL → claire.martin@example.org] Orientation de Lucas : vos intentions " \
           "provisoires ont bien été validées" in validated
    logout = screen_after(out, "/deconnexion")
    assert "Vous êtes déconnecté(e)." in logout
    assert "[E-MAIL → claire.martin@example.org] Orientation de Lucas : récapitulatif" in logout

    # Karim activates his own account and sees the intentions read-only.
    out = chat(db, CAMPAIGN_DAY, "karim", ["2", "1", "1", "MARTIN", "karim", "07.98.76.54.32"])
    code = code_sent_to(out, "+33798765432")
    out = chat(db, CAMPAIGN_DAY, "karim", [
        code, "14/05/2012", "2 septembre 2016", "Karim-Martin-2026?", "Karim-Martin-2026?",
        "Orientation", "Consulter les intentions"])
    assert "Votre identifiant : k.martin1" in out
    read_only = screen_after(out, "Consulter les intentions")
    assert SEED_RECAP in read_only
    assert "Seul le représentant ayant saisi les intentions peut apporter des modifications." \
        in read_only
    assert "Modifier" not in read_only

    # The school records the council's opinion (a CSV as a spreadsheet saves it).
    csv_file = tmp_path / "avis.csv"
    csv_file.write_text(
        "\ufeffstudent_id;avis_1;avis_2;avis_3;recommendation;motivation\n"
        "E-LUCAS;Avis favorable;Avis favorable;;2de générale et technologique ou 2de STHR;"
        "Sans objet.\n", encoding="utf-8")
    assert "recorded 1 opinion(s) and published" in bot(
        db, OPINION_DAY, "council", "--csv", str(csv_file))

    # Claire reads it, tries to leave without acknowledging, then acknowledges.
    out = chat(db, OPINION_DAY, "claire", [
        "J'ai un compte", "c.martin1", "TresSolide-2026!",
        "Orientation", "Avis provisoire du conseil de classe",
        "Retour à l'accueil Orientation", "Annuler",
        "☐ J'ai bien pris connaissance de l'avis provisoire d'orientation du conseil de classe.",
        "Valider"])
    opinion = screen_after(out, "Avis provisoire du conseil de classe")
    assert "AVIS PROVISOIRE(S) D'ORIENTATION" in opinion
    assert "Intention 1 : 1re année de CAP\nMétier ou formation demandé : Ebéniste\n" \
           "Statut scolaire demandé\nAvis favorable" in opinion
    assert "Intention 2 : 2de professionnelle\nMétier ou formation demandé : Menuisier, " \
           "charpentier\nStatut scolaire demandé\nAvis favorable" in opinion
    assert "Recommandation du conseil de classe pour une voie d'orientation non demandée par les " \
           "représentants légaux : 2de générale et technologique ou 2de STHR" in opinion
    assert "Motivations du conseil de classe concernant le ou les avis défavorables ou réservés " \
           "et recommandations : Sans objet." in opinion
    assert screen_after(out, "Retour à l'accueil Orientation").startswith(
        "Vous n'avez pas validé l'accusé de réception, êtes-vous sûr de vouloir quitter cette "
        "page ?\n[1] OK\n[2] Annuler")
    assert "Vous avez pris connaissance et accusé réception de l'avis provisoire du conseil de " \
           "classe le 26/01." in screen_after(out, "Valider")


def test_configuration_errors_stop_with_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    for args in (["--db", str(blocker / "db.sqlite3"), "chat"],
                 ["--db", str(tmp_path / "ok.sqlite3"), "--today", "2027-02-30", "chat"]):
        result = subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True,
                                text=True, cwd=ROOT, timeout=60, input="")
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr


def test_bad_environment_date_is_refused(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "--db", str(tmp_path / "d.sqlite3"),
                             "chat"], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            input="", env={"ORIENTATION_TODAY": "demain", "PATH": ""})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: ORIENTATION_TODAY: 'demain' is not a date; expected YYYY-MM-DD")
