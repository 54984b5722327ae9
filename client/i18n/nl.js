// Nederlands
export const n = "Eén reactie|{{ n }} reacties";
export const t = `Schrijf hier je reactie (minstens 3 tekens)
Naam (niet verplicht)
Jan Jansen
E-mail (niet verplicht)
jan@example.com
Website (niet verplicht)
https://example.com
Voorbeeld
Bewerken
Versturen
Stuur me een e-mail bij antwoorden
Nog geen reacties
Atom-feed
Antwoorden
Bewerken
Opslaan
Verwijderen
Bevestigen
Sluiten
Annuleren
Reactie verwijderd.
Reactie wacht op goedkeuring.
Anoniem
{{ n }} verborgen
Auteur
zojuist
een minuut geleden|{{ n }} minuten geleden
een uur geleden|{{ n }} uur geleden
gisteren|{{ n }} dagen geleden
vorige week|{{ n }} weken geleden
vorige maand|{{ n }} maanden geleden
vorig jaar|{{ n }} jaar geleden
Stem omhoog
Stem omlaag
Opslaan mislukt.`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `Te veel reacties in korte tijd; probeer het later opnieuw.
Deze reactie kan niet worden geaccepteerd.
Vul een e-mailadres in.
Vul een naam in.
De server is bezet of onbereikbaar; probeer het zo opnieuw.
De server heeft de reactie niet aangenomen; probeer het later eventueel opnieuw.`;
