// Français (rule: n > 1 takes the second form)
export const n = "{{ n }} commentaire|{{ n }} commentaires";
export const t = `Écrivez votre commentaire (3 caractères minimum)
Nom (facultatif)
Camille Martin
Courriel (facultatif)
camille@example.com
Site web (facultatif)
https://example.com
Aperçu
Modifier
Envoyer
Me prévenir par courriel des réponses
Aucun commentaire pour l’instant
Flux Atom
Répondre
Modifier
Enregistrer
Supprimer
Confirmer
Fermer
Annuler
Commentaire supprimé.
Commentaire en attente de modération.
Anonyme
{{ n }} masqué|{{ n }} masqués
Auteur
à l’instant
il y a une minute|il y a {{ n }} minutes
il y a une heure|il y a {{ n }} heures
hier|il y a {{ n }} jours
la semaine dernière|il y a {{ n }} semaines
le mois dernier|il y a {{ n }} mois
l’an dernier|il y a {{ n }} ans
Voter pour
Voter contre
Échec de l’enregistrement.`;
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `Trop de commentaires en peu de temps. Réessayez plus tard.
Ce commentaire ne peut pas être accepté.
Veuillez indiquer une adresse de courriel.
Veuillez indiquer un nom.
Le serveur est occupé ou injoignable. Réessayez dans un moment.
Le serveur n’a pas pris le commentaire. Vous pourrez réessayer plus tard.`;
