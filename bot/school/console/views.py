"""The console's pages: log-in, the follow-up of the classes, a student's file, publishing, the
campaign's settings, imports and the export.

Every page but the log-in needs a session (else: a redirect to the log-in page). Every POST carries
the session's CSRF token (else: 403 and nothing read further). Every query is scoped by the UAI of
the session: a student, a class or anything else of another school is answered 404, with no data.
Roles: `teacher` follows the classes and records the council's opinions and proposals; `head` and
`deputy` also publish, record the head's decision, change the calendar and reminders, and import.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from flows.dialogue.recap import intention_lines
from flows.ports import Store
from flows.rules import decisions
from flows.rules.calendar import WINDOW_ORDER, Calendar, Window, check_order, day_window
from flows.rules.errors import DomainError
from flows.rules.model import Avis, Step, Student, Voie
from flows.rules.reminders import parse_hours, parse_offsets
from flows.school import calendar as school_calendar
from flows.school import followup, results
from flows.school.refusals import Refused
from flows.school.texts import console_text

from .. import csv_input
from . import base_import, csrf, labels
from .auth import LOGIN_COOKIE, SESSION_COOKIE, Auth, Staff, cookie_secure

TEMPLATES = Path(__file__).parent / "templates"
MOTIVATION_MAX_LENGTH = 2000
PASSWORD_MAX_LENGTH = 1024
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
log = logging.getLogger(__name__)

# A page's handler gets the checked form of a POST (an empty one on GET).
Handler = Callable[["Console", Request, Staff, FormData], Awaitable[Response]]

# After a POST, the page it redirects to says what was done (fixed texts, nothing reflected).
DONE = {
    "avis": "L'avis du conseil de classe est enregistré.",
    "propositions": "Les propositions du conseil de classe sont enregistrées.",
    "decision": "La décision d'orientation est enregistrée, publiée, et la famille est prévenue.",
    "calendrier": "Le calendrier de la campagne est enregistré.",
    "relances": "Les relances sont enregistrées.",
}


@dataclass
class FormErrors:
    """Problems of a submitted form: (field id, message), shown at the top and by each field."""

    items: list[tuple[str, str]]

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, field: str, message: str) -> None:
        self.items.append((field, message))

    def of(self, field: str) -> str | None:
        return next((m for f, m in self.items if f == field), None)


def staff_page(*, manage: bool = False) -> Callable[[Handler], Callable]:
    """A page for a logged-in staff member: session, then CSRF on POST, then role."""

    def wrap(handler: Handler) -> Callable:
        async def endpoint(self: Console, request: Request) -> Response:
            staff = self.auth.session(request.cookies.get(SESSION_COOKIE))
            if staff is None:
                return self.to_login(request)
            form = None
            if request.method == "POST":
                form = await self.read_form(request)
                if form is None or not csrf.matches(staff.csrf_token, form.get(csrf.FIELD)):
                    return self.error(request, staff, 403, "Formulaire refusé",
                                      "Ce formulaire a expiré ou ne vient pas de la console. "
                                      "Rechargez la page et recommencez.")
            if manage and not staff.may_manage:
                return self.error(request, staff, 403, "Action réservée",
                                  "Cette action est réservée au chef d'établissement et à son "
                                  "adjoint(e).")
            return await handler(self, request, staff, form if form is not None else FormData())

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


class Console:
    def __init__(self, store: Store, clock: Callable[[], datetime], auth: Auth, *,
                 base: str = "/console", insecure_cookies: bool = False) -> None:
        self.store = store
        self.clock = clock
        self.auth = auth
        self.base = base
        self.insecure_cookies = insecure_cookies
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        env = self.templates.env
        env.globals.update(base=base, labels=labels)
        env.filters["day"] = _day
        env.filters["moment"] = _moment

    # ---- helpers ---------------------------------------------------------------------------------

    async def read_form(self, request: Request) -> FormData | None:
        try:
            return await request.form(max_files=2, max_fields=50)
        except Exception:  # a malformed body (multipart parser errors, limits) is a refused form
            return None

    def render(self, request: Request, name: str, context: dict, staff: Staff | None = None,
               status_code: int = 200) -> Response:
        school = self.store.school(staff.uai) if staff else None
        tz = self.store.calendar(staff.uai).tz if staff else None
        return self.templates.TemplateResponse(
            request, name, {"staff": staff, "school": school, "tz": tz,
                            "csrf": staff.csrf_token if staff else "", **context},
            status_code=status_code)

    def error(self, request: Request, staff: Staff | None, status: int, title: str,
              message: str) -> Response:
        return self.render(request, "error.html", {"title": title, "message": message}, staff,
                           status)

    def not_found(self, request: Request, staff: Staff | None) -> Response:
        return self.error(request, staff, 404, "Page introuvable",
                          "Cette page n'existe pas, ou ne concerne pas votre établissement.")

    def redirect(self, path: str, **params: object) -> Response:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return RedirectResponse(f"{self.base}{path}{'?' + query if query else ''}", status_code=303)

    def to_login(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET" or not self.safe_next(target):
            return self.redirect("/connexion")
        return self.redirect("/connexion", suite=target)

    def safe_next(self, target: str | None) -> str | None:
        """A page of the console to go back to after log-in; nothing else (no open redirect)."""
        if not target or not target.startswith(self.base + "/") or "//" in target \
                or "\\" in target or any(ord(c) < 32 for c in target):
            return None
        return target

    def set_cookie(self, request: Request, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name, value, path=self.base, httponly=True, samesite="strict",
            secure=cookie_secure(request.url.scheme, request.url.hostname or "",
                                 self.insecure_cookies))

    def own_student(self, staff: Staff, student_id: str) -> Student | None:
        student = self.store.student(student_id)
        return student if student is not None and student.uai == staff.uai else None

    def class_of_school(self, staff: Staff, class_name: object) -> str | None:
        if not isinstance(class_name, str) or not class_name:
            return None
        return class_name if class_name in followup.class_names(self.store, staff.uai) else None

    def audit(self, staff: Staff, student_id: str | None, action: str, **detail: object) -> None:
        """Who did it (the log-in name): the council's own audit entries say what was recorded."""
        self.store.audit(self.clock(), None, "console", student_id, action,
                         {"uai": staff.uai, "login": staff.login, **detail})

    # ---- log-in and log-out ----------------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        if self.auth.session(request.cookies.get(SESSION_COOKIE)) is not None:
            return self.redirect("/tableau")
        return self.login_form(request, None, 200)

    def login_form(self, request: Request, message: str | None, status: int,
                   login: str = "", next_page: str | None = None) -> Response:
        token = request.cookies.get(LOGIN_COOKIE, "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token):
            token = csrf.new_token()
        suite = next_page or self.safe_next(request.query_params.get("suite"))
        response = self.render(request, "login.html", {"login_csrf": token, "message": message,
                                                       "login": login, "suite": suite or ""},
                               status_code=status)
        self.set_cookie(request, response, LOGIN_COOKIE, token)
        return response

    async def login(self, request: Request) -> Response:
        form = await self.read_form(request)
        if form is None or not csrf.matches(request.cookies.get(LOGIN_COOKIE), form.get(csrf.FIELD)):
            return self.login_form(request, "Le formulaire a expiré. Saisissez à nouveau votre "
                                            "identifiant et votre mot de passe.", 403)
        login, password = form.get("identifiant"), form.get("mot_de_passe")
        suite = form.get("suite")
        next_page = self.safe_next(suite if isinstance(suite, str) else None)
        if not isinstance(login, str) or not isinstance(password, str) or not login.strip() \
                or not password or len(password) > PASSWORD_MAX_LENGTH or len(login) > 100:
            return self.login_form(request, "Saisissez votre identifiant et votre mot de passe.",
                                   400, login if isinstance(login, str) else "", next_page)
        outcome = await self.auth.log_in(login, password)
        if outcome.busy:
            return self.login_form(request, "Trop de connexions en ce moment. Réessayez dans une "
                                            "minute.", 503, login, next_page)
        if outcome.locked_until is not None:
            until = _moment(outcome.locked_until, outcome.timezone)
            return self.login_form(
                request, f"Ce compte est verrouillé après 5 échecs de connexion, jusqu'au {until}. "
                         f"D'ici là, même le bon mot de passe est refusé.", 403, login, next_page)
        if outcome.token is None:
            return self.login_form(request, "Identifiant ou mot de passe incorrect. Après 5 échecs, "
                                            "le compte est verrouillé pendant 15 minutes.",
                                   401, login, next_page)
        self.auth.forget(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse(next_page or f"{self.base}/tableau", status_code=303)
        self.set_cookie(request, response, SESSION_COOKIE, outcome.token)
        response.delete_cookie(LOGIN_COOKIE, path=self.base, httponly=True, samesite="strict")
        return response

    @staff_page()
    async def logout(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        self.auth.log_out(staff)
        response = self.redirect("/connexion", fait="deconnexion")
        response.delete_cookie(SESSION_COOKIE, path=self.base, httponly=True, samesite="strict",
                               secure=cookie_secure(request.url.scheme, request.url.hostname or "",
                                                    self.insecure_cookies))
        return response

    async def home(self, request: Request) -> Response:
        return self.redirect("/tableau")

    # ---- the follow-up of the classes --------------------------------------------------------------

    @staff_page()
    async def dashboard(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        classes = followup.class_names(self.store, staff.uai)
        wanted = request.query_params.get("classe") or None
        class_name = self.class_of_school(staff, wanted)
        if wanted and class_name is None:
            return self.not_found(request, staff)
        only_pending = request.query_params.get("en_attente") == "1"
        now = self.clock()
        everyone = followup.statuses(self.store, staff.uai, now=now)
        rows = [s for s in everyone if class_name is None or s.class_name == class_name]
        if only_pending:
            rows = [s for s in rows if s.pending]
        summary = []
        for name in classes:
            of_class = [s for s in everyone if s.class_name == name]
            summary.append({
                "name": name, "students": len(of_class),
                "pending": sum(1 for s in of_class if s.pending),
                "unpublished": sum(1 for s in of_class
                                   if s.opinion == "recorded" or s.proposals == "recorded")})
        calendar = self.store.calendar(staff.uai)
        published = request.query_params.get("publie")
        return self.render(request, "dashboard.html", {
            "section": "tableau", "classes": classes, "class_name": class_name,
            "only_pending": only_pending, "rows": rows, "summary": summary,
            "windows": _windows(calendar), "now": now,
            "acknowledged_on": self.store.acknowledgement_dates(staff.uai),
            "published": _published_counts(request) if published == "1" else None},
            staff)

    @staff_page()
    async def export(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        wanted = request.query_params.get("classe") or None
        class_name = self.class_of_school(staff, wanted)
        if wanted and class_name is None:
            return self.not_found(request, staff)
        text = followup.export_csv(self.store, staff.uai, class_name, now=self.clock())
        suffix = "-" + re.sub(r"[^A-Za-z0-9]+", "", class_name) if class_name else ""
        return Response(text, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="suivi-orientation-{staff.uai}'
                                   f'{suffix}.csv"'})

    # ---- a student's file --------------------------------------------------------------------------

    def student_context(self, staff: Staff, student: Student) -> dict:
        store = self.store
        intentions = store.requests(student.id, Step.INTENTIONS)
        choix = store.requests(student.id, Step.CHOIX)
        guardians = store.guardians_of(student.id)
        names = {g.id: f"{g.prenom} {g.nom}" for g in guardians}
        answers = {a.rank: a for a in store.answers(student.id)}
        proposals = store.proposals(student.id)
        return {
            "section": "tableau", "student": student, "guardians": guardians,
            "intentions": intentions, "choix": choix, "editor": names,
            "intention_groups": [intention_lines([item], rank)
                                 for rank, item in enumerate(intentions.items, start=1)]
            if intentions else [],
            "choix_groups": [intention_lines([item], rank, Step.CHOIX)
                             for rank, item in enumerate(choix.items, start=1)] if choix else [],
            "opinion": store.opinion(student.id, Step.INTENTIONS),
            "ack": store.acknowledgement(student.id, Step.INTENTIONS),
            "proposals": proposals, "answers": answers,
            "disagreed": decisions.disagrees(proposals, list(answers.values()), self.clock()),
            "decision": store.decision(student.id),
            "avis_choices": list(Avis), "voies": list(Voie),
            "values": {}, "errors": FormErrors([]), "done": None,
        }

    def student_page(self, request: Request, staff: Staff, student: Student, status: int = 200,
                     **extra: object) -> Response:
        context = self.student_context(staff, student)
        context.update(extra)
        return self.render(request, "student.html", context, staff, status)

    @staff_page()
    async def student(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        student = self.own_student(staff, request.path_params["student_id"])
        if student is None:
            return self.not_found(request, staff)
        done = DONE.get(request.query_params.get("fait", ""))
        return self.student_page(request, staff, student, done=done)

    def save(self, request: Request, staff: Staff, student: Student, form: FormData,
             errors: FormErrors, field: str, action: str, record: Callable[[], object],
             done: str = "avis") -> Response:
        """Record a checked student form with its audit entry, in one transaction; a refusal of
        the council rules shows the form again (400) with the reason under `field`."""
        if not errors:
            try:
                with self.store.transaction():
                    record()
                    self.audit(staff, student.id, action)
            except Refused as refused:
                error = refused.first
                errors.add(_field_of(error, field), console_text(error))
        if errors:
            return self.student_page(request, staff, student, 400, errors=errors,
                                     values=_values(form))
        return self.redirect(f"/eleves/{student.id}", fait=done)

    @staff_page()
    async def record_opinion(self, request: Request, staff: Staff, form: FormData) -> Response:
        student = self.own_student(staff, request.path_params["student_id"])
        if student is None:
            return self.not_found(request, staff)
        errors = FormErrors([])
        saved = self.store.requests(student.id, Step.INTENTIONS)
        count = len(saved.items) if saved else 0
        if count == 0:
            errors.add("avis", "La famille n'a validé aucune intention : il n'y a pas d'avis à "
                               "donner sur des intentions.")
        avis = []
        for rank in range(1, count + 1):
            value = form.get(f"avis_{rank}")
            if value in {a.value for a in Avis}:
                avis.append(Avis(value))
            else:
                errors.add(f"avis_{rank}", f"Choisissez l'avis sur l'intention {rank}.")
        recommendation = _voie_field(form, "recommandation", errors, required=False)
        motivation = _text_field(form, "motivation", errors, "La motivation",
                                 MOTIVATION_MAX_LENGTH)
        return self.save(request, staff, student, form, errors, "avis", "console_opinion",
                         lambda: results.record(self.store, student.id, avis, recommendation,
                                                motivation, self.clock(), publish=False,
                                                school=staff.uai))

    @staff_page()
    async def record_proposals(self, request: Request, staff: Staff, form: FormData) -> Response:
        student = self.own_student(staff, request.path_params["student_id"])
        if student is None:
            return self.not_found(request, staff)
        errors = FormErrors([])
        proposals: list[tuple[Voie, str]] = []
        for rank in (1, 2, 3):
            voie = _voie_field(form, f"voie_{rank}", errors, required=False)
            detail = _text_field(form, f"detail_{rank}", errors, f"Le détail de la proposition {rank}")
            if voie is None and detail:
                errors.add(f"voie_{rank}", f"Choisissez la voie de la proposition {rank}, ou "
                                           f"effacez son détail.")
            elif voie is not None:
                proposals.append((voie, detail))
        if proposals or not errors:  # the rule's refusal beside the form's own problems
            try:
                decisions.check_proposals([voie for voie, _ in proposals])
            except DomainError as error:
                errors.add(_field_of(error, "voie_1"), console_text(error))
        return self.save(request, staff, student, form, errors, "voie_1", "console_proposals",
                         lambda: results.record_proposals(self.store, student.id, proposals,
                                                          self.clock(), publish=False,
                                                          school=staff.uai),
                         done="propositions")

    @staff_page(manage=True)
    async def record_decision(self, request: Request, staff: Staff, form: FormData) -> Response:
        student = self.own_student(staff, request.path_params["student_id"])
        if student is None:
            return self.not_found(request, staff)
        errors = FormErrors([])
        voie = _voie_field(form, "decision_voie", errors, required=True)
        detail = _text_field(form, "decision_detail", errors, "Le détail de la décision")

        def record() -> object:
            assert voie is not None  # a form without a voie has an error: it is not recorded
            return results.record_decision(self.store, student.id, voie, detail, self.clock(),
                                           school=staff.uai)

        return self.save(request, staff, student, form, errors, "decision_voie",
                         "console_decision", record, done="decision")

    # ---- publishing a class ------------------------------------------------------------------------

    @staff_page(manage=True)
    async def publish_page(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        class_name = self.class_of_school(staff, request.query_params.get("classe"))
        if class_name is None:
            return self.not_found(request, staff)
        rows = followup.statuses(self.store, staff.uai, class_name, now=self.clock())
        return self.render(request, "publish.html", {
            "section": "tableau", "class_name": class_name,
            "opinions": [s for s in rows if s.opinion == "recorded"],
            "proposals": [s for s in rows if s.proposals == "recorded"]}, staff)

    @staff_page(manage=True)
    async def publish(self, request: Request, staff: Staff, form: FormData) -> Response:
        class_name = self.class_of_school(staff, form.get("classe"))
        if class_name is None:
            return self.not_found(request, staff)
        with self.store.transaction():
            counts = results.publish_class(self.store, staff.uai, class_name, self.clock())
            self.audit(staff, None, "console_publish", classe=class_name, **counts)
        return self.redirect("/tableau", classe=class_name, publie=1,
                             avis=counts.get("opinions", 0),
                             propositions=counts.get("proposals", 0))

    # ---- the campaign's settings ---------------------------------------------------------------------

    def settings_page(self, request: Request, staff: Staff, status: int = 200,
                      values: dict[str, str] | None = None, **extra: object) -> Response:
        """The settings form: the stored values, overridden by a refused form's `values`."""
        calendar = self.store.calendar(staff.uai)
        row = self.store.reminder_settings_of(staff.uai) or {}
        stored: dict[str, str] = {}
        for key in WINDOW_ORDER:
            window = calendar.window(key)
            stored[f"debut_{key}"] = _local_day(window.opens, calendar).isoformat() if window else ""
            stored[f"fin_{key}"] = _local_day(window.closes, calendar).isoformat() if window else ""
        stored.update(offsets=str(row.get("offsets") or ""), hours=str(row.get("hours") or ""))
        context = {"section": "parametres", "window_keys": WINDOW_ORDER,
                   "values": {**stored, **(values or {})}, "errors": FormErrors([]),
                   "done": DONE.get(request.query_params.get("fait", "")),
                   "windows": _windows(calendar)}
        context.update(extra)
        return self.render(request, "settings.html", context, staff, status)

    @staff_page(manage=True)
    async def settings(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        return self.settings_page(request, staff)

    @staff_page(manage=True)
    async def save_calendar(self, request: Request, staff: Staff, form: FormData) -> Response:
        calendar = self.store.calendar(staff.uai)
        errors = FormErrors([])
        windows: dict[str, Window] = {}
        for key in WINDOW_ORDER:
            first = _date_field(form, f"debut_{key}", errors, "Le premier jour")
            last = _date_field(form, f"fin_{key}", errors, "Le dernier jour")
            if (first is None) != (last is None) and not errors.of(f"debut_{key}") \
                    and not errors.of(f"fin_{key}"):
                errors.add(f"debut_{key}" if first is None else f"fin_{key}",
                           f"« {labels.WINDOWS[key]} » : donnez le premier et le dernier jour, "
                           f"ou aucun des deux.")
            elif first is not None and last is not None:
                windows[key] = day_window(key, first, last, calendar.timezone)
                try:  # the rule on this window alone, shown beside the form's other problems
                    check_order({key: windows[key]})
                except DomainError as error:
                    errors.add(*_order_problem(error))
        if not errors:
            try:
                with self.store.transaction():
                    school_calendar.replace_windows(self.store, staff.uai, windows)
                    self.audit(staff, None, "console_calendar", windows={
                        k: [_local_day(w.opens, calendar).isoformat(),
                            _local_day(w.closes, calendar).isoformat()]
                        for k, w in windows.items()})
            except DomainError as error:
                errors.add(*_order_problem(error))
        if errors:
            return self.settings_page(request, staff, 400, errors=errors, values=_values(form))
        return self.redirect("/parametres", fait="calendrier")

    @staff_page(manage=True)
    async def save_reminders(self, request: Request, staff: Staff, form: FormData) -> Response:
        errors = FormErrors([])
        offsets = " ".join(str(form.get("offsets") or "").split())
        hours = "".join(str(form.get("hours") or "").split())
        if offsets:
            try:
                parsed = parse_offsets(offsets)
                if any(o.days > 60 for o in parsed):
                    raise ValueError
                offsets = ",".join(part.strip() for part in offsets.split(","))
            except ValueError:
                errors.add("offsets", "Écrivez des nombres de jours avant la date limite, séparés "
                                      "par des virgules, par exemple 7,2,0 (au plus 60 jours ; "
                                      "7@18:00 pour une heure précise).")
        if hours:
            try:
                start, end = parse_hours(hours)
                if start >= end:
                    raise ValueError
            except ValueError:
                errors.add("hours", "Écrivez une plage horaire comme 08:00-20:00 (début avant "
                                    "fin).")
        if errors:
            return self.settings_page(request, staff, 400, errors=errors, values=_values(form))
        with self.store.transaction():
            self.store.put_reminder_settings(staff.uai, offsets or None, hours or None)
            self.audit(staff, None, "console_reminders", offsets=offsets, hours=hours)
        return self.redirect("/parametres", fait="relances")

    # ---- imports -------------------------------------------------------------------------------------

    def import_page(self, request: Request, staff: Staff, status: int = 200,
                    **extra: object) -> Response:
        context: dict[str, object] = {"section": "import", "problems": None, "kind": None,
                                      "result": None, "base_counts": None, "link_counts": None}
        context.update(extra)
        return self.render(request, "import.html", context, staff, status)

    @staff_page(manage=True)
    async def imports(self, request: Request, staff: Staff, form: FormData | None) -> Response:
        return self.import_page(request, staff)

    @staff_page(manage=True)
    async def import_school_base(self, request: Request, staff: Staff, form: FormData) -> Response:
        uploads = {}
        for kind, field in (("students", "eleves"), ("guardians", "representants")):
            upload = form.get(field)
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(UPLOAD_MAX_BYTES + 1)
                if len(data) > UPLOAD_MAX_BYTES:
                    return self.import_page(request, staff, 400, kind="base", problems=[
                        f"{upload.filename} : plus de 5 Mo."])
                uploads[kind] = (Path(upload.filename).name or f"{kind}.csv", data)
        if not uploads:
            return self.import_page(request, staff, 400, kind="base", problems=[
                "Choisissez le fichier des élèves, celui des représentants légaux, ou les deux."])
        result, problems = base_import.import_base(self.store, staff.uai, uploads,
                                                   self.clock().date())
        if result is None:
            return self.import_page(request, staff, 400, kind="base", problems=problems[:200])
        counts = {table: plan.counts for table, plan in result.plan.tables.items()}
        with self.store.transaction():
            self.audit(staff, None, "console_import_base", **{
                table: {"new": c.new, "updated": c.updated} for table, c in counts.items()})
        return self.import_page(request, staff, kind="base", base_counts=counts,
                                link_counts=result.plan.link_counts)

    @staff_page(manage=True)
    async def import_council(self, request: Request, staff: Staff, form: FormData) -> Response:
        kind = request.path_params["kind"]
        if kind not in _RESULT_FILES:
            return self.not_found(request, staff)
        text = await _upload_text(form.get("fichier"))
        if text is None:
            return self.import_page(request, staff, 400, kind=kind, problems=[
                "Choisissez un fichier CSV en UTF-8 (au plus 5 Mo)."])
        parse, record_one, options = _RESULT_FILES[kind]
        try:
            rows = parse(text)
            with self.store.transaction():
                count = results.record_all(self.store, record_one, rows, self.clock(),
                                           school=staff.uai, **options)
                self.audit(staff, None, f"console_import_{kind}", lines=count)
        except Refused as refused:  # every line, in the operator's words, as the CLI prints them
            return self.import_page(request, staff, 400, kind=kind,
                                    problems=[str(p) for p in refused.problems[:200]])
        return self.import_page(request, staff, kind=kind, result=count)


# Results files: how each is read and recorded. Opinions and proposals are recorded unpublished
# (published per class); a head's decision is published and notified at once, as on its form.
_RESULT_FILES: dict[str, tuple[Callable[[str], Sequence[tuple[Any, ...]]], Callable[..., object],
                               dict[str, Any]]] = {
    "avis": (csv_input.opinion_rows, results.record, {"publish": False}),
    "propositions": (csv_input.proposal_rows, results.record_proposals, {"publish": False}),
    "decisions": (csv_input.decision_rows, results.record_decision, {}),
}


# ---- form fields ---------------------------------------------------------------------------------

def _values(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != csrf.FIELD}


def _voie_field(form: FormData, name: str, errors: FormErrors, *, required: bool) -> Voie | None:
    value = form.get(name) or ""
    if value == "" and not required:
        return None
    if value in {v.value for v in Voie}:
        return Voie(value)
    errors.add(name, "Choisissez une voie dans la liste.")
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text_field(form: FormData, name: str, errors: FormErrors, what: str,
                limit: int | None = None) -> str:
    """A text field on one line; `limit` is the form's own bound (the rules check theirs)."""
    value = form.get(name) or ""
    if not isinstance(value, str):
        errors.add(name, f"{what} doit être un texte.")
        return ""
    value = " ".join(_CONTROL.sub(" ", value).split())
    if limit is not None and len(value) > limit:
        errors.add(name, f"{what} dépasse {limit} caractères ({len(value)}).")
    return value


def _date_field(form: FormData, name: str, errors: FormErrors, what: str) -> date | None:
    value = str(form.get(name) or "").strip()
    if not value:
        return None
    try:  # a calendar day, read as the command line and the calendar file read it
        return csv_input.parse_day(value)
    except csv_input.Bad:
        errors.add(name, f"{what} n'est pas une date (JJ/MM/AAAA).")
        return None


async def _upload_text(upload: object) -> str | None:
    if not isinstance(upload, UploadFile):
        return None
    data = await upload.read(UPLOAD_MAX_BYTES + 1)
    if not data or len(data) > UPLOAD_MAX_BYTES:
        return None
    try:
        return csv_input.decode(upload.filename or "", data)
    except csv_input.BadFile:
        return None


def _order_problem(error: DomainError) -> tuple[str, str]:
    """The calendar's order refused: the field of the window to correct, and why (the staff's
    wording of the rule's key, the windows named as the console names them)."""
    named = {name: labels.WINDOWS.get(str(key), str(key)) for name, key in error.params.items()}
    field = f"fin_{error.params['window']}" if error.key == "calendar.range" else \
        f"debut_{error.params.get('later')}"
    return field, console_text(DomainError(error.key, **named))


def _field_of(error: DomainError, default: str) -> str:
    """The form field a refusal of the rules is shown by: the proposal it names, else `default`."""
    rank = error.params.get("rank")
    if error.key == "council.voie_twice":
        return f"voie_{rank}"
    if error.key == "council.detail_too_long":
        return f"detail_{rank}"
    if error.key == "decision.detail_too_long":
        return "decision_detail"
    return default


# ---- dates ---------------------------------------------------------------------------------------

def _local_day(moment: datetime, calendar: Calendar) -> date:
    return moment.astimezone(calendar.tz).date()


def _day(moment: datetime | None, tz=None) -> str:
    if moment is None:
        return ""
    return (moment.astimezone(tz) if tz else moment).strftime("%d/%m/%Y")


def _moment(moment: datetime | None, tz=None) -> str:
    if moment is None:
        return ""
    if isinstance(tz, str):
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(tz)
    return (moment.astimezone(tz) if tz else moment).strftime("%d/%m/%Y à %H:%M")


def _windows(calendar: Calendar) -> list[dict[str, object]]:
    return [{"key": key, "label": labels.WINDOWS[key], "opens": window.opens,
             "closes": window.closes}
            for key in WINDOW_ORDER if (window := calendar.window(key)) is not None]


def _published_counts(request: Request) -> dict[str, int]:
    counts = {}
    for name in ("avis", "propositions"):
        value = request.query_params.get(name, "0")
        counts[name] = int(value) if value.isdigit() and len(value) < 7 else 0
    return counts
