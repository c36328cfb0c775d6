"""The dialogue: every state and transition of the bot, declared as data on one `transitions` machine.

The machine is built once at import. A conversation is not attached to it: the engine fires an
event's trigger on the conversation object directly, which costs microseconds (attaching a model
costs about a hundred). Triggers are button actions ("voie", "validate"…), "text" for free text,
and "cmd_*" for the commands that work everywhere.
"""

from __future__ import annotations

from transitions import Machine

from ..texts import has
from . import access as a
from . import orientation as o
from . import proposal as p
from . import screens
from .context import Ctx
from .table import branch, flatten, on

ANONYMOUS_STATES = (
    "welcome", "who", "rl_intro", "nophone_intro", "student_intro",
    "act_nom", "act_prenom", "act_mobile", "act_code", "act_birth", "act_password",
    "act_password2", "login_id", "login_pw",
)
SIGNED_IN_STATES = (
    "menu", "account", "contact", "child", "home", "req_edit", "req_voie", "req_item",
    "req_metier", "req_statut", "req_done", "req_view", "opinion", "opinion_leave",
    "proposal", "proposal_confirm",
)
# States whose free-text input is a password or a code: the channel deletes that message.
SECRET_STATES = frozenset({"act_code", "act_password", "act_password2", "login_pw"})
# States that ask for the person's mobile number, which a channel may offer to share.
CONTACT_STATES = frozenset({"act_mobile"})
# States that need a chosen child.
STUDENT_STATES = frozenset(SIGNED_IN_STATES) - {"menu", "account", "contact", "child"}
ACTIVATION = ["act_nom", "act_prenom", "act_mobile", "act_code", "act_birth", "act_password",
              "act_password2"]
COMMANDS = {"/start": "cmd_start", "/menu": "cmd_menu", "/annuler": "cmd_cancel",
            "/deconnexion": "cmd_logout", "/aide": "cmd_help"}

SCREENS = {state: getattr(screens, state) for state in ANONYMOUS_STATES + SIGNED_IN_STATES}


def signed_in(ctx: Ctx) -> bool:
    return ctx.account_id is not None


def say(key: str):
    def notice(ctx: Ctx) -> None:
        ctx.notice(key)
    return notice


def drop_edits(ctx: Ctx) -> None:
    if "draft" in ctx.data:
        ctx.notice("requests.cancelled")
    a.reset_to_start(ctx)


def cancel_everything(ctx: Ctx) -> None:
    a.reset_to_start(ctx)
    ctx.notice("cancelled")


def show_help(ctx: Ctx) -> None:
    key = f"help.{ctx.conv.state}"
    ctx.notice(key if has(key) else "help.generic")
    ctx.notice("help.commands")


def leave_opinion(ctx: Ctx) -> str:
    destination = o.leave_to(ctx)
    if destination == "logout":
        a.log_out(ctx)
    return destination


def _confirm_leaving(trigger: str, destination: str) -> dict:
    return on(trigger, "opinion", "opinion_leave", when=o.must_confirm_leave,
              do=o.remember_leave_to(destination))


BIRTH_OUTCOMES = {"next": None, "retry": None, "password": "act_password", "done": "menu",
                  "stop": "welcome"}

TRANSITIONS = flatten([
    # Leaving the opinion unacknowledged asks first; these come before the general rules.
    _confirm_leaving("back", "home"),
    _confirm_leaving("cmd_menu", "menu"),
    _confirm_leaving("cmd_start", "menu"),
    _confirm_leaving("cmd_cancel", "menu"),
    _confirm_leaving("cmd_logout", "logout"),
    # Commands, in every state.
    on("cmd_start", "*", "menu", when=signed_in, do=drop_edits),
    on("cmd_start", "*", "welcome", do=drop_edits),
    on("cmd_menu", "*", "menu", when=signed_in, do=drop_edits),
    on("cmd_menu", "*", "welcome", do=drop_edits),
    on("cmd_cancel", "*", "menu", when=signed_in, do=cancel_everything),
    on("cmd_cancel", "*", "welcome", do=cancel_everything),
    on("cmd_logout", "*", "welcome", do=a.log_out),
    on("cmd_help", "*", None, do=show_help),
    # Welcome and the ways to an account.
    on("login", "welcome", "login_id"),
    on("noaccount", "welcome", "who"),
    on("guardian", "who", "rl_intro"),
    on("student", "who", "student_intro"),
    on("back", "who", "welcome"),
    on("sms", "rl_intro", "act_nom", do=a.begin_sms_activation),
    on("nophone", "rl_intro", "nophone_intro"),
    on("back", "rl_intro", "who"),
    on("temp", ["nophone_intro", "student_intro"], "login_id"),
    on("back", "nophone_intro", "rl_intro"),
    on("back", "student_intro", "who"),
    on("cancel", ACTIVATION, "welcome", do=cancel_everything),
    # Activation by SMS code.
    branch("text", "act_nom", a.take_nom, {"ok": "act_prenom", "retry": None}),
    branch("text", "act_prenom", a.take_prenom, {"ok": "act_mobile", "retry": None}),
    branch("text", "act_mobile", a.take_mobile,
           {"sent": "act_code", "retry": None, "nomatch": "act_nom", "active": "login_id",
            "stop": "welcome"}),
    branch("text", "act_code", a.take_code, {"ok": "act_birth", "retry": None}),
    branch("resend", "act_code", a.resend_code, {"ok": None, "stop": "welcome"}),
    branch("text", "act_birth", a.take_birth_date, BIRTH_OUTCOMES),
    branch("notrl", "act_birth", a.flag_not_guardian, BIRTH_OUTCOMES),
    branch("text", "act_password", a.take_password, {"ok": "act_password2", "retry": None}),
    branch("text", "act_password2", a.take_password_confirmation,
           {"mismatch": "act_password", "birth": "act_birth", "done": "menu"}),
    # Log in (also with a temporary password from the school).
    branch("text", "login_id", a.take_identifier, {"ok": "login_pw", "retry": None}),
    on("back", ["login_id", "login_pw"], "welcome"),
    branch("text", "login_pw", a.take_login_password,
           {"ok": "menu", "temp": "act_password", "wrong": "login_id", "locked": "welcome"}),
    # Services.
    branch("orientation", "menu", o.open_orientation,
           {"one": "home", "several": "child", "none": None}),
    on("account", "menu", "account"),
    on("contact", "menu", "contact"),
    on("affectation", "menu", None, do=say("portal.affectation")),
    on("fiche", "menu", None, do=say("portal.fiche")),
    on("logout", ["menu", "account"], "welcome", do=a.log_out),
    on("back", ["account", "contact", "child"], "menu"),
    branch("child", "child", o.pick_child, {"ok": "home", "retry": None}),
    # Orientation home.
    branch("edit", ["home", "req_done", "req_view"], o.begin_edit,
           {"ok": "req_edit", "refused": None}),
    on("view", "home", "req_view", do=o.set_step),
    branch("opinion", "home", o.open_opinion, {"ok": "opinion", "none": None}),
    on("special", "home", None, do=say("orientation.special_cases")),
    branch("proposal", "home", p.open_proposal, {"ok": "proposal", "none": None}),
    on("children", "home", "child"),
    on("back", "home", "menu"),
    # Steps 1 and 2: entering the intentions, then the choix définitifs.
    on("copy", "req_edit", None, do=o.copy_intentions),
    branch("add", "req_edit", o.may_add, {"ok": "req_voie", "refused": None}),
    branch("item", "req_edit", o.select_item, {"ok": "req_item", "refused": None}),
    on("cancel", "req_edit", "home", do=o.cancel_edit),
    branch("validate", "req_edit", o.validate, {"ok": "req_done", "refused": None}),
    branch("voie", "req_voie", o.choose_voie,
           {"gt": "req_edit", "pro": "req_metier", "refused": None}),
    on("back", "req_voie", "req_edit"),
    on("up", "req_item", "req_edit", do=o.move_up),
    on("down", "req_item", "req_edit", do=o.move_down),
    on("metier", "req_item", "req_metier"),
    on("statut", "req_item", "req_statut"),
    on("remove", "req_item", "req_edit", do=o.remove_item),
    on("back", "req_item", "req_edit"),
    branch("text", "req_metier", o.take_metier, {"ok": "req_statut", "retry": None}),
    on("keep", "req_metier", "req_statut"),
    on("clear", "req_metier", None, do=o.clear_metier),
    on("onisep", "req_metier", None, do=say("help.onisep")),
    on("st", "req_statut", None, do=o.toggle_statut),
    on("statut_help", "req_statut", None, do=say("help.statut")),
    on("done", "req_statut", "req_edit"),
    on("back", ["req_done", "req_view"], "home"),
    # The council's opinion and its acknowledgement.
    on("tick", "opinion", None, do=o.toggle_ack_box),
    branch("validate", "opinion", o.acknowledge, {"ok": None, "refused": None}),
    on("back", "opinion", "home"),
    branch("ok", "opinion_leave", leave_opinion,
           {"home": "home", "menu": "menu", "logout": "welcome"}),
    on("cancel", "opinion_leave", "opinion"),
    # Step 3: the council's proposals, the family's final answer, the decision.
    branch("agree", "proposal", p.prepare_answer(True), {"ok": "proposal_confirm", "refused": None}),
    branch("disagree", "proposal", p.prepare_answer(False),
           {"ok": "proposal_confirm", "refused": None}),
    on("back", "proposal", "home"),
    branch("confirm", "proposal_confirm", p.give_answer, {"ok": "proposal", "refused": "proposal"}),
    on("cancel", "proposal_confirm", "proposal", do=p.drop_answer),
])

MACHINE = Machine(model=None, states=list(SCREENS), transitions=TRANSITIONS, initial="welcome",
                  auto_transitions=False, send_event=True)
TRIGGERS = {state: frozenset(MACHINE.get_triggers(state)) for state in SCREENS}
