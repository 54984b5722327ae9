// Deutsch
export const n = "Ein Kommentar|{{ n }} Kommentare";
export const t = `Kommentar schreiben (mindestens 3 Zeichen)
Name (freiwillig)
Erika Muster
E-Mail (freiwillig)
erika@example.com
Webseite (freiwillig)
https://example.com
Vorschau
Bearbeiten
Absenden
Bei Antworten per E-Mail benachrichtigen
Noch keine Kommentare
Atom-Feed
Antworten
Bearbeiten
Speichern
Löschen
Wirklich löschen?
Schließen
Abbrechen
Kommentar wurde gelöscht.
Kommentar wartet auf Freischaltung.
Anonym
{{ n }} ausgeblendet
Autor
gerade eben
vor einer Minute|vor {{ n }} Minuten
vor einer Stunde|vor {{ n }} Stunden
gestern|vor {{ n }} Tagen
letzte Woche|vor {{ n }} Wochen
letzten Monat|vor {{ n }} Monaten
letztes Jahr|vor {{ n }} Jahren
Positiv bewerten
Negativ bewerten
Speichern fehlgeschlagen.`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `Gerade zu viele Kommentare; bitte später erneut versuchen.
Dieser Kommentar kann nicht angenommen werden.
Bitte eine E-Mail-Adresse angeben.
Bitte einen Namen angeben.
Der Server ist ausgelastet oder nicht erreichbar; bitte gleich erneut versuchen.
Der Server hat den Kommentar nicht angenommen; bitte später erneut versuchen.`;
