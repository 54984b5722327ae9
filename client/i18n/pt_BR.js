// Português (Brasil); also used for "pt" and, as closest match, "pt-PT"
export const n = "Um comentário|{{ n }} comentários";
export const t = `Escreva seu comentário (no mínimo 3 caracteres)
Nome (opcional)
João da Silva
E-mail (opcional)
joao@example.com
Site (opcional)
https://example.com
Pré-visualizar
Editar
Enviar
Avise-me por e-mail quando houver respostas
Ainda não há comentários
Feed Atom
Responder
Editar
Salvar
Excluir
Confirmar
Fechar
Cancelar
Comentário excluído.
Comentário aguardando moderação.
Anônimo
{{ n }} oculto|{{ n }} ocultos
Autor
agora mesmo
há um minuto|há {{ n }} minutos
há uma hora|há {{ n }} horas
ontem|há {{ n }} dias
semana passada|há {{ n }} semanas
mês passado|há {{ n }} meses
ano passado|há {{ n }} anos
Votar a favor
Votar contra
Não foi possível salvar.`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `Muitos comentários em pouco tempo; tente novamente mais tarde.
Este comentário não pôde ser aceito.
Informe um endereço de e-mail.
Informe um nome.
O servidor está ocupado ou inacessível; tente novamente em instantes.
O servidor não aceitou o comentário; você pode tentar mais tarde.`;
