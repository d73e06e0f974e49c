/**
 * The herald debug console page: plain browser JavaScript, no framework, no build step.
 *
 * It asks the server whether to sign in and which apps it may show, then for one app opens the
 * live feed (Server-Sent Events), keeps at most `rows` log rows (the oldest go first), filters
 * them, holds new rows while paused, lists the occupied channels and sends events. Everything
 * the server sends is set as text, never as markup. Errors show the server's own message.
 */

const $ = (id) => document.getElementById(id);

const KIND_LABELS = {
  connected: 'Connected',
  disconnected: 'Disconnected',
  refused: 'Refused',
  subscribed: 'Subscribed',
  subscription_failed: 'Subscription failed',
  unsubscribed: 'Unsubscribed',
  api_message: 'API message',
  client_event: 'Client event',
  channel_occupied: 'Channel occupied',
  channel_vacated: 'Channel vacated',
  member_added: 'Member added',
  member_removed: 'Member removed',
  cache_miss: 'Cache miss',
  subscription_count: 'Subscription count',
  signed_in: 'Signed in',
  webhook: 'Webhook',
};

/** Kinds after which the channel list is fetched again. */
const CHANNEL_KINDS = new Set([
  'subscribed',
  'unsubscribed',
  'disconnected',
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
]);
/** Milliseconds the channel list waits for a burst of changes to end before it is fetched. */
const CHANNELS_DEBOUNCE_MS = 400;

const state = {
  session: undefined,
  appId: undefined,
  /** The most rows kept, in the log and while paused (the server's consoleRows). */
  rows: 1000,
  /** Shown rows, oldest first: `{ entry, node }`. */
  entries: [],
  /** Rows received while paused, oldest first, and how many were dropped over `rows`. */
  held: [],
  heldDropped: 0,
  paused: false,
  source: undefined,
  channelsTimer: undefined,
};

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** A JSON request to the console API; a failure throws with the server's text. */
async function request(path, { method = 'GET', body } = {}) {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const text = (await response.text()).trim();
    throw new HttpError(response.status, text || `${response.status} ${response.statusText}`);
  }
  return response.json();
}

function el(tag, properties = {}, children = []) {
  const { dataset, ...rest } = properties;
  const node = Object.assign(document.createElement(tag), rest);
  Object.assign(node.dataset, dataset ?? {});
  node.append(...children);
  return node;
}

const appPath = (id) => `/console/apps/${encodeURIComponent(id)}`;
const apiPath = (what) => `/console/api/apps/${encodeURIComponent(state.appId)}/${what}`;

function showOnly(id) {
  for (const view of ['sign-in', 'apps', 'app-view']) $(view).hidden = view !== id;
  $('feed-state').parentElement.hidden = id !== 'app-view';
  if (id !== 'app-view') $('app-title').textContent = '';
}

function showPageError(message) {
  $('page-error').textContent = message;
  $('page-error').hidden = message === '';
}

// --- Start: session, sign-in, app list ---------------------------------------------------------

async function start() {
  showPageError('');
  let session;
  try {
    session = await request('/console/api/session');
  } catch (error) {
    showPageError(`The console is unavailable: ${error.message}`);
    return;
  }
  state.session = session;
  state.rows = session.rows;
  $('sign-out').hidden = !(session.signInRequired && session.apps !== null);
  if (session.apps === null) {
    showOnly('sign-in');
    $('sign-in-key').focus();
    return;
  }
  const match = /^\/console\/apps\/([^/]+)\/?$/.exec(location.pathname);
  const wanted = match === null ? undefined : decodeURIComponent(match[1]);
  if (wanted === undefined && session.apps.length === 1) {
    history.replaceState(null, '', appPath(session.apps[0].id));
    showApp(session.apps[0].id);
  } else if (wanted !== undefined && session.apps.some((app) => app.id === wanted)) {
    showApp(wanted);
  } else {
    if (wanted !== undefined) {
      const scope = session.signInRequired ? ' for this sign-in' : '';
      showPageError(`There is no app ${wanted} in this console${scope}.`);
    }
    showApps(session.apps);
  }
}

function showApps(apps) {
  $('app-list').replaceChildren(
    ...apps.map((app) =>
      el('li', {}, [
        el('a', { href: appPath(app.id), textContent: app.id }),
        app.enabled ? '' : ' (disabled)',
      ]),
    ),
  );
  showOnly('apps');
}

async function signIn(event) {
  event.preventDefault();
  const token = $('sign-in-token').value;
  const body =
    token === '' ? { key: $('sign-in-key').value, secret: $('sign-in-secret').value } : { token };
  $('sign-in-error').hidden = true;
  try {
    await request('/console/api/sign-in', { method: 'POST', body });
  } catch (error) {
    $('sign-in-error').textContent = error.message;
    $('sign-in-error').hidden = false;
    return;
  }
  // The secrets are not kept in the page once the session cookie stands for them.
  for (const id of ['sign-in-secret', 'sign-in-token']) $(id).value = '';
  await start();
}

async function signOut() {
  closeFeed();
  try {
    await request('/console/api/sign-out', { method: 'POST', body: {} });
  } catch (error) {
    showPageError(`Signing out failed: ${error.message}`);
    return;
  }
  location.assign('/console');
}

// --- One app: feed, log, filters, pause --------------------------------------------------------

function showApp(appId) {
  state.appId = appId;
  $('app-title').textContent = `app ${appId}`;
  document.title = `${appId} · herald debug console`;
  const kinds = $('filter-kind');
  kinds.replaceChildren(
    el('option', { value: '', textContent: 'All kinds' }),
    ...state.session.kinds.map((kind) =>
      el('option', { value: kind, textContent: KIND_LABELS[kind] ?? kind }),
    ),
  );
  showOnly('app-view');
  openFeed();
  void refreshChannels();
}

function setFeedState(name, text) {
  $('feed-state').dataset.state = name;
  $('feed-state').textContent = text;
}

function openFeed() {
  closeFeed();
  const source = new EventSource(apiPath('feed'));
  state.source = source;
  setFeedState('connecting', 'connecting…');
  source.onopen = () => setFeedState('live', 'live');
  source.onmessage = (message) => receive(JSON.parse(message.data));
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) {
      // EventSource reconnects by itself and resumes after the last row it received.
      setFeedState('reconnecting', 'reconnecting…');
      return;
    }
    // Refused (signed out, or herald restarted without this session): ask the server again.
    setFeedState('closed', 'closed');
    setTimeout(() => {
      if (state.source === source) void start();
    }, 3000);
  };
}

function closeFeed() {
  state.source?.close();
  state.source = undefined;
}

function receive(entry) {
  if (state.paused) {
    state.held.push(entry);
    if (state.held.length > state.rows) {
      state.held.shift();
      state.heldDropped += 1;
    }
  } else {
    add(entry, currentFilters());
  }
  updateCount();
  if (CHANNEL_KINDS.has(entry.kind)) scheduleChannels();
}

function add(entry, filters) {
  const node = render(entry);
  node.hidden = !matches(entry, filters);
  $('log').prepend(node);
  state.entries.push({ entry, node });
  while (state.entries.length > state.rows) state.entries.shift().node.remove();
}

function currentFilters() {
  const text = (id) => $(id).value.trim().toLowerCase();
  return {
    channel: text('filter-channel'),
    event: text('filter-event'),
    socket: text('filter-socket'),
    kind: $('filter-kind').value,
  };
}

const contains = (value, part) => typeof value === 'string' && value.toLowerCase().includes(part);

function matches(entry, filters) {
  const webhookEvents = entry.kind === 'webhook' ? entry.events : [];
  if (filters.kind !== '' && entry.kind !== filters.kind) return false;
  if (filters.channel !== '') {
    const channels = [entry.channel, ...webhookEvents.map((sent) => sent.channel)];
    if (!channels.some((channel) => contains(channel, filters.channel))) return false;
  }
  if (filters.event !== '') {
    const names = [entry.event, ...webhookEvents.flatMap((sent) => [sent.name, sent.event])];
    if (!names.some((name) => contains(name, filters.event))) return false;
  }
  if (filters.socket !== '' && !contains(entry.socketId, filters.socket)) return false;
  return true;
}

function applyFilters() {
  const filters = currentFilters();
  for (const { entry, node } of state.entries) node.hidden = !matches(entry, filters);
  updateCount();
}

function updateCount() {
  const total = state.entries.length;
  const shown = state.entries.filter(({ node }) => !node.hidden).length;
  let text = `${shown} of ${total} rows shown (at most ${state.rows} kept)`;
  if (state.paused) {
    const dropped = state.heldDropped > 0 ? `, ${state.heldDropped} older ones dropped` : '';
    text = `Paused: ${state.held.length} new events held${dropped}. ${text}`;
  }
  $('log-count').textContent = text;
  $('log-empty').hidden = shown > 0;
  $('log-empty').textContent =
    total === 0 ? 'Nothing yet: events appear here as they happen.' : 'No row matches the filters.';
}

/** Said once per action through the polite live region, never once per row. */
function announce(message) {
  $('log-status').textContent = message;
}

function togglePause() {
  state.paused = !state.paused;
  const button = $('pause');
  button.textContent = state.paused ? 'Resume' : 'Pause';
  button.classList.toggle('active', state.paused);
  if (state.paused) {
    announce('Paused: new events are held until you resume.');
  } else {
    const held = state.held.splice(0);
    const dropped = state.heldDropped;
    state.heldDropped = 0;
    const filters = currentFilters();
    for (const entry of held) add(entry, filters);
    const lost = dropped > 0 ? ` (${dropped} older ones were dropped over the limit)` : '';
    announce(`Resumed: ${held.length} held events added${lost}.`);
  }
  updateCount();
}

function clearLog() {
  for (const { node } of state.entries) node.remove();
  state.entries = [];
  state.held = [];
  state.heldDropped = 0;
  announce('Log cleared.');
  updateCount();
}

// --- Rendering a row ----------------------------------------------------------------------------

const pad = (number, width = 2) => String(number).padStart(width, '0');

function clock(ms) {
  const date = new Date(ms);
  const time = [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => pad(n));
  return `${time.join(':')}.${pad(date.getMilliseconds(), 3)}`;
}

const closeText = (entry) => (entry.reason ? `${entry.code} ${entry.reason}` : `${entry.code}`);

/** The labelled fields of each kind; absent values are left out. */
const FIELDS = {
  connected: (e) => [['socket', e.socketId]],
  disconnected: (e) => [
    ['socket', e.socketId],
    ['code', closeText(e)],
  ],
  refused: (e) => [
    ['key', e.appKey],
    ['code', closeText(e)],
  ],
  subscribed: (e) => [
    ['channel', e.channel],
    ['socket', e.socketId],
  ],
  unsubscribed: (e) => FIELDS.subscribed(e),
  cache_miss: (e) => FIELDS.subscribed(e),
  subscription_failed: (e) => [
    ['channel', e.channel],
    ['socket', e.socketId],
    ['error', `${e.status} ${e.type}: ${e.error}`],
  ],
  api_message: (e) => [
    ['channel', e.channel],
    ['event', e.event],
    ['excluded socket', e.socketId],
  ],
  client_event: (e) => [
    ['channel', e.channel],
    ['event', e.event],
    ['socket', e.socketId],
    ['user', e.userId],
  ],
  channel_occupied: (e) => [['channel', e.channel]],
  channel_vacated: (e) => [['channel', e.channel]],
  member_added: (e) => [
    ['channel', e.channel],
    ['user', e.userId],
  ],
  member_removed: (e) => FIELDS.member_added(e),
  signed_in: (e) => [
    ['socket', e.socketId],
    ['user', e.userId],
  ],
  subscription_count: (e) => [
    ['channel', e.channel],
    ['count', e.count],
  ],
  webhook: (e) => [
    ['url', e.url],
    ['attempt', e.attempt],
    ['answer', e.status ?? e.error],
    [
      'events',
      e.events
        .map((sent) => [sent.name, sent.channel, sent.event, sent.user_id].filter(Boolean))
        .map((parts) => parts.join(' '))
        .join(', '),
    ],
  ],
};

function render(entry) {
  const fields = (FIELDS[entry.kind] ?? (() => []))(entry).filter(
    ([, value]) => value !== undefined && value !== null && value !== '',
  );
  const failed = entry.kind === 'webhook' && !(entry.status >= 200 && entry.status < 300);
  const node = el('li', {
    className: failed ? 'entry failed' : 'entry',
    dataset: { kind: entry.kind, seq: String(entry.seq) },
  });
  node.append(
    el('time', { dateTime: new Date(entry.time).toISOString(), textContent: clock(entry.time) }),
    el('span', { className: 'kind', textContent: KIND_LABELS[entry.kind] ?? entry.kind }),
    el(
      'dl',
      { className: 'fields' },
      fields.map(([name, value]) =>
        el('div', {}, [el('dt', { textContent: name }), el('dd', { textContent: String(value) })]),
      ),
    ),
  );
  if (typeof entry.data === 'string') {
    node.append(el('pre', { className: 'data', textContent: entry.data }));
  }
  return node;
}

// --- Channels ------------------------------------------------------------------------------------

function scheduleChannels() {
  clearTimeout(state.channelsTimer);
  state.channelsTimer = setTimeout(() => void refreshChannels(), CHANNELS_DEBOUNCE_MS);
}

const plural = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;

async function refreshChannels() {
  let list;
  try {
    list = await request(apiPath('channels'));
  } catch (error) {
    $('channels-summary').textContent = `Could not list the channels: ${error.message}`;
    return;
  }
  const { channels, total } = list;
  const more = channels.length < total ? ` (the first ${channels.length} are listed)` : '';
  $('channels-summary').textContent =
    total === 0 ? 'No channel is occupied.' : `${plural(total, 'occupied channel')}${more}`;
  $('channel-list').replaceChildren(...channels.map(renderChannel));
}

function renderChannel(channel) {
  const counts = [plural(channel.connections, 'connection')];
  if (channel.members !== undefined) counts.push(plural(channel.members.length, 'member'));
  const item = el('li', { dataset: { channel: channel.name } }, [
    el('span', { className: 'channel-name', textContent: channel.name }),
    ' ',
    el('span', { className: 'channel-count', textContent: counts.join(', ') }),
  ]);
  if (channel.members !== undefined && channel.members.length > 0) {
    item.append(
      el(
        'ul',
        { className: 'members' },
        channel.members.map((member) =>
          el('li', {}, [
            el('code', { textContent: member.id }),
            member.info === null ? '' : ' ',
            member.info === null
              ? ''
              : el('code', { className: 'member-info', textContent: member.info }),
          ]),
        ),
      ),
    );
  }
  return item;
}

// --- Event creator -------------------------------------------------------------------------------

async function sendEvent(event) {
  event.preventDefault();
  // `a, b` is two channels, so a name with a comma (legal, but rare) cannot be sent from here.
  const channels = $('send-channels')
    .value.split(/[\s,]+/)
    .filter((name) => name !== '');
  const name = $('send-name').value.trim();
  const data = $('send-data').value;
  const error = $('send-error');
  error.hidden = true;
  $('send-result').textContent = '';
  try {
    await request(apiPath('events'), { method: 'POST', body: { channels, name, data } });
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
    return;
  }
  $('send-result').textContent = `Sent ${name} to ${channels.join(' ')}.`;
}

// --- Wiring -------------------------------------------------------------------------------------

$('sign-in-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', () => void signOut());
$('filters').addEventListener('input', applyFilters);
$('filters').addEventListener('submit', (event) => event.preventDefault());
$('pause').addEventListener('click', togglePause);
$('clear').addEventListener('click', clearLog);
$('refresh-channels').addEventListener('click', () => void refreshChannels());
$('send-form').addEventListener('submit', sendEvent);
void start();
