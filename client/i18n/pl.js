// Polski (forms: one | few: 2-4 except 12-14 | many)
export const n = "Jeden komentarz|{{ n }} komentarze|{{ n }} komentarzy";
export const t = `Napisz komentarz (co najmniej 3 znaki)
Imię (opcjonalnie)
Jan Kowalski
E-mail (opcjonalnie)
jan@example.com
Strona WWW (opcjonalnie)
https://example.com
Podgląd
Edytuj
Wyślij
Powiadamiaj mnie e-mailem o odpowiedziach
Brak komentarzy
Kanał Atom
Odpowiedz
Edytuj
Zapisz
Usuń
Potwierdź
Zamknij
Anuluj
Komentarz usunięty.
Komentarz czeka na moderację.
Anonim
{{ n }} ukryty|{{ n }} ukryte|{{ n }} ukrytych
Autor
przed chwilą
minutę temu|{{ n }} minuty temu|{{ n }} minut temu
godzinę temu|{{ n }} godziny temu|{{ n }} godzin temu
wczoraj|{{ n }} dni temu|{{ n }} dni temu
w zeszłym tygodniu|{{ n }} tygodnie temu|{{ n }} tygodni temu
w zeszłym miesiącu|{{ n }} miesiące temu|{{ n }} miesięcy temu
w zeszłym roku|{{ n }} lata temu|{{ n }} lat temu
Głosuj za
Głosuj przeciw
Nie udało się zapisać.`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `Zbyt wiele komentarzy naraz; spróbuj ponownie później.
Tego komentarza nie można przyjąć.
Podaj adres e-mail.
Podaj imię lub nazwę.
Serwer jest zajęty lub niedostępny; spróbuj ponownie za chwilę.
Serwer nie przyjął komentarza; możesz spróbować później.`;
