// Italiano
export const n = "Un commento|{{ n }} commenti";
export const t = `Scrivi qui il tuo commento (almeno 3 caratteri)
Nome (facoltativo)
Mario Bianchi
E-mail (facoltativa)
mario@example.com
Sito web (facoltativo)
https://example.com
Anteprima
Modifica
Invia
Avvisami via e-mail quando qualcuno risponde
Ancora nessun commento
Feed Atom
Rispondi
Modifica
Salva
Elimina
Conferma
Chiudi
Annulla
Commento eliminato.
Commento in attesa di moderazione.
Anonimo
{{ n }} nascosto|{{ n }} nascosti
Autore
proprio ora
un minuto fa|{{ n }} minuti fa
un’ora fa|{{ n }} ore fa
ieri|{{ n }} giorni fa
la settimana scorsa|{{ n }} settimane fa
il mese scorso|{{ n }} mesi fa
l’anno scorso|{{ n }} anni fa
Vota a favore
Vota contro
Salvataggio non riuscito.`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `Troppi commenti in poco tempo; riprova più tardi.
Questo commento non può essere accettato.
Inserisci un indirizzo e-mail.
Inserisci un nome.
Il server è occupato o non raggiungibile; riprova tra poco.
Il server non ha accettato il commento; puoi riprovare più tardi.`;
