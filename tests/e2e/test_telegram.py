"""The bot on Telegram, through each transport, against the Bot API double over real HTTP.

The double checks every call against the Bot API facts; any violation fails the test.
"""

from __future__ import annotations

import pytest

from flows.rules.model import Avis, Step, Voie
from flows.school import results as council

from ..botapi.double import BotApiDouble
from ..support import CLAIRE_PASSWORD, KARIM_PASSWORD, Clock
from ..telegram_support import CLAIRE, KARIM, last_code, running_bot

SEED_RECAP = ("Intention 1 : 1re année de CAP\nMétier ou formation : Ebéniste\nSous statut scolaire"
              "\n\nIntention 2 : 2de professionnelle\nMétier ou formation : Menuisier, charpentier\n"
              "Sous statut scolaire")
TRANSPORTS = ["ptb", "httpx"]


@pytest.fixture
def double():
    with BotApiDouble() as server:
        yield server


class Person:
    """One Telegram user talking to the bot through the double."""

    def __init__(self, double: BotApiDouble, user_id: int, first_name: str) -> None:
        self.double, self.user_id, self.first_name = double, user_id, first_name

    def answers(self) -> int:
        """How many calls the bot has made to this person's chat (its polls are for no chat)."""
        return sum(1 for call in self.double.calls
                   if str(call.params.get("chat_id")) == str(self.user_id))

    async def say(self, text: str) -> str:
        before = self.answers()
        self.double.send_text(self.user_id, text, first_name=self.first_name)
        return await self.screen(before)

    def last_screen(self) -> dict:
        """The last bot message with buttons: pushes (notices, reminders) may arrive in between."""
        return next(m for m in reversed(self.double.visible_messages(self.user_id))
                    if m["sender"] == "bot" and m["buttons"])

    async def tap(self, label: str) -> str:
        screen = self.last_screen()
        matches = [b for b in screen["buttons"] if b.startswith(label)]
        assert len(matches) == 1, f"{label!r} not in {screen['buttons']}"
        before = self.answers()
        self.double.press(self.user_id, label=matches[0], message_id=screen["message_id"])
        return await self.screen(before)

    async def screen(self, answers_before: int | None = None) -> str:
        """The screen once the bot has answered: its first call to this chat since the action, then
        quiet. Waiting for quiet alone would take a slow engine step (a password's hash on a loaded
        machine) for the end of the answer."""
        if answers_before is not None:
            await self.double.wait_for(lambda _: self.answers() > answers_before, timeout=30)
        await self.double.wait_idle()
        return self.last_screen()["text"]


async def activate(person: Person, app, name: str, mobile_typed: str | None, e164: str,
                   password: str) -> str:
    await person.say("/start")
    await person.tap("Je n'ai pas de compte")
    await person.tap("Je suis représentant légal")
    await person.tap("Activer mon compte par SMS")
    await person.say("Martin")
    await person.say(name)
    assert person.double.last_bot_message(person.user_id)["text"].startswith(
        "Vous pouvez aussi partager votre numéro")
    assert "N° de téléphone portable ?" in person.last_screen()["text"]
    assert person.double.reply_keyboard(person.user_id) == [["Partager mon numéro"]]
    if mobile_typed is None:
        before = person.answers()
        person.double.share_contact(person.user_id, e164.lstrip("+"))
        await person.screen(before)
    else:
        await person.say(mobile_typed)
    await person.say(last_code(app, e164))
    await person.say("14/05/2012")
    screen = await person.say("02/09/2016")
    await person.say(password)
    menu = await person.say(password)
    assert "Le compte est activé" in menu, menu
    return screen


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_seed_example_through_telegram(double, tmp_path, transport, capsys):
    clock = Clock()
    async with running_bot(double, tmp_path, transport, clock) as app:
        claire, karim = Person(double, CLAIRE, "Claire"), Person(double, KARIM, "Karim")
        screen = await claire.say("/start")
        assert "Avez-vous déjà un compte ?" in screen
        welcome_id = double.last_bot_message(CLAIRE)["message_id"]
        await claire.tap("Je n'ai pas de compte")
        edited = double.last_bot_message(CLAIRE)
        assert edited["message_id"] == welcome_id and edited["edited"]  # edited in place

        # Claire shares her own contact for the mobile number.
        identifier_screen = await activate(claire, app, "Claire", None, "+33612345678",
                                           CLAIRE_PASSWORD)
        assert "Votre identifiant : c.martin1" in identifier_screen
        await double.wait_for(lambda d: all(m["status"] == "sent" for m in app.store.outbox()))
        printed = capsys.readouterr().out  # the embedded default prints the SMS
        assert "[SMS → +33612345678] Scolarité Services : votre code d'activation" in printed
        deleted = [m["text"] for m in double.deleted_user_messages(CLAIRE)]
        assert last_code(app, "+33612345678") in deleted
        assert deleted.count(CLAIRE_PASSWORD) == 2  # password messages removed once read

        await claire.tap("Orientation")
        await claire.tap("Saisir les intentions")
        await claire.tap("Ajouter une intention")
        await claire.tap("1re année de CAP")
        await claire.say("Ebéniste")
        await claire.tap("☐ Sous statut scolaire")
        await claire.tap("Continuer")
        await claire.tap("Ajouter une intention")
        await claire.tap("2de professionnelle")
        await claire.say("Menuisier, charpentier")
        await claire.tap("☐ Sous statut scolaire")
        await claire.tap("Continuer")
        recap = await claire.tap("Valider")
        assert recap.startswith("Nous souhaitons pour la rentrée prochaine :\n\n" + SEED_RECAP)
        assert "Vos intentions ont bien été validées." in recap
        assert "Vous êtes déconnecté(e)." in await claire.say("/deconnexion")

        # Karim types his number, and sees the intentions read-only.
        identifier_screen = await activate(karim, app, "Karim", "07 98 76 54 32", "+33798765432",
                                           KARIM_PASSWORD)
        assert "Votre identifiant : k.martin1" in identifier_screen
        await karim.tap("Orientation")
        assert "Modifier les intentions" not in karim.last_screen()["buttons"]
        read_only = await karim.tap("Consulter les intentions")
        assert SEED_RECAP in read_only and "Seul le représentant ayant saisi" in read_only

        clock.advance(days=15)
        council.record(app.store, "E-LUCAS", [Avis.FAVORABLE, Avis.FAVORABLE], Voie.GT,
                       "Sans objet.", clock())
        # Claire is told in the chat she used, although her session ended.
        await double.wait_for(lambda d: any(
            "l'avis provisoire du conseil de classe pour Lucas est publié" in (m["text"] or "")
            for m in d.visible_messages(CLAIRE)))
        await claire.say("/start")
        await claire.tap("J'ai un compte")
        await claire.say("c.martin1")
        await claire.say(CLAIRE_PASSWORD)
        await claire.tap("Orientation")
        opinion = await claire.tap("Avis provisoire du conseil de classe")
        assert "Avis favorable" in opinion and "Sans objet." in opinion
        leave = await claire.tap("Retour à l'accueil Orientation")
        assert leave == ("Vous n'avez pas validé l'accusé de réception, êtes-vous sûr de vouloir "
                         "quitter cette page ?")
        assert claire.last_screen()["buttons"] == ["OK", "Annuler"]
        await claire.tap("Annuler")
        await claire.tap("☐ J'ai bien pris connaissance")
        done = await claire.tap("Valider")
        assert ("Vous avez pris connaissance et accusé réception de l'avis provisoire du conseil "
                "de classe le 14/12.") in done
        assert app.store.acknowledgement("E-LUCAS", Step.INTENTIONS).guardian_id == "R-CLAIRE"

    double.assert_no_violations()
    assert double.unanswered_callbacks() == []
    published = {tuple(c["command"] for c in call["commands"])
                 for call in double.calls_of("setMyCommands")}
    assert published == {("start", "menu", "aide", "annuler", "deconnexion")}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_bad_input_over_telegram(double, tmp_path, transport):
    async with running_bot(double, tmp_path, transport, Clock()) as app:
        claire = Person(double, CLAIRE, "Claire")
        await claire.say("/start")
        before = claire.answers()
        double.send_sticker(CLAIRE)
        assert "Je ne lis que les messages écrits" in await claire.screen(before)
        before = claire.answers()
        double.send_photo(CLAIRE)
        assert "Je ne lis que les messages écrits" in await claire.screen(before)
        before = claire.answers()
        message = double.send_text(CLAIRE, "bonjour")["message"]
        await claire.screen(before)
        before = claire.answers()
        double.edit_text(CLAIRE, message["message_id"], "autre chose")
        assert "Les messages modifiés ne sont pas pris en compte" in await claire.screen(before)
        assert "trop long" in await claire.say("x" * 5000)

        double.send_in_group(CLAIRE, -5000, "/start")
        group = await double.wait_for(lambda d: d.last_bot_message(-5000))
        await double.wait_idle()
        assert group["text"].startswith("Je ne réponds qu'en conversation privée")
        assert app.store.conversation("telegram", "-5000") is None

        await claire.tap("Je n'ai pas de compte")
        await claire.tap("Je suis représentant légal")
        await claire.tap("Activer mon compte par SMS")
        name_screen = double.last_bot_message(CLAIRE)["message_id"]
        await claire.say("Martin")  # the name screen stays above, with its own "Annuler"
        before = claire.answers()
        double.press(CLAIRE, label="Annuler", message_id=name_screen)
        assert "Ce choix n'est plus valable" in await claire.screen(before)
        assert "Prénom ?" in double.last_bot_message(CLAIRE)["text"]

        last = double.last_bot_message(CLAIRE)["message_id"]
        before = claire.answers()
        forged = double.inject_raw({"callback_query": {
            "id": "forged-1", "chat_instance": "x", "data": "9.login",
            "from": {"id": CLAIRE, "is_bot": False, "first_name": "Claire"},
            "message": {"message_id": last, "date": 0, "chat": {"id": CLAIRE, "type": "private"},
                        "text": "…"}}})
        assert "Ce choix n'est plus valable" in await claire.screen(before)

        calls_before = len(double.calls)
        double.redeliver(forged["update_id"])  # the same update twice: no second effect
        await double.wait_idle()
        assert [c.method for c in double.calls[calls_before:]
                if c.method != "getUpdates"] == []
        before = claire.answers()
        double.share_contact(CLAIRE, "33700000000", contact_user_id=4242)  # someone else's
        assert "votre propre numéro" in await claire.screen(before)

    double.assert_no_violations()
    assert double.unanswered_callbacks() == []


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_rate_limits_errors_and_time_outs_lose_nothing(double, tmp_path, transport):
    async with running_bot(double, tmp_path, transport, Clock(), timeout=2.0):
        def shows(text: str):
            return double.wait_for(lambda d: text in d.last_bot_message(CLAIRE)["text"])

        await Person(double, CLAIRE, "Claire").say("/start")
        double.fail_next("editMessageText", status=429, retry_after=1)
        double.press(CLAIRE, label="Je n'ai pas de compte")
        await shows("Vous n'avez pas encore de compte")  # waited, then delivered
        double.fail_next("editMessageText", status=500, count=2)
        double.press(CLAIRE, label="Je suis représentant légal")
        await shows("Je suis représentant légal d'élève")  # retried after two 500s
        double.fail_next("getUpdates", status=502, count=2)
        double.hang_next("editMessageText", seconds=3)  # longer than the client's time-out
        double.press(CLAIRE, label="Activer mon compte par SMS")
        await shows("Nom ?")
        double.send_text(CLAIRE, "Martin")
        await shows("Prénom ?")  # the bot still runs
        statuses = [c.status for c in double.calls if c.method == "editMessageText"]
        assert 429 in statuses and 500 in statuses
    double.assert_no_violations()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_each_chat_in_order_chats_concurrently(double, tmp_path, transport):
    async with running_bot(double, tmp_path, transport, Clock()):
        inputs = ["/aide", "bonjour", "/deconnexion", "x" * 1500, "/start"]
        expected = ["Commandes : /menu", "Je n'ai pas compris", "Vous n'étiez pas connecté(e)",
                    "trop long", "Avez-vous déjà un compte ?"]
        users = [CLAIRE, KARIM, 1003]
        for text in inputs:  # all at once, interleaved between chats
            for user in users:
                double.send_text(user, text)
        await double.wait_for(
            lambda d: len(d.calls_of("sendMessage", ok_only=True)) >= len(inputs) * len(users),
            timeout=20)
        await double.wait_idle()
        for user in users:
            answers = [c["text"] for c in double.calls_of("sendMessage", ok_only=True)
                       if c["chat_id"] in (user, str(user))]
            assert len(answers) == len(inputs)
            for answer, fragment in zip(answers, expected, strict=True):
                assert fragment in answer
    double.assert_no_violations()


def test_the_person_s_language_reaches_the_engine():
    from bot.channels.telegram.channel import parse
    sender = {"id": 7, "language_code": "en"}
    chat = {"id": 7, "type": "private"}
    message = parse({"update_id": 1, "message": {"message_id": 3, "chat": chat, "from": sender,
                                                 "text": "/start"}})
    pressed = parse({"update_id": 2, "callback_query": {
        "id": "q", "from": sender, "data": "1.x", "message": {"message_id": 4, "chat": chat}}})
    assert message.inbound.language == pressed.inbound.language == "en"
