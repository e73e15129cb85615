// Live refresh for the console. Every element with data-refresh="URL" is replaced, every few seconds,
// by a fresh copy of itself rendered by the server at that URL. Pages work without this script; it
// only saves pressing reload. Served by remediator itself (the Content-Security-Policy allows no
// other script, and no inline script at all).
'use strict';

const PERIOD_MS = 5000;

/** Someone is typing in this part of the page (a deny reason, a filter): leave it alone. */
function busy(element) {
  const active = document.activeElement;
  if (active && element.contains(active) && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(active.tagName))
    return true;
  return [...element.querySelectorAll('input:not([type=hidden]), textarea')].some(
    (field) => field.value !== '',
  );
}

async function refresh(element) {
  const response = await fetch(element.dataset.refresh, {
    credentials: 'same-origin',
    headers: { accept: 'text/html' },
    redirect: 'manual',
  });
  // The login ended: reload, and the server sends the login form.
  if (response.type === 'opaqueredirect' || response.status === 401) {
    window.location.reload();
    return false;
  }
  if (!response.ok) {
    element.classList.add('stale');
    return true;
  }
  const template = document.createElement('template');
  template.innerHTML = (await response.text()).trim();
  const fresh = template.content.firstElementChild;
  if (fresh && !busy(element)) element.replaceWith(fresh);
  return true;
}

async function tick() {
  if (document.hidden) return;
  for (const element of document.querySelectorAll('[data-refresh]')) {
    if (busy(element)) continue;
    try {
      if (!(await refresh(element))) return;
    } catch {
      element.classList.add('stale');
    }
  }
}

setInterval(tick, PERIOD_MS);
