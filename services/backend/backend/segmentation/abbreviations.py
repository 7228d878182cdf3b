"""The German words the sentence rules need to know: abbreviations, months, sentence openers.

A maintained list, measured on tests/labelled/german_boundaries.txt (``make test`` asserts the
accuracy). Add an abbreviation here when a text is split after it, an opener when a sentence after
an ordinal number is not split off; then add the case to the labelled set.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of text (lists read better as prose here)."""
    return frozenset(text.split())


#: Abbreviations after which a sentence goes on (titles, units, references, prepositions), spelled
#: as written; a lower-case entry also matches its capitalised form at a sentence's start.
CONTINUING = _words(
    """
    abb abh abs abt adr allg anh anm art aufl ausg bd bearb bes betr bez bhf bsp bspw bzgl bzw ca
    dgl dipl dr ebd eigtl einschl entspr erg evtl exkl fa ff frl geb gebr gegr gem ges gest ggf
    ggü gr hbf hg hl hr hrsg inkl insb jg jh jhd jr kap kfm kl lfd lt max med min mind mio mrd
    mtl nachf nr od pkt pl prof rd rel sek sen sog std stellv str tab tägl tel tsd urspr usf verf
    verh vgl vorm vs wg wiss zb zit ziff zt zw zzgl ing jährl monatl
    Br Dt Fr Hr St Mo Di Mi Do Sa So Jan Feb Febr Mär Apr Jun Jul Aug Sep Sept Okt Nov Dez
    """
)

#: Abbreviations that often end a sentence: a capitalised word after them starts a new one.
FINAL = _words("usw etc mwst MwSt Co Chr Jh Jhd uvm usf")

#: Month names and their abbreviations: "am 3. Oktober" is a date, not a sentence end.
MONTHS = _words(
    """
    Januar Jänner Februar März April Mai Juni Juli August September Oktober November Dezember
    Jan Feb Febr Mär Apr Jun Jul Aug Sep Sept Okt Nov Dez
    """
)

#: Words before a number that make it an ordinal ("der 3. Platz", "am 5. Tag").
ORDINAL_CONTEXT = _words(
    """
    der die das dem den des am im vom zum zur beim ins ans ab bis seit jeder jede jedes ihr ihre
    sein seine mein meine unser unsere zum dieser diese dieses
    """
)

#: Capitalised words that start sentences but are never nouns, so after "... 5." they mark a new
#: sentence ("Er wurde 5. Beide waren ..."); a noun there is taken for an ordinal's head.
OPENERS = _words(
    """
    Ich Du Er Sie Es Wir Ihr Man Mein Meine Dein Deine Sein Seine Unser Unsere Euer Eure Ihre
    Der Die Das Dem Den Des Ein Eine Einer Einen Einem Kein Keine Dieser Diese Dieses Jener Jene
    Aber Und Oder Denn Doch Dann Danach Deshalb Daher Darum Trotzdem Also Auch Noch Nun Jetzt
    Heute Gestern Hier Dort Da So Wie Was Wer Wo Wann Warum Weshalb Bitte Leider Vielleicht
    Zudem Außerdem Beide Alle Viele Einige Mehr Nicht Nur Schon Erst Immer Ja Nein Hoffentlich
    Sei Seid Komm Kommt Bis Im Am Zum Zur In An Auf Mit Nach Bei Von Für Über Unter Vor Seit
    Mehr Weitere Sonst Zwar Dennoch Jedoch Allerdings Natürlich Wahrscheinlich Dabei Damit Dazu
    Sonst Später Zuerst Zuletzt Endlich Plötzlich Insgesamt
    """
)
