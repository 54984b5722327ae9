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
