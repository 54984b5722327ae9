// Español
export const n = "Un comentario|{{ n }} comentarios";
export const t = `Escribe tu comentario (mínimo 3 caracteres)
Nombre (opcional)
Ana García
Correo electrónico (opcional)
ana@example.com
Sitio web (opcional)
https://example.com
Vista previa
Editar
Enviar
Avisarme por correo cuando haya respuestas
Todavía no hay comentarios
Feed Atom
Responder
Editar
Guardar
Borrar
Confirmar
Cerrar
Cancelar
Comentario borrado.
Comentario pendiente de moderación.
Anónimo
{{ n }} oculto|{{ n }} ocultos
Autor
ahora mismo
hace un minuto|hace {{ n }} minutos
hace una hora|hace {{ n }} horas
ayer|hace {{ n }} días
la semana pasada|hace {{ n }} semanas
el mes pasado|hace {{ n }} meses
el año pasado|hace {{ n }} años
Votar a favor
Votar en contra
No se pudo guardar.`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `Demasiados comentarios seguidos; inténtalo más tarde.
Este comentario no se puede aceptar.
Indica una dirección de correo electrónico.
Indica un nombre.
El servidor está ocupado o no responde; inténtalo de nuevo en un momento.
El servidor no admitió el comentario; puedes intentarlo más tarde.`;
