"""The SMS channel's own rules, on the engine and a real SQLite file (no HTTP): who may text, numbers
kept bound, answers by number or by word, keywords, STOP and START, redeliveries, bad input, and the
wording of what is pushed to a number (composed in the `sms` profile)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.sms.channel import CHANNEL, SmsChannel
from bot.channels.sms.segments import count
from bot.runtime import reminders as planner
from flows import texts
from flows.options import words
from flows.rules.model import DecisionSource, Step, Voie
from flows.school import results as council
from flows.sessions import choose, keyword
from flows.texts import t

from ..sms_support import CLAIRE_PHONE, KARIM_PHONE, STRANGER_PHONE, THI_PHONE, DirectPhone, new_sid
from ..states import MARTIN, NGUYEN, leaked_tokens
from ..support import (
    CLAIRE_PASSWORD,
    KARIM_PASSWORD,
    Driver,
    activate_claire,
    activate_karim,
    enter_seed_intentions,
    last_code,
)

CLAIRE_DATES = ["14/05/2012", "02/09/2016"]
D7_PARIS = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)  # 08:00 in Paris: the first reminders are due


@pytest.fixture
def channel(engine, store, clock) -> SmsChannel:
    return SmsChannel(engine, store, clock, reply="twiml")


@pytest.fixture
def claire(channel) -> DirectPhone:
    return DirectPhone(channel, CLAIRE_PHONE)


async def claire_at_menu(claire: DirectPhone) -> None:
    await claire.activate("Martin", "Claire", "06 12 34 56 78", CLAIRE_DATES, CLAIRE_PASSWORD)


def fits(texts: list[str]) -> bool:
    return all(count(text).segments <= 2 and count(text).encoding == "GSM-7" for text in texts)


def sms_rows(store, number: str) -> list[dict]:
    return [m for m in store.outbox() if m["kind"] == "sms" and m["recipient"] == number]


# ---- who may text ------------------------------------------------------------------------------

async def test_an_unknown_number_gets_one_neutral_answer_a_day(channel, store, clock):
    stranger = DirectPhone(channel, STRANGER_PHONE)
    first = await stranger.send("Bonjour, je suis Claire Martin, 06 12 34 56 78")
    assert first == [t("sms.channel.unknown")] and fits(first)
    assert await stranger.send("1") == []  # once a day: an automatic responder gets no ping-pong
    assert await stranger.send("MENU") == []
    clock.advance(days=1)
    assert await stranger.send("Bonjour") == [t("sms.channel.unknown")]
    assert store.conversation(CHANNEL, STRANGER_PHONE) is None
    assert store.outbox() == []  # nothing else leaves for it (the answer is inline here)


async def test_a_sender_that_is_not_a_number_is_not_answered(channel, store):
    assert await channel.receive("SCOLARITE", "Bonjour", new_sid()) == []
    assert await channel.receive("", "Bonjour", new_sid()) == []
    assert store.conversation(CHANNEL, "SCOLARITE") is None


async def test_the_number_of_another_family_cannot_reach_this_family(channel, store):
    """Thi's phone (on file for the Nguyen family) tries to activate Claire's account: the code goes
    to Claire's number on file, never to Thi's, and nothing of the Martin family is shown."""
    thi = DirectPhone(channel, THI_PHONE)
    answers = [await thi.text(text) for text in
               ("Bonjour", "2", "1", "1", "Martin", "Claire", "06 12 34 56 78")]
    assert "Un code d'activation vous a été envoyé par SMS au ** ** ** ** 78" in answers[-1]
    assert sms_rows(store, CLAIRE_PHONE) and not sms_rows(store, THI_PHONE)
    code = last_code(store, CLAIRE_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    answers.append(await thi.text(wrong))
    assert "Ce code n'est pas le bon" in answers[-1]
    answers.append(await thi.text("14/05/2012"))  # not a code: still asked for one
    typed = ["Martin", "Claire", "06 12 34 56 78", "14/05/2012"]
    for answer in answers:
        assert leaked_tokens(answer, NGUYEN, typed, store) == [], answer
    assert store.bound_account(CHANNEL, THI_PHONE) is None


async def test_nothing_personal_before_the_proof(channel, store):
    """Until the code sent to the number on file is typed, the answers name nobody."""
    claire = DirectPhone(channel, CLAIRE_PHONE)
    answers = [await claire.text(text) for text in ("Bonjour", "2", "1", "1", "Martin", "Claire",
                                                    "06 12 34 56 78", "MENU", "aide")]
    for answer in answers:
        assert not {"Lucas", "Emma", "c.martin1", "Jean Moulin"} & set(answer.replace(".", " ")
                                                                       .split()), answer


# ---- numbers kept bound ------------------------------------------------------------------------

async def test_the_number_stays_bound_after_the_session_ends(channel, claire, store, clock):
    await claire_at_menu(claire)
    clock.advance(minutes=31)  # the session ends (idle): the next SMS opens the menu again
    answer = await claire.text("2")  # an answer to the old screen: not read as one
    assert answer.startswith("Votre session précédente a pris fin.\n\nBienvenue Claire Martin.")
    assert store.conversation(CHANNEL, CLAIRE_PHONE).state == "menu"
    clock.advance(days=20)
    channel.engine.end_idle_sessions()  # the minute's sweep ended it this time
    assert "Bienvenue Claire Martin" in await claire.text("MENU")
    # Logging out ends it: the next SMS is the welcome.
    assert "Vous avez été déconnecté(e)" in await claire.text("Se déconnecter")
    assert store.sms_trusted_account(CLAIRE_PHONE) is None
    assert "Avez-vous déjà un compte" in await claire.text("Bonjour")


async def test_an_idle_session_ends_with_its_recap_before_the_menu_opens_again(channel, claire,
                                                                               store, clock):
    await claire_at_menu(claire)
    for text in ("1", "1", "ajouter", "2de générale", "valider"):
        await claire.text(text)
    assert store.requests("E-LUCAS", Step.INTENTIONS) is not None
    clock.advance(hours=2)
    assert "Votre session précédente a pris fin" in await claire.text("menu")
    recaps = [m for m in store.outbox() if (m["dedupe_key"] or "").startswith("recap:")]
    assert recaps  # the session ended as a log-out does: the recap left


async def test_logging_in_from_another_person_s_number_is_for_the_session_only(channel, claire,
                                                                              store, clock):
    await claire_at_menu(claire)
    await claire.text("Se déconnecter")
    karim = DirectPhone(channel, KARIM_PHONE)  # Karim's phone, with Claire's identifier and password
    for text in ("Bonjour", "1", "c.martin1"):
        await karim.text(text)
    assert "Bienvenue Claire Martin" in await karim.text(CLAIRE_PASSWORD)
    assert store.sms_trusted_account(KARIM_PHONE) is None
    account = store.bound_account(CHANNEL, KARIM_PHONE)
    assert store.latest_chat(account) != (CHANNEL, KARIM_PHONE)  # her messages do not go there
    clock.advance(minutes=31)
    assert "Avez-vous déjà un compte" in await karim.text("menu")


# ---- answers: numbers, words, keywords ---------------------------------------------------------

def test_words_and_keywords():
    assert words("  Retour à l'accueil ! ") == "retour a l accueil"
    assert [keyword(text) for text in ("STOP", " stop ", "Arrêt", "start", "AIDE", "Menu", "annuler",
                                       "stop please", "/menu", "menu ?")] == [
        "stop", "stop", "stop", "start", "aide", "menu", "annuler", None, "menu", "menu"]


def test_choosing_an_option():
    offered = [["1.a", "edit", "Saisir les intentions"], ["1.b", "special", "Situations particulières"],
               ["1.c", "back", "Retour à l'accueil Orientation"]]
    assert choose("2", offered, False) == "1.b"
    assert choose(" 3. ", offered, False) == "1.c"
    assert choose("4", offered, False) is None
    assert choose("SITUATIONS PARTICULIERES", offered, False) == "1.b"
    assert choose("retour à l'accueil", offered, False) == "1.c"  # the SMS label
    assert choose("retour", offered, False) == "1.c"  # the start of one option
    assert choose("retour", offered, True) is None  # not where free text is expected
    assert choose("re", offered, False) is None  # too short to say
    assert choose("menu", offered, False) is None


async def test_keywords_in_any_case(channel, claire, store):
    await claire_at_menu(claire)
    for text in ("aide", "Aide", "AIDE"):
        answer = await claire.text(text)
        assert "Mots-clés : MENU" in answer and "Bienvenue Claire Martin" in answer
    await claire.text("orientation")
    assert "Choisissez un service" in await claire.text("MeNu")
    await claire.text("1")
    await claire.text("1")
    await claire.text("ajouter")
    await claire.text("1")  # a first intention, not validated
    assert store.conversation(CHANNEL, CLAIRE_PHONE).state == "req_edit"
    # "Annuler" is an option of this screen: the option wins over the keyword.
    answer = await claire.text("ANNULER")
    assert "Vos modifications non validées n'ont pas été enregistrées." in answer
    assert store.conversation(CHANNEL, CLAIRE_PHONE).state == "home"
    # Where no option says it, ANNULER is the keyword.
    await claire.text("1")
    await claire.text("ajouter")
    answer = await claire.text("annuler")
    assert store.conversation(CHANNEL, CLAIRE_PHONE).state == "menu", answer


# ---- STOP and START ----------------------------------------------------------------------------

async def test_stop_during_a_dialogue(channel, claire, store, clock):
    await claire_at_menu(claire)
    for text in ("1", "1", "ajouter", "1"):
        await claire.text(text)
    before = store.conversation(CHANNEL, CLAIRE_PHONE)
    assert before.state == "req_edit" and before.data["draft"]
    answer = await claire.send("STOP")
    assert answer == [t("sms.channel.stop")] and fits(answer)
    after = store.conversation(CHANNEL, CLAIRE_PHONE)
    assert (after.state, after.data) == (before.state, before.data)  # the dialogue goes on as it was
    assert store.sms_opted_out(CLAIRE_PHONE)
    assert "Vos intentions ont bien été validées" in await claire.text("valider")
    # STOP is kept: no reminder by SMS to this number; the chat of another guardian is not concerned.
    clock.now = D7_PARIS + timedelta(days=1)
    planned = planner.plan(store, D7_PARIS)
    assert all(CLAIRE_PHONE not in (r.recipient, r.recipient.partition(":")[2]) for r in planned)
    assert store.sms_opted_out(CLAIRE_PHONE)
    # START opts back in.
    assert await claire.send("start") == [t("sms.channel.start")]
    assert not store.sms_opted_out(CLAIRE_PHONE)


async def test_the_planner_skips_opted_out_numbers_only_by_sms(channel, store):
    planned = {r.guardian_id: r for r in planner.plan(store, D7_PARIS)}
    assert planned["R-KARIM"].recipient == KARIM_PHONE
    assert await DirectPhone(channel, KARIM_PHONE).send("Stop") == [t("sms.channel.stop")]
    planned = {r.guardian_id: r for r in planner.plan(store, D7_PARIS)}
    assert "R-KARIM" not in planned and "R-CLAIRE" in planned and "R-THI" in planned
    await DirectPhone(channel, KARIM_PHONE).send("START")
    assert "R-KARIM" in {r.guardian_id for r in planner.plan(store, D7_PARIS)}


async def test_a_conversation_held_by_sms_is_reminded_by_sms_unless_stopped(channel, claire, store):
    await claire_at_menu(claire)  # her last log-in is this SMS conversation
    planned = {r.guardian_id: r for r in planner.plan(store, D7_PARIS)}
    assert (planned["R-CLAIRE"].kind, planned["R-CLAIRE"].recipient) == ("push", f"sms:{CLAIRE_PHONE}")
    await claire.send("STOP")
    assert "R-CLAIRE" not in {r.guardian_id for r in planner.plan(store, D7_PARIS)}


async def test_the_activation_code_is_sent_after_stop(channel, store):
    """The person asked for it: STOP stops reminders, not the code of an activation."""
    karim = DirectPhone(channel, KARIM_PHONE)
    await karim.send("STOP")
    await karim.activate("Martin", "Karim", "07 98 76 54 32", CLAIRE_DATES, KARIM_PASSWORD)
    assert sms_rows(store, KARIM_PHONE)
    assert store.sms_opted_out(KARIM_PHONE)


# ---- redeliveries ------------------------------------------------------------------------------

async def test_a_message_delivered_twice_has_no_second_effect(channel, claire, store):
    await claire_at_menu(claire)
    sid = new_sid()
    assert "Orientation - Lucas Martin" in await claire.text("1", sid=sid)
    state = store.conversation(CHANNEL, CLAIRE_PHONE)
    assert await claire.send("1", sid=sid) == []
    assert store.conversation(CHANNEL, CLAIRE_PHONE) == state
    stop = new_sid()
    assert await claire.send("STOP", sid=stop)
    await claire.send("START")
    assert await claire.send("STOP", sid=stop) == []  # an old STOP delivered again changes nothing
    assert not store.sms_opted_out(CLAIRE_PHONE)
    stranger = DirectPhone(channel, STRANGER_PHONE)
    first = new_sid()
    assert await stranger.send("x", sid=first)
    assert await stranger.send("x", sid=first) == []


async def test_answers_by_the_outbox_are_queued_once(engine, store, clock):
    channel = SmsChannel(engine, store, clock, reply="outbox")
    claire = DirectPhone(channel, CLAIRE_PHONE)
    sid = new_sid()
    assert await claire.send("Bonjour", sid=sid) == []  # nothing inline: queued
    rows = sms_rows(store, CLAIRE_PHONE)
    assert [r["dedupe_key"] for r in rows] == [f"sms:reply:{sid}:0"]
    assert "Avez-vous déjà un compte ÉduConnect ?" in rows[0]["body"]
    await claire.send("Bonjour", sid=sid)
    assert len(sms_rows(store, CLAIRE_PHONE)) == 1


# ---- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("", "Votre message est vide. Répondez par le numéro d'une option (ou AIDE)."),
    ("   ", "Votre message est vide."),
    ("x" * 1000, "Je n'ai pas compris. Répondez par le numéro d'une option (ou AIDE)."),
    ("x" * 1001, "Message trop long (1000 caractères au plus). Rien n'a été modifié."),
    ("😀👍", "Je n'ai pas compris."),
    ("\x00\x1b\u200b\r\n", "Votre message est vide."),
    ("7", "Je n'ai pas compris."),
    ("0", "Je n'ai pas compris."),
    ("/inconnu", "Je n'ai pas compris."),
])
async def test_bad_input_leaves_everything_as_it_was(channel, claire, store, text, expected):
    await claire_at_menu(claire)
    await claire.text("1")
    before = store.conversation(CHANNEL, CLAIRE_PHONE)
    answer = await claire.send(text)
    assert expected in "\n".join(answer) and fits(answer)
    assert "Orientation - Lucas Martin" in "\n".join(answer)  # the screen again, below
    after = store.conversation(CHANNEL, CLAIRE_PHONE)
    assert after.state == before.state == "home"
    assert {k: v for k, v in after.data.items() if k not in ("seq", "offered")} == {
        k: v for k, v in before.data.items() if k not in ("seq", "offered")}
    assert channel.engine.internal_errors == 0


async def test_bad_input_in_a_state_that_takes_text(channel, claire, store):
    await claire.text("Bonjour")
    for text in ("2", "1", "1"):
        await claire.text(text)
    assert "Ce nom ne semble pas valide" in await claire.text("😀")
    assert "Ce nom ne semble pas valide" in await claire.text("x" * 1000)
    assert "Message trop long" in await claire.text("x" * 1001)
    assert "Votre message est vide" in await claire.text("")
    assert store.conversation(CHANNEL, CLAIRE_PHONE).state == "act_nom"


async def test_a_picture_is_not_read(channel, claire):
    await claire.text("Bonjour")
    assert "Je ne lis que le texte des SMS" in await claire.text("", media=True)


async def test_every_answer_of_a_whole_journey_fits(channel, claire, store):
    await claire.activate("Martin", "Claire", "06 12 34 56 78", CLAIRE_DATES, CLAIRE_PASSWORD)
    answers: list[str] = []
    for text in ("1", "1", "ajouter", "3", "Ebéniste", "1", "qu'est-ce que c'est ?", "4",
                 "ajouter", "2", "", "Menuisier", "1", "2", "4", "1", "monter", "1", "3",
                 "où trouver des idées ?", "2", "valider", "2", "consulter", "retour", "2",
                 "aide", "/deconnexion"):
        answers += await claire.send(text)
    for sms in answers:
        assert fits([sms]), sms
    assert leaked_tokens("\n".join(answers), MARTIN, [], store) == []
    assert channel.engine.internal_errors == 0


# ---- steps 2 and 3 by SMS ----------------------------------------------------------------------

CHOICES = datetime(2026, 11, 29, 10, 0, tzinfo=UTC) + timedelta(days=43)
ANSWERS = CHOICES + timedelta(days=35)


async def _choices_validated(claire: DirectPhone, clock, answers: list[str]) -> None:
    await claire_at_menu(claire)
    for text in ("1", "1", "ajouter", "3", "Ebéniste", "1", "4", "ajouter", "2", "Menuisier", "1",
                 "4", "valider"):
        answers += await claire.send(text)
    clock.now = CHOICES
    for text in ("menu", "orientation", "Saisir les choix définitifs",
                 "Reprendre mes intentions provisoires", "valider"):
        answers += await claire.send(text)
    assert "Vos choix définitifs ont bien été validés" in "\n".join(answers[-2:])


async def test_choices_proposals_and_the_decision_by_sms(channel, claire, store, clock):
    answers: list[str] = []
    await _choices_validated(claire, clock, answers)
    assert [i.metier for i in store.requests("E-LUCAS", Step.CHOIX).items] == ["Ebéniste", "Menuisier"]
    clock.now = ANSWERS
    council.record_proposals(store, "E-LUCAS", [(Voie.PRO, ""), (Voie.CAP, "Ebéniste")], clock())
    for text in ("menu", "orientation", "proposition", "pas d'accord", "confirmer", "d'accord",
                 "confirmer"):
        answers += await claire.send(text)
    decision = store.decision("E-LUCAS")
    assert (decision.voie, decision.source) == (Voie.CAP, DecisionSource.FAMILY)
    assert "DÉCISION D'ORIENTATION : 1re année de CAP" in answers[-1]
    assert fits(answers), [a for a in answers if not fits([a])]
    assert channel.engine.internal_errors == 0


async def test_the_head_s_decision_and_the_appeal_by_sms(channel, claire, store, clock):
    answers: list[str] = []
    await _choices_validated(claire, clock, answers)
    clock.now = ANSWERS
    council.record_proposals(store, "E-LUCAS", [(Voie.PRO, "")], clock())
    for text in ("menu", "orientation", "proposition", "2", "1"):
        answers += await claire.send(text)
    assert "Le chef d'établissement vous recevra" in "\n".join(answers[-2:])
    council.record_decision(store, "E-LUCAS", Voie.GT, "", clock())
    for text in ("menu", "orientation", "proposition"):
        answers += await claire.send(text)
    assert "commission d'appel" in "\n".join(answers[-2:])
    assert fits(answers), [a for a in answers if not fits([a])]


# ---- one event, one transaction ----------------------------------------------------------------

def count_transactions(store, monkeypatch) -> list[bool]:
    """Record each `store.transaction()` entered from now on (True: an outer one, committed alone)."""
    entered: list[bool] = []
    original = store.transaction

    def counted():
        entered.append(not store.conn.in_transaction)
        return original()

    monkeypatch.setattr(store, "transaction", counted)
    return entered


@pytest.mark.parametrize("reply", ["twiml", "outbox"])
async def test_resuming_a_kept_session_is_one_transaction(engine, store, clock, monkeypatch, reply):
    await claire_at_menu(DirectPhone(SmsChannel(engine, store, clock, reply="twiml"), CLAIRE_PHONE))
    claire = DirectPhone(SmsChannel(engine, store, clock, reply=reply), CLAIRE_PHONE)
    clock.advance(minutes=31)  # the session ended: the number stays bound
    entered = count_transactions(store, monkeypatch)
    await claire.send("2")
    assert store.conversation(CHANNEL, CLAIRE_PHONE).state == "menu"
    assert entered == [True]  # the dedup, the idle end, the resume and the answer in one


# ---- messages composed outside an event, read as SMS: the sms profile ----------------------------

NOTICE = "Avis du conseil pour {prenom} : voir le service Orientation."
REMINDER = "Rappel : intentions de {prenom} a valider avant le {date}."
RECAP = "Intentions de {prenom} {nom} ({date}) :\n{recap}"


def _po(text: str) -> str:
    """`text` as a .po string's content."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _forget_catalogue() -> None:
    for cached in (texts._load, texts.catalogue, texts.language_of, texts._related):
        cached.cache_clear()


@pytest.fixture
def sms_wording(tmp_path, monkeypatch):
    """The real catalogue plus SMS variants given by the test (no pushed text has one today)."""
    def add(variants: dict[str, str]) -> None:
        po = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
        po.parent.mkdir(parents=True)
        extra = "".join(f'\nmsgid "sms.{key}"\nmsgstr "{_po(text)}"\n' for key, text in variants.items())
        po.write_text(texts._path("fr").read_text(encoding="utf-8") + extra, encoding="utf-8")
        monkeypatch.setattr(texts, "LOCALE_DIR", tmp_path / "locale")
        _forget_catalogue()

    yield add
    monkeypatch.undo()
    _forget_catalogue()


def _bodies(store, prefix: str) -> dict[str, str]:
    return {m["recipient"]: m["body"] for m in store.outbox()
            if (m["dedupe_key"] or "").startswith(prefix)}


async def test_notices_read_as_sms_take_their_sms_wording(sms_wording, channel, claire, engine,
                                                          store, clock):
    sms_wording({"notify.opinion": NOTICE})
    await claire_at_menu(claire)  # her last log-in: this SMS conversation
    await activate_karim(Driver(engine, "karim"), store)  # his: a chat of another channel
    with store.transaction():
        council.notify_published(store, store.student("E-LUCAS"), "opinion", clock())
    assert _bodies(store, "notify:") == {f"sms:{CLAIRE_PHONE}": NOTICE.format(prenom="Lucas"),
                                         "test:karim": t("notify.opinion", prenom="Lucas")}


async def test_reminders_read_as_sms_take_their_sms_wording(sms_wording, channel, claire, engine,
                                                            store):
    sms_wording({"remind.intentions": REMINDER})
    await claire_at_menu(claire)
    await activate_karim(Driver(engine, "karim"), store)
    planned = {r.guardian_id: r for r in planner.plan(store, D7_PARIS)}
    date = "06/12/2026"
    assert (planned["R-CLAIRE"].recipient, planned["R-CLAIRE"].body) == (
        f"sms:{CLAIRE_PHONE}", REMINDER.format(prenom="Lucas", date=date))
    assert (planned["R-KARIM"].recipient, planned["R-KARIM"].body) == (
        "test:karim", t("remind.intentions", prenom="Lucas", date=date))
    thi = planned["R-THI"]  # no account: a plain SMS to her mobile
    assert (thi.kind, thi.body) == (
        "sms", REMINDER.format(prenom=store.student(thi.student_id).prenom, date=date))


async def test_the_recap_pushed_to_an_sms_conversation_takes_its_sms_wording(sms_wording, channel,
                                                                             engine, store):
    sms_wording({"push.recap": RECAP, "recap.metier": "Metier : {metier}"})
    karim = DirectPhone(channel, KARIM_PHONE)
    await karim.activate("Martin", "Karim", "07 98 76 54 32", CLAIRE_DATES, KARIM_PASSWORD)
    claire = Driver(engine, "claire")
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    await claire.send("/deconnexion")
    recap = _bodies(store, "recap:")[f"sms:{KARIM_PHONE}"]
    assert recap.startswith("Intentions de Lucas Martin (")
    assert "\nMetier : Ebéniste\n" in recap and "Métier ou formation" not in recap
    assert "Métier ou formation : Ebéniste" in _bodies(store, "recap:")["claire.martin@example.org"]
