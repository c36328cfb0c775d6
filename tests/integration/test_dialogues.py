"""Dialogue tests through the engine: each way in, each refusal, the session rules, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.exchange import Inbound
from flows.rules.model import AccountKind, Avis, Step, Voie
from flows.school import results as council

from ..support import (
    CLAIRE_PASSWORD,
    Driver,
    activate,
    activate_claire,
    activate_karim,
    enter_seed_intentions,
    last_code,
    log_in,
    start_sms_activation,
)

# ---- activation by SMS code ------------------------------------------------------------------------

async def test_code_goes_only_to_the_number_on_file(claire, store):
    await start_sms_activation(claire, "MARTIN", "claire", "+33 6 12 34 56 78")
    assert "•• •• •• •• 78" in claire.text
    sms = [m for m in store.outbox() if m["kind"] == "sms"]
    assert [m["recipient"] for m in sms] == ["+33612345678"]


@pytest.mark.parametrize(("nom", "prenom", "mobile"), [
    ("Martin", "Claire", "06 00 00 00 00"),  # a number not on file
    ("Martin", "Karima", "06 12 34 56 78"),  # wrong first name
    ("Bernard", "Claire", "06 12 34 56 78"),  # wrong name
])
async def test_no_match_is_one_neutral_message_and_sends_nothing(claire, store, nom, prenom, mobile):
    await start_sms_activation(claire, nom, prenom, mobile)
    assert "ne permettent pas d'activer un compte" in claire.text
    assert "Nom ?" in claire.text  # asked again from the start
    assert store.outbox() == []


async def test_phone_with_letters_is_explained(claire, store):
    await start_sms_activation(claire, mobile="06 12 AB 56 78")
    assert "n'est pas valide" in claire.text
    assert "N° de téléphone portable ?" in claire.text


async def test_names_with_digits_or_emoji_are_refused(claire):
    await claire.open()
    await claire.press("Je n'ai pas de compte")
    await claire.press("Je suis représentant légal")
    await claire.press("Activer mon compte par SMS")
    await claire.send("Martin 😀")
    assert "Ce nom ne semble pas valide" in claire.text
    await claire.send("M4rtin")
    assert "Ce nom ne semble pas valide" in claire.text


async def test_five_misses_end_the_attempt(claire, store):
    await start_sms_activation(claire, mobile="06 00 00 00 00")
    for _ in range(3):
        await claire.send("Martin")
        await claire.send("Claire")
        await claire.send("06 00 00 00 00")
    await claire.send("Martin")
    await claire.send("Claire")
    await claire.send("06 00 00 00 00")
    assert "Merci de contacter l'établissement" in claire.text
    assert "Avez-vous déjà un compte ?" in claire.text


async def test_wrong_codes_are_counted_then_the_code_dies(claire, store):
    await start_sms_activation(claire)
    good = last_code(store, "+33612345678")
    wrong = "000000" if good != "000000" else "111111"
    await claire.send("12ab")
    assert "6 chiffres" in claire.text
    for left in (4, 3, 2, 1):
        await claire.send(wrong)
        # one try left is singular, the others plural (the catalogue's plural entry)
        assert f"Il vous reste {left} essai{'s' if left > 1 else ''}." in claire.text
        assert claire.last.forget_inbound
    await claire.send(wrong)
    assert "Trop d'essais" in claire.text
    await claire.send(good)  # even the right code no longer works
    assert "Trop d'essais" in claire.text
    assert "Saisissez le code" in claire.text


async def test_resend_waits_a_minute_then_sends_a_new_code(claire, store, clock):
    await start_sms_activation(claire)
    first = last_code(store, "+33612345678")
    await claire.press("Renvoyer le code")
    assert "dans" in claire.text and "secondes" in claire.text
    assert len([m for m in store.outbox() if m["kind"] == "sms"]) == 1
    clock.advance(seconds=61)
    await claire.press("Renvoyer le code")
    assert "Un nouveau code vient de vous être envoyé" in claire.text
    assert len([m for m in store.outbox() if m["kind"] == "sms"]) == 2
    second = last_code(store, "+33612345678")
    if first != second:
        await claire.send(first)  # the old code was replaced
        assert "n'est pas le bon" in claire.text
    await claire.send(second)
    assert "Saisie des dates de naissance" in claire.text


async def test_at_most_five_codes_a_day(claire, store, clock):
    await start_sms_activation(claire)
    for _ in range(4):
        clock.advance(seconds=61)
        await claire.press("Renvoyer le code")
    clock.advance(seconds=61)
    await claire.press("Renvoyer le code")
    assert "5 par jour" in claire.text
    assert len([m for m in store.outbox() if m["kind"] == "sms"]) == 5


async def test_expired_code(claire, store, clock):
    await start_sms_activation(claire)
    code = last_code(store, "+33612345678")
    clock.advance(minutes=31)
    await claire.send(code)
    assert "Ce code a expiré" in claire.text


async def test_birth_dates_wrong_impossible_and_flagged(claire, store):
    await start_sms_activation(claire)
    await claire.send(last_code(store, "+33612345678"))
    assert "Enfant 1 sur 2 : Lucas" in claire.text
    await claire.send("31/02/2012")
    assert "n'existe pas" in claire.text
    await claire.send("15/05/2012")
    assert "ne correspond pas" in claire.text and "Il vous reste 4 essais." in claire.text
    await claire.send("14 mai 2012")
    assert "Enfant 2 sur 2 : Emma" in claire.text
    await claire.press("Je ne suis pas le représentant légal de cet élève")
    assert "L'établissement en sera informé" in claire.text
    assert "Votre identifiant : c.martin1" in claire.text
    assert store.flagged_links("R-CLAIRE") == {"E-EMMA"}
    assert [e["action"] for e in store.audit_entries("E-EMMA")] == ["link_flagged"]


async def test_five_wrong_birth_dates_send_to_the_school(claire, store):
    await start_sms_activation(claire)
    await claire.send(last_code(store, "+33612345678"))
    for _ in range(5):
        await claire.send("01/01/2012")
    assert "Merci de contacter l'établissement" in claire.text
    assert "Collège Jean Moulin — tél. 04 72 00 00 00" in claire.text
    assert "Avez-vous déjà un compte ?" in claire.text
    assert store.account_of(AccountKind.GUARDIAN, "R-CLAIRE") is None


async def test_weak_and_mismatched_passwords(claire, store):
    await start_sms_activation(claire)
    await claire.send(last_code(store, "+33612345678"))
    await claire.send("14/05/2012")
    await claire.send("02/09/2016")
    await claire.send("motdepasse")
    assert "n'est pas assez robuste" in claire.text and "au moins une majuscule" in claire.text
    assert claire.last.forget_inbound
    await claire.send(CLAIRE_PASSWORD)
    assert "Confirmation du mot de passe" in claire.text
    await claire.send(CLAIRE_PASSWORD + "x")
    assert "ne sont pas identiques" in claire.text
    await claire.send(CLAIRE_PASSWORD)
    await claire.send(CLAIRE_PASSWORD)
    assert "Le compte est activé" in claire.text
    account = store.account_of(AccountKind.GUARDIAN, "R-CLAIRE")
    assert account.status == "active"
    assert CLAIRE_PASSWORD not in account.password_hash
    assert account.password_hash.startswith("$argon2id$")


async def test_an_active_account_cannot_be_activated_again(claire, karim, store):
    await activate_claire(claire, store)
    other = Driver(claire.engine, "another-phone")
    await start_sms_activation(other)
    assert "Un compte est déjà activé" in other.text
    assert "Indiquez votre identifiant" in other.text


# ---- identifier and temporary password -------------------------------------------------------------

async def test_guardian_without_mobile_uses_the_temporary_password(engine, store):
    sophie = Driver(engine, "sophie")
    await sophie.open()
    await sophie.press("Je n'ai pas de compte")
    await sophie.press("Je suis représentant légal")
    await sophie.press("Je ne souhaite pas utiliser de téléphone portable")
    assert "mot de passe provisoire" in sophie.text
    await sophie.press("J'ai un identifiant et un mot de passe provisoire")
    await sophie.send("s.bernard1")
    await sophie.send("Provisoire-Bernard-2026")
    assert "doit être remplacé" in sophie.text
    await sophie.send("Sophie-Bernard-2026!")
    await sophie.send("Sophie-Bernard-2026!")
    assert "Enfant 1 sur 1 : Léa" in sophie.text
    await sophie.send("20/01/2012")
    assert "Le compte est activé" in sophie.text
    account = store.account_by_identifier("s.bernard1")
    assert account.status == "active" and account.temp_password_hash is None
    await sophie.send("/deconnexion")
    await log_in(sophie, "s.bernard1", "Provisoire-Bernard-2026")  # no longer valid
    assert "Identifiant ou mot de passe incorrect" in sophie.text
    await log_in(sophie, "s.bernard1", "Sophie-Bernard-2026!")
    assert "Bienvenue Sophie Bernard" in sophie.text


async def test_temporary_password_expires_after_three_months(engine, store, clock):
    clock.advance(days=92)
    sophie = Driver(engine, "sophie")
    await log_in(sophie, "s.bernard1", "Provisoire-Bernard-2026")
    assert "n'est plus valable (3 mois)" in sophie.text


async def test_student_reads_own_file_only(engine, store, claire):
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    lucas = Driver(engine, "lucas")
    await lucas.open()
    await lucas.press("Je n'ai pas de compte")
    await lucas.press("Je suis élève")
    assert "je contacte mon établissement" in lucas.text
    await lucas.press("J'ai un identifiant et un mot de passe provisoire")
    await lucas.send("l.martin1")
    await lucas.send("Provisoire-Lucas-2026")
    await lucas.send("Lucas-Martin-2026!")
    await lucas.send("Lucas-Martin-2026!")
    assert "Le compte est activé" in lucas.text  # no birth dates for a student
    await lucas.press("Orientation")
    assert "Lucas Martin (3e B)" in lucas.text
    assert "Modifier les intentions" not in lucas.labels
    await lucas.press("Consulter les intentions")
    assert "en consultation pour l'autre représentant légal et l'élève" in lucas.text


async def test_login_locks_after_five_failures(claire, store, clock):
    await activate_claire(claire, store)
    await claire.send("/deconnexion")
    for _ in range(4):
        await log_in(claire, "c.martin1", "Mauvais-Mot-2026!")
        assert "Identifiant ou mot de passe incorrect" in claire.text
    await log_in(claire, "c.martin1", "Mauvais-Mot-2026!")
    assert "bloqué pendant 15 minutes" in claire.text and "11:15" in claire.text  # Paris time
    await log_in(claire, "c.martin1", CLAIRE_PASSWORD)
    assert "bloqué pendant 15 minutes" in claire.text
    clock.advance(minutes=16)
    await log_in(claire, "c.martin1", CLAIRE_PASSWORD)
    assert "Bienvenue Claire Martin" in claire.text


async def test_unknown_identifier_gets_the_same_answer(claire):
    await log_in(claire, "x.inconnu9", "Quelconque-2026!")
    assert "Identifiant ou mot de passe incorrect" in claire.text
    await claire.send("/start")
    await claire.press("J'ai un compte")
    await claire.send("Pas Un Identifiant !")
    assert "s'écrit en minuscules" in claire.text


# ---- services menu ---------------------------------------------------------------------------------

async def test_services_menu(claire, store):
    await activate_claire(claire, store)
    await claire.press("Mon compte")
    assert "Identifiant : c.martin1" in claire.text and "06 12 34 56 78" in claire.text
    assert "claire.martin@example.org" in claire.text
    await claire.press("Retour au menu")
    await claire.press("Contact")
    assert "Collège Jean Moulin — tél. 04 72 00 00 00 — college.jean-moulin@example.org" in claire.text
    assert "École élémentaire Victor Hugo" in claire.text
    await claire.press("Retour au menu")
    await claire.press("Affectation après la 3e")
    assert "portail Scolarité Services" in claire.text
    await claire.press("Orientation")  # one child in 3e: straight to Lucas
    assert "Lucas Martin (3e B)" in claire.text and "Emma" not in claire.text


async def test_several_children_in_3e_pick_the_child(engine, store):
    thi = Driver(engine, "thi")
    await activate(thi, store, "Nguyen", "Thi", "06 11 22 33 44",
                   ["03/07/2012", "03/07/2012"], "Thi-Nguyen-2026!")
    await thi.press("Orientation")
    assert thi.labels[:2] == ["Hugo Nguyen (3e A)", "Jade Nguyen (3e C)"]
    await thi.press("Jade Nguyen")
    assert "Jade Nguyen (3e C)" in thi.text
    await thi.press("Changer d'élève")
    await thi.press("Hugo Nguyen")
    assert "Hugo Nguyen (3e A)" in thi.text


async def test_overseas_family_sees_its_own_time_zone(engine, store):
    marie = Driver(engine, "marie")
    await activate(marie, store, "Petit", "Marie José", "+596 696 12 34 56",
                   ["30/11/2011"], "Marie-Petit-2026!")
    await marie.press("Orientation")
    assert "Noah Petit (3e 2)" in marie.text
    assert "Saisie des intentions provisoires : ouverte jusqu'au 06/12/2026" in marie.text


# ---- step 1 ----------------------------------------------------------------------------------------

async def test_add_reorder_remove_cancel_and_validate(claire, store):
    await activate_claire(claire, store)
    await claire.press("Orientation")
    await claire.press("Saisir les intentions")
    await claire.press("Valider")
    assert "Vous devez obligatoirement saisir une intention" in claire.text
    await claire.press("Ajouter une intention")
    await claire.press("2de générale")
    assert "Intention 1 : 2de générale et technologique ou 2de STHR" in claire.text
    await claire.press("Ajouter une intention")
    assert "2de générale" not in " ".join(claire.labels)  # each voie once
    await claire.press("1re année de CAP")
    await claire.press("Passer")
    await claire.press("Continuer")
    await claire.press("Ajouter une intention")
    await claire.press("2de professionnelle")
    await claire.send("x" * 101)
    assert "100 caractères au plus" in claire.text
    await claire.send("Cuisinier")
    await claire.press("☐ Sous statut d'apprenti")
    await claire.press("Continuer")
    assert "Ajouter une intention" not in claire.labels  # three is the most
    await claire.press("Intention 3")
    await claire.press("Monter")
    assert "L'intention est maintenant au rang 2" in claire.text
    assert claire.labels[1] == "Intention 2 : 2de professionnelle"
    await claire.press("Intention 1")
    assert "Métier ou formation" not in claire.labels  # nothing more for 2de GT
    await claire.press("Supprimer")
    await claire.press("Annuler")
    assert "n'ont pas été enregistrées" in claire.text
    assert store.requests("E-LUCAS", Step.INTENTIONS) is None  # nothing saved until validated
    assert store.outbox() == [m for m in store.outbox() if m["kind"] == "sms"]


async def test_validation_saves_audits_and_confirms_by_email(claire, store):
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    assert "Modification possible jusqu'au 06/12/2026" in claire.text
    audit = store.audit_entries("E-LUCAS")
    assert [e["action"] for e in audit] == ["requests_validated"]
    mails = [m for m in store.outbox() if m["kind"] == "email"]
    assert [m["recipient"] for m in mails] == ["claire.martin@example.org"]
    assert "Intention 2 : 2de professionnelle" in mails[0]["body"]
    await claire.press("Modifier")
    await claire.press("Intention 2")
    await claire.press("Monter")
    await claire.press("Valider")
    saved = store.requests("E-LUCAS", Step.INTENTIONS)
    assert [i.voie for i in saved.items] == [Voie.PRO, Voie.CAP]
    assert [e["action"] for e in store.audit_entries("E-LUCAS")] == [
        "requests_validated", "requests_modified"]


async def test_single_editor_even_when_both_edit_at_once(claire, karim, store):
    await activate_claire(claire, store)
    await activate_karim(karim, store)
    await karim.press("Orientation")
    await karim.press("Saisir les intentions")
    await karim.press("Ajouter une intention")
    await karim.press("2de générale")
    await enter_seed_intentions(claire)  # Claire validates first
    await karim.press("Valider")
    assert "Un seul des représentants légaux" in karim.text
    saved = store.requests("E-LUCAS", Step.INTENTIONS)
    assert saved.editor_guardian_id == "R-CLAIRE" and len(saved.items) == 2


async def test_read_only_after_the_closing_date(claire, store, clock):
    clock.now = datetime(2026, 12, 6, 22, 40, tzinfo=UTC)  # 23:40 in Paris, the last evening
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    await claire.press("Modifier")
    clock.advance(minutes=25)  # 00:05 on 07/12 in Paris: closed while the draft was open
    await claire.press("Valider")
    assert "Le service est fermé depuis le 06/12/2026" in claire.text
    await claire.send("/menu")
    await claire.send("/deconnexion")
    await log_in(claire, "c.martin1", CLAIRE_PASSWORD)
    await claire.press("Orientation")
    assert "Modifier les intentions" not in claire.labels
    assert "consultation seule jusqu'au 13/12/2026" in claire.text


async def test_before_the_window_opens(claire, store, clock):
    clock.advance(days=-40)
    await activate_claire(claire, store)
    await claire.press("Orientation")
    assert "la saisie des intentions provisoires ouvrira le 30/10/2026" in claire.text
    assert "Saisir les intentions" not in claire.labels


# ---- the recap when the session ends -----------------------------------------------------------

async def test_recap_to_both_guardians_when_the_editor_logs_out(claire, karim, store):
    await activate_karim(karim, store)  # Karim's chat is bound: he gets the recap there
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    before = len(store.outbox())
    await claire.send("/deconnexion")
    new = store.outbox()[before:]
    assert sorted((m["kind"], m["recipient"]) for m in new) == [
        ("email", "claire.martin@example.org"), ("push", "test:karim")]
    assert all("Ebéniste" in m["body"] for m in new)
    await log_in(claire, "c.martin1", CLAIRE_PASSWORD)
    await claire.send("/deconnexion")  # no validation in this session: no recap
    assert len(store.outbox()) == before + 2


async def test_idle_session_ends_after_thirty_minutes_with_the_recap(claire, engine, store, clock):
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    clock.advance(minutes=29)
    assert engine.end_idle_sessions() == 0
    clock.advance(minutes=2)
    assert engine.end_idle_sessions() == 1
    assert any(m["kind"] == "email" and "récapitulatif" in m["subject"] for m in store.outbox())
    assert store.bound_account("test", "claire") is None
    await claire.press("Modifier")  # a button of the old session
    assert "Votre session a pris fin après 30 minutes d'inactivité" in claire.text
    assert "Avez-vous déjà un compte ?" in claire.text


async def test_idle_session_found_on_the_next_message(claire, store, clock):
    await activate_claire(claire, store)
    clock.advance(minutes=31)
    await claire.press("Orientation")
    assert "Votre session a pris fin" in claire.text
    assert store.bound_account("test", "claire") is None


# ---- the opinion and its acknowledgement ------------------------------------------------------

async def opinion_published(claire, karim, store, clock):
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    await activate_karim(karim, store)
    clock.advance(days=15)
    council.record(store, "E-LUCAS", [Avis.FAVORABLE, Avis.RESERVE], Voie.GT,
                   "Sans objet.", clock())
    for driver, password in ((claire, CLAIRE_PASSWORD), (karim, "Karim-Martin-2026?")):
        await driver.send("/menu")
        await log_in(driver, driver.engine.store.account_of(
            AccountKind.GUARDIAN, "R-CLAIRE" if driver is claire else "R-KARIM").identifier,
            password)
        await driver.press("Orientation")
        await driver.press("Avis provisoire du conseil de classe")


async def test_opinion_shows_the_seed_fields(claire, karim, store, clock):
    await opinion_published(claire, karim, store, clock)
    assert "Intention 1 : 1re année de CAP\nMétier ou formation demandé : Ebéniste\n" \
           "Statut scolaire demandé\nAvis favorable" in claire.text
    assert "Avis réservé" in claire.text
    assert "Recommandation du conseil de classe pour une voie d'orientation non demandée par " \
           "les représentants légaux : 2de générale et technologique ou 2de STHR" in claire.text
    assert "Sans objet." in claire.text


async def test_leaving_without_acknowledging_asks_first(claire, karim, store, clock):
    await opinion_published(claire, karim, store, clock)
    for command, lands_on in (("/menu", "Veuillez choisir un service"),
                              ("/annuler", "Veuillez choisir un service")):
        await claire.send(command)
        assert "êtes-vous sûr de vouloir quitter cette page ?" in claire.text
        assert claire.labels == ["OK", "Annuler"]
        await claire.press("OK")
        assert lands_on in claire.text
        await claire.press("Orientation")
        await claire.press("Avis provisoire du conseil de classe")
    await claire.send("/deconnexion")
    await claire.press("OK")
    assert "Vous êtes déconnecté(e)" in claire.text
    assert store.acknowledgement("E-LUCAS", Step.INTENTIONS) is None


async def test_acknowledgement_by_the_editor_only_and_once(claire, karim, store, clock):
    await opinion_published(claire, karim, store, clock)
    assert "J'ai bien pris connaissance" not in " ".join(karim.labels)
    assert "fait par le représentant légal qui a saisi les intentions" in karim.text
    await karim.press("Retour")  # nothing to confirm for him
    assert "SERVICE EN LIGNE ORIENTATION" in karim.text
    await claire.press("Valider")
    assert "Cochez d'abord la case" in claire.text
    await claire.press("☐ J'ai bien pris connaissance")
    await claire.press("☒ J'ai bien pris connaissance")  # unticked again
    await claire.press("☐ J'ai bien pris connaissance")
    await claire.press("Valider")
    assert "accusé réception de l'avis provisoire du conseil de classe le 14/12." in claire.text
    ack = store.acknowledgement("E-LUCAS", Step.INTENTIONS)
    assert (ack.guardian_id, ack.at) == ("R-CLAIRE", clock())
    assert store.audit_entries("E-LUCAS")[-1]["action"] == "opinion_acknowledged"
    await claire.press("Retour")  # acknowledged: leaves without asking
    assert "accusé de réception le 14/12/2026" in claire.text


async def test_no_opinion_before_publication(claire, store):
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    await claire.press("Retour à l'accueil")
    assert "Avis provisoire du conseil de classe" not in claire.labels


# ---- bad input, stale buttons, commands ------------------------------------------------------------

async def test_stale_and_forged_buttons_change_nothing(claire, store):
    await activate_claire(claire, store)
    await claire.press("Orientation")
    old = claire.last
    await claire.press("Saisir les intentions")
    await claire.choose(old.flat_buttons[0].data)  # from the previous screen
    assert "Ce choix n'est plus valable" in claire.text
    assert "Nous souhaitons pour la rentrée prochaine" in claire.text
    for forged in ("1.validate", "zz.voie:gt", "", "x" * 64, "7.child:99", "🙂"):
        await claire.choose(forged)
        assert "Ce choix n'est plus valable" in claire.text
    assert store.requests("E-LUCAS", Step.INTENTIONS) is None


async def test_a_button_of_another_chat_is_refused(claire, karim, store):
    await activate_claire(claire, store)
    await activate_karim(karim, store)
    await claire.press("Orientation")
    await karim.choose(claire.last.flat_buttons[0].data)
    assert "Ce choix n'est plus valable" in karim.text or "Veuillez choisir" in karim.text
    assert store.requests("E-LUCAS", Step.INTENTIONS) is None


@pytest.mark.parametrize("junk", ["", "   ", "\x00\x07", "x" * 5000, "😀😀😀", "/inconnue",
                                  "'; DROP TABLE accounts; --"])
async def test_junk_text_gets_an_answer(claire, store, junk):
    await claire.open()
    reply = await claire.send(junk)
    assert reply.text and "Avez-vous déjà un compte ?" in reply.text
    assert len(store.db.table_names()) > 5


async def test_labels_typed_as_text_work_as_buttons(claire):
    await claire.open()
    await claire.send("je n'ai pas de compte")
    assert "Je suis représentant légal" in claire.labels


async def test_commands(claire, store):
    await claire.open()
    await claire.send("/aide")
    assert "Commandes : /menu" in claire.text
    await claire.send("/deconnexion")
    assert "Vous n'étiez pas connecté(e)" in claire.text
    await activate_claire(claire, store)
    await claire.press("Orientation")
    await claire.press("Saisir les intentions")
    await claire.press("Ajouter une intention")
    await claire.press("1re année de CAP")
    await claire.send("/menu")
    assert "n'ont pas été enregistrées" in claire.text and "Veuillez choisir" in claire.text
    await claire.send("/start")
    assert "Veuillez choisir un service" in claire.text


async def test_redelivered_update_has_no_second_effect(engine, store, claire):
    await activate_claire(claire, store)
    await claire.press("Orientation")
    data = next(b.data for b in claire.last.flat_buttons if b.label == "Saisir les intentions")
    first = await engine.handle(Inbound("test", "claire", choice=data, message_id="u-1"))
    again = await engine.handle(Inbound("test", "claire", choice=data, message_id="u-1"))
    assert first and again == []


async def test_screens_replace_on_buttons_and_forget_secrets(claire, store):
    reply = await claire.open()
    reply = await claire.press("J'ai un compte")
    assert reply.replace_last and not reply.forget_inbound
    reply = await claire.send("c.martin1")
    assert not reply.replace_last and not reply.forget_inbound
    reply = await claire.send("Un-Mot-De-Passe-1")
    assert reply.forget_inbound


async def test_a_family_never_sees_another_family(claire, engine, store):
    await activate_claire(claire, store)
    await claire.press("Orientation")
    await claire.press("Saisir les intentions")
    # A forged child index or a crafted conversation cannot reach another student.
    conv = store.conversation("test", "claire")
    conv.data["student"] = "E-LEA"
    with store.transaction():
        store.save_conversation(conv)
    await claire.send("/aide")
    assert "Léa" not in claire.text and "Bernard" not in claire.text
    assert "Veuillez choisir un service" in claire.text
    assert timedelta(0) == timedelta(0)


async def test_publication_notifies_each_guardian_on_their_channel(claire, karim, store, clock):
    await activate_claire(claire, store)  # bound chat: told there
    await enter_seed_intentions(claire)
    # Karim has no account: told by SMS on his mobile.
    council.record(store, "E-LUCAS", [Avis.FAVORABLE, Avis.FAVORABLE], None, "", clock())
    told = sorted((m["kind"], m["recipient"]) for m in store.outbox()
                  if m["dedupe_key"] and m["dedupe_key"].startswith("notify:"))
    assert told == [("push", "test:claire"), ("sms", "+33798765432")]
    assert all("l'avis provisoire du conseil de classe pour Lucas est publié" in m["body"]
               for m in store.outbox() if m["dedupe_key"] and m["dedupe_key"].startswith("notify:"))
