"""The console's French wording of states, windows and values (staff read French).

The families' texts stay in the message catalogue; the console's own words live here and in the
templates. Voies and avis use the catalogue's labels, so staff and families read the same words.
"""

from __future__ import annotations

from flows.rules.calendar import AVIS, CHOIX, INTENTIONS, REPONSE
from flows.rules.model import Avis, Voie
from flows.texts import t

WINDOWS = {
    INTENTIONS: "1 · Intentions provisoires",
    AVIS: "Avis provisoire du conseil de classe (accusé de réception)",
    CHOIX: "2 · Choix définitifs",
    REPONSE: "3 · Réponse aux propositions du conseil de classe",
}

STATES = {
    "intentions": {"none": "Non saisies", "validated": "Validées"},
    "opinion": {"none": "Non saisi", "recorded": "Saisi, non publié", "published": "Publié"},
    "acknowledged": {"none": "Non", "acknowledged": "Oui"},
    "choix": {"none": "Non saisis", "validated": "Validés"},
    "proposals": {"none": "Non saisies", "recorded": "Saisies, non publiées",
                  "published": "Publiées"},
    "answer": {"none": "Pas de réponse", "agreed": "D'accord", "disagreed": "Pas d'accord"},
    "decision": {"none": "Aucune", "family": "Accord de la famille",
                 "head": "Décision du chef d'établissement"},
}
# How each state reads at a glance: done, waiting for the school, or nothing yet.
TONES = {"validated": "ok", "published": "ok", "acknowledged": "ok", "agreed": "ok",
         "family": "ok", "head": "ok", "recorded": "todo", "disagreed": "warn"}

PENDING = {"intentions": "Saisir et valider les intentions",
           "avis": "Accuser réception de l'avis",
           "choix": "Saisir et valider les choix définitifs",
           "reponse": "Répondre aux propositions"}


def state(column: str, value: str) -> str:
    return STATES[column].get(value, value)


def tone(value: str) -> str:
    return TONES.get(value, "none")


def voie(value: Voie | str | None) -> str:
    if value is None or value == "":
        return "Aucune"
    return t(f"voie.{Voie(value).value}")


def avis(value: Avis | str) -> str:
    return t(f"avis.{Avis(value).value}")
