"""The SMS rendering (bot/channels/sms/render.py, push.py): SMS variants of catalogue texts through the
`sms` profile, the GSM alphabet, numbered options in French, and the split of what does not fit in one
SMS of 2 segments."""

from __future__ import annotations

import string

import pytest

from bot.channels.options import french_list, numbered
from bot.channels.sms import render as sms
from bot.channels.sms.push import SmsPush
from bot.channels.sms.segments import count
from bot.sending.base import Outgoing
from flows.exchange import Button, Reply
from flows.options import by_number
from flows.texts import SMS_PROFILE, Texts, catalogue, t


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# ---- the catalogue's SMS variants --------------------------------------------------------------

def test_every_variant_uses_only_fields_of_its_message():
    texts = catalogue()
    for key, text in texts.items():
        if key.startswith("sms.") and key[4:] in texts:
            assert fields(text) <= fields(texts[key[4:]]), key


def test_the_channel_s_own_texts_are_not_taken_for_variants():
    texts = catalogue()
    own = [key for key in texts if key.startswith("sms.channel.")]
    assert own and not [key for key in own if key[4:] in texts]


SMS = Texts(profile=SMS_PROFILE)  # what a text read as an SMS is composed in


def test_a_text_with_a_variant_is_replaced_by_it_with_its_values():
    assert SMS("requests.edit", date="06/12/2026", listing="Intention 1 : 1re année de CAP") == t(
        "sms.requests.edit", date="06/12/2026")
    assert SMS("act.code", masked="•• •• •• •• 78") == t("sms.act.code", masked="•• •• •• •• 78")


def test_texts_inside_texts_are_replaced_too():
    home = SMS("home", prenom="Lucas", nom="Martin", classe="3e B", calendar="• une ligne\n• une autre",
               phase=SMS("phase.open.intentions", date="06/12/2026"), standing=SMS("standing.none"))
    assert home == t("sms.home", prenom="Lucas", nom="Martin", classe="3e B",
                     phase=t("sms.phase.open.intentions", date="06/12/2026"),
                     standing=t("sms.standing.none"))


def test_a_label_and_a_text_without_a_variant():
    assert SMS("btn.back_home") == t("sms.btn.back_home")
    assert SMS("act.prenom") == t("act.prenom")


async def test_a_push_to_an_sms_conversation_is_only_spelled_for_sms():
    """The wording is chosen where the message is composed: the push changes no word of it (a
    text composed in the plain profile stays as it is), it only spells it in the GSM alphabet."""
    class Recording:
        def __init__(self) -> None:
            self.sent: list[Outgoing] = []

        async def send(self, message: Outgoing) -> None:
            self.sent.append(message)

    sms = Recording()
    body = t("btn.back_home") + "\n« Texte libre » — sans rapport."
    await SmsPush(sms).send(Outgoing(7, "push", "sms:+33612345678", body))
    assert [(m.id, m.kind, m.recipient, m.body) for m in sms.sent] == [
        (7, "sms", "+33612345678", "Retour à l'accueil Orientation\n\"Texte libre\" - sans rapport.")]


# ---- the GSM alphabet --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Vous n’avez pas de compte", "Vous n'avez pas de compte"),
    ("choisissez « J'ai un compte ».", 'choisissez "J\'ai un compte".'),
    ("☐ Sous statut scolaire", "[ ] Sous statut scolaire"),
    ("☒ Sous statut d'apprenti", "[x] Sous statut d'apprenti"),
    ("•• •• •• •• 78", "** ** ** ** 78"),
    ("• 1 Intentions provisoires", "- 1 Intentions provisoires"),
    ("Scolarité Services — Bienvenue", "Scolarité Services - Bienvenue"),
    ("être, fenêtre, âge, île, côté, sûr, ça, Noël, naïf",
     "etre, fenetre, age, ile, coté, sur, ca, Noel, naif"),
    ("À bientôt, Ève, Œuvre, cœur", "A bientot, Eve, OEuvre, coeur"),
    ("N° de téléphone", "No de téléphone"),
    ("é è à ù ì ò É Ç ü ö ä ñ", "é è à ù ì ò É Ç ü ö ä ñ"),  # in the alphabet: kept
    ("Suite…", "Suite..."),
    ("李 Nguyen", "李 Nguyen"),  # no spelling in the alphabet: kept (that SMS is UCS-2)
])
def test_gsm_spelling(text, expected):
    assert sms.to_gsm(text) == expected


def test_every_screen_text_of_the_catalogue_is_in_the_gsm_alphabet_once_rendered():
    """Each message, as the SMS shows it, needs no UCS-2 (placeholders left out)."""
    for key, text in catalogue().items():
        if key.startswith(("mail.", "sms.")) or "{" in text and not fields(text):
            continue
        shown = sms.to_gsm(catalogue()[SMS.key(key)])
        assert count(shown).encoding == "GSM-7", (key, shown)


# ---- options -----------------------------------------------------------------------------------

def test_french_lists():
    assert [french_list(n) for n in (1, 2, 3, 6)] == ["1", "1 ou 2", "1, 2 ou 3", "1, 2, 3, 4, 5 ou 6"]
    assert numbered(["Oui", "Non"]) == ["1 Oui", "2 Non"]


@pytest.mark.parametrize(("text", "expected"), [
    ("1", 0), ("3", 2), (" 2 ", 1), ("2.", 1), ("2)", 1), ("0", None), ("4", None), ("-1", None),
    ("1 2", None), ("un", None), ("", None), ("123456", None), ("02", 1),
])
def test_numbers(text, expected):
    assert by_number(text, 3) == expected


def _reply(text: str, *labels: str) -> Reply:
    return Reply(text, tuple((Button(label, f"1.{i}"),) for i, label in enumerate(labels)))


def test_a_screen_with_options():
    t = Texts(profile=SMS_PROFILE)  # the dialogues' replies to SMS are in the SMS profile
    assert sms.render(_reply(t("who"), t("btn.i_am_guardian"), t("btn.i_am_student"), t("btn.back"))) == [
        "Vous n'avez pas encore de compte ÉduConnect.\n1 Je suis représentant légal\n"
        "2 Je suis élève\n3 Retour\nRépondez 1, 2 ou 3"]


def test_a_screen_that_asks_for_text_lists_its_options_without_asking_for_a_number():
    assert sms.render(_reply(t("act.nom"), t("btn.cancel")), takes_text=True) == [
        "J'active mon compte\n\nNom ?\n1 Annuler"]


def test_a_reply_that_does_not_fit_is_split_with_the_options_last():
    paragraphs = [f"Paragraphe {n} : " + "mot " * 40 for n in range(4)]
    texts = sms.render(_reply("\n\n".join(paragraphs), "Valider", "Retour"))
    assert len(texts) > 1
    assert all(count(text).segments <= 2 for text in texts)
    assert texts[-1].endswith("1 Valider\n2 Retour\nRépondez 1 ou 2")
    assert "\n\n".join(texts).replace("\n1 Valider", "\n\n1 Valider").count("Paragraphe") == 4


def test_one_very_long_line_is_cut_between_words():
    texts = sms.split("mot " * 200)
    assert len(texts) == 3 and all(count(text).segments <= 2 for text in texts)
    assert " ".join(texts).split() == ["mot"] * 200
    assert sms.split("") == [] and sms.split("x" * 700) == ["x" * 306, "x" * 306, "x" * 88]
