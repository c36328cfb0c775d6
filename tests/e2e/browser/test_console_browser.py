"""The console in a real browser: a staff member records and publishes the council's opinion, the
family is notified, reads it and acknowledges it in the chat, and the dashboard shows it.

The console runs under real uvicorn on loopback in a thread (its own connection to the database
file); Claire uses the terminal chat, `python -m bot chat`, in processes of their own on the same
file, as a family and a school would at the same time.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.rules.model import Avis, Step, Voie

from ...console_support import HEAD_PASSWORD, LiveServer, make_staff
from ...support import CLAIRE_PASSWORD
from ..test_e2e_terminal import chat, code_sent_to, screen_after

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def staffed(store, hasher, clock):
    make_staff(store, hasher, clock())


def _page(browser, **options):
    context = browser.new_context(locale="fr-FR", **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _log_in_with_the_keyboard(page, url: str) -> None:
    """Tab to each field, type, Enter: the log-in works without a mouse."""
    page.goto(url + "/console/")
    assert "/console/connexion" in page.url
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "identifiant"
    page.keyboard.type("direction")
    page.keyboard.press("Tab")
    page.keyboard.type(HEAD_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/tableau")


def test_record_publish_acknowledge_round(browser, screenshots, store, hasher, clock, staffed):
    db = store.path
    day = clock().date().isoformat()
    out = chat(db, day, "claire", ["2", "1", "1", "Martin", "Claire", "06 12 34 56 78"])
    chat(db, day, "claire", [
        code_sent_to(out, "+33612345678"), "14/05/2012", "02/09/2016",
        CLAIRE_PASSWORD, CLAIRE_PASSWORD, "Orientation", "Saisir les intentions",
        "Ajouter une intention", "1re année de CAP", "Ebéniste", "☐ Sous statut scolaire",
        "Continuer", "Ajouter une intention", "2de professionnelle", "Menuisier, charpentier",
        "☐ Sous statut scolaire", "Continuer", "Valider", "/deconnexion"])
    clock.advance(days=15)  # the councils have sat; the opinion's window is open

    with LiveServer(store.path, clock, hasher) as server:
        context, page = _page(browser, viewport={"width": 1280, "height": 900})
        page.goto(server.url + "/console/tableau")
        assert "/console/connexion?suite=" in page.url
        page.screenshot(path=screenshots / "01-connexion.png", full_page=True)
        page.get_by_label("Identifiant").fill("direction")
        page.get_by_label("Mot de passe").fill(HEAD_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/console/tableau")
        assert page.get_by_role("heading", level=1).inner_text() == "Suivi des classes"
        page.screenshot(path=screenshots / "02-tableau.png", full_page=True)

        # Lucas's file: the family's requests as the family reads them, and the opinion's form.
        page.get_by_role("link", name="Martin Lucas").click()
        assert page.get_by_role("heading", level=1).inner_text().startswith("Lucas Martin")
        assert "Métier ou formation : Ebéniste" in page.locator(".recap").inner_text()
        page.locator("#avis_1").get_by_label("Avis favorable").check()
        page.locator("#avis_2").get_by_label("Avis réservé").check()
        page.get_by_label("Recommandation du conseil de classe").select_option(
            label="2de générale et technologique ou 2de STHR")
        page.get_by_label("Motivations du conseil de classe").fill("Sans objet.")
        page.screenshot(path=screenshots / "03-eleve-avis.png", full_page=True)
        page.get_by_role("button", name="Enregistrer l'avis").click()
        assert page.get_by_role("status").inner_text() == \
            "L'avis du conseil de classe est enregistré."
        assert store.opinion("E-LUCAS", Step.INTENTIONS).published_at is None

        # Publishing is an explicit action per class, confirmed on its own page.
        page.get_by_role("link", name="Suivi de la classe 3e B").click()
        row = page.locator("#eleve-E-LUCAS")
        assert "Saisi, non publié" in row.inner_text()
        page.get_by_role("link", name="Publier les résultats de la classe 3e B").click()
        page.screenshot(path=screenshots / "04-publier.png", full_page=True)
        page.get_by_role("button", name="Publier les résultats de la classe 3e B").click()
        assert "Résultats de la classe 3e B publiés : 1 avis" in \
            page.get_by_role("status").inner_text()

        opinion = store.opinion("E-LUCAS", Step.INTENTIONS)
        assert (opinion.avis, opinion.recommendation, opinion.motivation) == (
            (Avis.FAVORABLE, Avis.RESERVE), Voie.GT, "Sans objet.")
        told = [m for m in store.outbox() if m["recipient"] == "terminal:claire"
                and (m["dedupe_key"] or "").startswith("notify:opinion:E-LUCAS")]
        assert len(told) == 1
        assert "l'avis provisoire du conseil de classe pour Lucas est publié" in told[0]["body"]

        # Claire, in her terminal chat, is told, reads the opinion and acknowledges it. The chat's
        # clock keeps the real time of day: on the next day, the publication is behind it.
        out = chat(db, (clock() + timedelta(days=1)).date().isoformat(), "claire", [
            "J'ai un compte", "c.martin1", CLAIRE_PASSWORD, "Orientation",
            "Avis provisoire du conseil de classe",
            "☐ J'ai bien pris connaissance de l'avis provisoire d'orientation du conseil de classe.",
            "Valider"])
        assert "[MESSAGE → terminal:claire] Scolarité Services : l'avis provisoire du conseil de " \
               "classe pour Lucas est publié." in out
        opinion_screen = screen_after(out, "Avis provisoire du conseil de classe")
        assert "Avis favorable" in opinion_screen and "Avis réservé" in opinion_screen
        acknowledged = store.acknowledgement("E-LUCAS", Step.INTENTIONS).at.astimezone(PARIS)
        assert "accusé réception de l'avis provisoire du conseil de classe le " \
               f"{acknowledged:%d/%m}." in screen_after(out, "Valider")

        page.reload()
        row = page.locator("#eleve-E-LUCAS")
        cells = row.locator("td")
        assert cells.nth(2).inner_text() == "Publié"  # Avis du conseil
        assert cells.nth(3).inner_text() == f"Oui\nle {acknowledged:%d/%m/%Y}"  # Accusé de réception
        page.screenshot(path=screenshots / "05-tableau-accuse.png", full_page=True)
        page.get_by_role("link", name="Martin Lucas").click()
        assert f"accusé de réception le {acknowledged:%d/%m/%Y} par Claire Martin" in \
            page.locator("#avis").inner_text()
        assert page.get_by_role("button", name="Enregistrer l'avis").count() == 0
        page.screenshot(path=screenshots / "06-eleve-accuse.png", full_page=True)

        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url("**/console/connexion?fait=deconnexion")
        page.goto(server.url + "/console/tableau")
        assert "/console/connexion" in page.url
        context.close()


def test_keyboard_phone_and_accessibility(browser, screenshots, store, hasher, clock, staffed):
    with LiveServer(store.path, clock, hasher) as server:
        context, page = _page(browser, viewport={"width": 390, "height": 844},
                              is_mobile=True, has_touch=True)
        _log_in_with_the_keyboard(page, server.url)
        for path, name in (("/console/tableau", "07-tableau-telephone"),
                           ("/console/eleves/E-LUCAS", "08-eleve-telephone"),
                           ("/console/parametres", "09-parametres-telephone")):
            page.goto(server.url + path)
            problems = page.evaluate("""() => {
                const out = [];
                if (document.documentElement.lang !== 'fr') out.push('lang');
                if (!document.querySelector('meta[name=viewport]')) out.push('viewport');
                for (const el of document.querySelectorAll('input, select, textarea')) {
                    if (el.type === 'hidden') continue;
                    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`))
                        || el.getAttribute('aria-label');
                    if (!labelled) out.push('no label: ' + (el.name || el.id));
                }
                for (const th of document.querySelectorAll('th'))
                    if (!th.getAttribute('scope')) out.push('th without scope: ' + th.textContent);
                // The page itself never scrolls sideways; wide tables scroll in their box.
                if (document.documentElement.scrollWidth > window.innerWidth + 1)
                    out.push('horizontal scroll ' + document.documentElement.scrollWidth);
                return out;
            }""")
            assert problems == [], (path, problems)
            page.screenshot(path=screenshots / f"{name}.png", full_page=True)
        # A visible focus: the focused link gets a 3px outline.
        page.goto(server.url + "/console/tableau")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                                "getComputedStyle(document.activeElement).outlineWidth")
        assert re.fullmatch(r"solid 3px", outline), outline
        context.close()
