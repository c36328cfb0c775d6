"""The seed's example end to end by SMS, through the real webhook (uvicorn on loopback, httpx,
requests signed as the gateway signs them), reading what the bot sends back through the SMS gateway
double (what `TwilioSms` posts): Claire's activation by SMS code, two intentions, validation and
recap, the council's opinion and its acknowledgement. Karim, the other guardian, has his phone
bound too, and gets the recap by SMS when Claire logs out."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.sms.segments import count
from flows.rules.model import Avis, Step, Voie
from flows.school import results as council

from ..sms_support import CLAIRE_PHONE, KARIM_PHONE, QUIET_NOW, code_in, running_sms_bot
from ..support import CLAIRE_PASSWORD, KARIM_PASSWORD, Clock


def assert_fits(texts: list[str]) -> None:
    for text in texts:
        measured = count(text)
        assert measured.encoding == "GSM-7" and measured.segments <= 2, (measured, text)


async def activate(phone, nom: str, prenom: str, mobile: str, password: str) -> list[str]:
    """The activation by SMS code, from the phone whose number is on file."""
    assert "Avez-vous déjà un compte ÉduConnect ?" in await phone.text("Bonjour")
    assert "1 Je suis représentant légal" in await phone.text("2")
    assert "Activez votre compte par SMS" in await phone.text("1")
    assert "Nom ?" in await phone.text("1")
    assert "Prénom ?" in await phone.text(nom)
    assert "Numéro de portable ?" in await phone.text(prenom)
    sent = await phone.send(mobile)
    assert any(text.startswith("Scolarité Services : votre code d'activation ÉduConnect est ")
               for text in sent), sent
    assert "Un code d'activation vous a été envoyé par SMS au ** ** ** ** " in sent[-1]
    answer = await phone.text(code_in(sent))
    assert "Dates de naissance de vos enfants" in answer and "Enfant 1 sur 2 : Lucas" in answer
    assert "Enfant 2 sur 2 : Emma" in await phone.text("14/05/2012")
    answer = await phone.text("02/09/2016")
    assert "Votre identifiant : " in answer and "Effacez ensuite votre SMS" in answer
    assert "Saisissez à nouveau" in await phone.text(password)
    return await phone.send(password)


async def test_seed_example_by_sms(tmp_path):
    clock = Clock(QUIET_NOW)
    async with running_sms_bot(tmp_path, clock) as bot:
        claire, karim = bot.phone(CLAIRE_PHONE), bot.phone(KARIM_PHONE)
        everything: list[str] = []

        # Claire activates her account by SMS code, from her own phone.
        answer = await activate(claire, "Martin", "Claire", "06 12 34 56 78", CLAIRE_PASSWORD)
        joined = "\n".join(answer)
        assert "Le compte est activé, vous pouvez accéder aux services." in joined
        assert "Bienvenue Claire Martin. Choisissez un service :" in joined
        assert "1 Orientation\n2 Mon compte\n3 Contact\n4 Affectation après la 3e\n" in joined
        assert joined.endswith("Répondez 1, 2, 3, 4, 5 ou 6")

        # Karim activates his too (his phone stays bound to his account).
        answer = await activate(karim, "MARTIN", "karim", "07 98 76 54 32", KARIM_PASSWORD)
        assert "Bienvenue Karim Martin" in "\n".join(answer)

        # Step 1: two intentions, answered by numbers and by words.
        answer = await claire.text("orientation")
        assert "Orientation - Lucas Martin (3e B)" in answer
        assert "Intentions provisoires : saisie ouverte jusqu'au 06/12/2026." in answer
        assert "1 Saisir les intentions" in answer
        assert "Rien n'est enregistré avant de valider" in await claire.text("1")
        assert "Choisissez une voie" in await claire.text("Ajouter une intention")
        assert "Métier ou formation qui intéresse votre enfant" in await claire.text("3")
        answer = await claire.text("Ebéniste")
        assert "1 [ ] Sous statut scolaire\n2 [ ] Sous statut d'apprenti" in answer
        assert "1 [x] Sous statut scolaire" in await claire.text("1")
        answer = await claire.text("continuer")
        assert "1 Intention 1 : 1re année de CAP" in answer
        await claire.text("ajouter")
        await claire.text("2de professionnelle")
        await claire.text("Menuisier, charpentier")
        await claire.text("1")
        answer = await claire.text("4")
        assert "2 Intention 2 : 2de professionnelle" in answer

        # Validation and its recap.
        validated = await claire.send("VALIDER")
        everything += validated
        assert len(validated) == 2, validated  # the recap, then the confirmation with the options
        assert validated[0] == ("Intention 1 : 1re année de CAP\nMétier ou formation : Ebéniste\n"
                                "Sous statut scolaire\n\nIntention 2 : 2de professionnelle\n"
                                "Métier ou formation : Menuisier, charpentier\nSous statut scolaire")
        assert validated[1].startswith("Vos intentions ont bien été validées.")
        assert validated[1].endswith("1 Modifier\n2 Retour à l'accueil\nRépondez 1 ou 2")
        saved = bot.app.store.requests("E-LUCAS", Step.INTENTIONS)
        assert [item.metier for item in saved.items] == ["Ebéniste", "Menuisier, charpentier"]

        # Logging out sends the recap to both guardians: Karim's phone, bound, gets it by SMS.
        assert "Choisissez un service" in await claire.text("menu")
        assert "Vous avez été déconnecté(e)" in await claire.text("Se déconnecter")
        recap = await karim.received()
        assert len(recap) == 1 and recap[0].startswith(
            "Récapitulatif des intentions provisoires de Lucas Martin (validées le 29/11/2026) :")
        assert "Intention 2 : 2de professionnelle" in recap[0]
        assert "Ebéniste" not in "\n".join(await claire.received())

        # Two weeks later the council's opinion is published; Claire's phone is told.
        clock.advance(days=15)
        council.record(bot.app.store, "E-LUCAS", [Avis.FAVORABLE, Avis.RESERVE], Voie.GT,
                       "Résultats fragiles en mathématiques.", clock())
        await bot.settled()
        for phone in (claire, karim):
            notified = await phone.received()
            assert len(notified) == 1 and "avis provisoire du conseil de classe pour Lucas est " \
                "publié" in notified[0], notified

        # Claire logged out: she logs in again with her identifier and password.
        assert "Avez-vous déjà un compte" in await claire.text("MENU")
        assert "Indiquez votre identifiant" in await claire.text("J'ai un compte")
        assert "mot de passe" in await claire.text("c.martin1")
        assert "Bienvenue Claire Martin" in await claire.text(CLAIRE_PASSWORD)
        answer = await claire.text("1")
        assert "Avis du conseil de classe publié.\nAccusé de réception attendu au plus tard le" in answer
        opinion = await claire.send("avis")
        everything += opinion
        shown = "\n".join(opinion)
        assert "AVIS PROVISOIRE D'ORIENTATION" in shown
        assert "Intention 1 : 1re année de CAP\nMétier : Ebéniste\nStatut scolaire\nAvis favorable" \
            in shown
        assert "Avis réservé" in shown
        assert "Recommandation du conseil : 2de générale et technologique ou 2de STHR" in shown
        assert "Motivations : Résultats fragiles en mathématiques." in shown
        assert "1 [ ] J'ai bien pris connaissance de l'avis provisoire" in shown

        # The acknowledgement: tick, then validate.
        assert "1 [x] J'ai bien pris connaissance" in await claire.text("1")
        done = await claire.send("2")
        everything += done
        ack_day = (QUIET_NOW + timedelta(days=15)).strftime("%d/%m")
        assert ("Vous avez pris connaissance et accusé réception de l'avis provisoire du conseil de "
                f"classe le {ack_day}.") in "\n".join(done)
        assert bot.app.store.acknowledgement("E-LUCAS", Step.INTENTIONS) is not None

        # Karim's phone stayed bound to his account: two weeks on, no password is asked.
        answer = await karim.text("Bonjour")
        assert answer.startswith("Votre session précédente a pris fin.\n\nBienvenue Karim Martin.")

        # Everything the bot sent fits in 2 segments each, in the GSM alphabet.
        assert_fits(everything + bot.sent_to(CLAIRE_PHONE) + bot.sent_to(KARIM_PHONE))
        assert bot.app.engine.internal_errors == 0
