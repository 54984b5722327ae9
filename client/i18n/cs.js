// Čeština. The contract gives Czech only two plural forms (n == 1 / other),
// so the "other" texts are worded to read correctly for 0, 2-4 and 5+.
export const n = "Jeden komentář|Počet komentářů: {{ n }}";
export const t = `Napište komentář (alespoň 3 znaky)
Jméno (nepovinné)
Jana Nováková
E-mail (nepovinný)
jana@example.com
Web (nepovinný)
https://example.com
Náhled
Upravit
Odeslat
Upozorňovat mě e-mailem na odpovědi
Zatím žádné komentáře
Kanál Atom
Odpovědět
Upravit
Uložit
Smazat
Opravdu smazat?
Zavřít
Zrušit
Komentář byl smazán.
Komentář čeká na schválení.
Anonym
Skryto: {{ n }}
Autor
právě teď
před minutou|před {{ n }} minutami
před hodinou|před {{ n }} hodinami
včera|před {{ n }} dny
minulý týden|před {{ n }} týdny
minulý měsíc|před {{ n }} měsíci
loni|před {{ n }} lety
Hlasovat pro
Hlasovat proti
Uložení se nezdařilo.`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `Příliš mnoho komentářů najednou; zkuste to prosím později.
Tento komentář nelze přijmout.
Zadejte prosím e-mailovou adresu.
Zadejte prosím jméno.
Server je přetížený nebo nedostupný; zkuste to prosím za chvíli.
Server komentář nepřijal; můžete to zkusit později.`;
