// Svenska
export const n = "En kommentar|{{ n }} kommentarer";
export const t = `Skriv din kommentar här (minst 3 tecken)
Namn (frivilligt)
Anna Andersson
E-post (frivilligt)
anna@example.com
Webbplats (frivilligt)
https://example.com
Förhandsgranska
Redigera
Skicka
Meddela mig via e-post när någon svarar
Inga kommentarer än
Atom-flöde
Svara
Redigera
Spara
Radera
Bekräfta
Stäng
Avbryt
Kommentaren har raderats.
Kommentaren väntar på granskning.
Anonym
{{ n }} dold|{{ n }} dolda
Författare
just nu
för en minut sedan|för {{ n }} minuter sedan
för en timme sedan|för {{ n }} timmar sedan
i går|för {{ n }} dagar sedan
förra veckan|för {{ n }} veckor sedan
förra månaden|för {{ n }} månader sedan
förra året|för {{ n }} år sedan
Rösta upp
Rösta ned
Det gick inte att spara.`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `För många kommentarer på kort tid; försök igen senare.
Den här kommentaren kan inte tas emot.
Ange en e-postadress.
Ange ett namn.
Servern är upptagen eller går inte att nå; försök igen om en stund.
Servern tog inte emot kommentaren; du kan försöka igen senare.`;
