// The dashboard's only script, loaded as a module (the Content-Security-Policy allows no
// inline script). Pages work without it; it adds live updates: the event bus arrives as
// Server-Sent Events, and on each event the page reads itself again and swaps in the
// status bar and the main content, unless the user is typing in a form there.

const live = document.getElementById('live');
const say = (text, state) => {
  if (!live) return;
  live.textContent = text;
  live.dataset.state = state;
};

let pending = null;
async function refresh() {
  const res = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
  if (res.redirected && new URL(res.url).pathname === '/ui/login') {
    say('session ended: reload to log in', 'off');
    return;
  }
  if (!res.ok) return;
  const next = new DOMParser().parseFromString(await res.text(), 'text/html');
  const bar = next.getElementById('status-bar');
  if (bar) document.getElementById('status-bar')?.replaceWith(bar);
  const main = document.getElementById('main');
  const busy = main && main.contains(document.activeElement) && document.activeElement?.closest('form');
  const fresh = next.getElementById('main');
  if (main && fresh && !busy) {
    main.replaceChildren(...fresh.childNodes);
    document.dispatchEvent(new Event('trader:refreshed'));
  }
  document.body.dataset.refreshed = String(Date.now());
}

function schedule() {
  clearTimeout(pending);
  // Events come in bursts (a run writes several); one read after the burst is enough.
  pending = setTimeout(() => void refresh().catch(() => say('could not refresh', 'off')), 250);
}

function connect(url) {
  const source = new EventSource(url, { withCredentials: true });
  source.addEventListener('open', () => say('live', 'on'));
  source.addEventListener('hello', () => say('live', 'on'));
  source.addEventListener('bus', schedule);
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      // The server refused the stream (a session that ended): try again later, quietly.
      say('live updates off', 'off');
      setTimeout(() => connect(url), 5000);
    } else say('reconnecting…', 'retry');
  });
}

const url = document.body.dataset.events;
if (url && 'EventSource' in window) connect(url);
