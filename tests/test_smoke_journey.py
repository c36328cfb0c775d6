"""The seed's journey through the engine, in one process: activation, step 1, opinion, acknowledgement."""

from __future__ import annotations

from bot import council
from flows.model import Avis, Step, Voie

from .support import activate_claire, activate_karim, enter_seed_intentions


async def test_seed_journey_through_the_engine(engine, store, clock, claire, karim):
    await activate_claire(claire, store)
    await enter_seed_intentions(claire)
    assert "Intention 1 : 1re année de CAP\nMétier ou formation : Ebéniste\nSous statut scolaire" \
        in claire.text
    saved = store.requests("E-LUCAS", Step.INTENTIONS)
    assert [i.voie for i in saved.items] == [Voie.CAP, Voie.PRO]
    assert saved.editor_guardian_id == "R-CLAIRE"

    await activate_karim(karim, store)
    await karim.press("Orientation")
    assert "Modifier les intentions" not in karim.labels
    await karim.press("Consulter les intentions")
    assert "Seul le représentant ayant saisi les intentions" in karim.text

    clock.advance(days=15)
    council.record(store, "E-LUCAS", [Avis.FAVORABLE, Avis.FAVORABLE], Voie.GT, "Sans objet.",
                   clock())
    await claire.send("/menu")
    assert "Votre session a pris fin" in claire.text  # idle for 15 days
    await claire.press("J'ai un compte")
    await claire.send("c.martin1")
    await claire.send("TresSolide-2026!")
    await claire.press("Orientation")
    await claire.press("Avis provisoire du conseil de classe")
    assert "Avis favorable" in claire.text
    await claire.press("Retour à l'accueil Orientation")
    assert "êtes-vous sûr de vouloir quitter cette page ?" in claire.text
    await claire.press("Annuler")
    await claire.press("☐ J'ai bien pris connaissance")
    await claire.press("Valider")
    assert "accusé réception de l'avis provisoire du conseil de classe le 14/12." in claire.text
    assert engine.internal_errors == 0
