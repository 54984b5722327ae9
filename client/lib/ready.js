// Runs `fn` once, as soon as the DOM is parsed.
export function ready(fn) {
  let done = false;
  const once = () => done || ((done = true), fn());
  if (document.readyState == "loading") document.addEventListener("DOMContentLoaded", once);
  else once();
}
