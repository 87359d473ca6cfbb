// @ts-check
// The approvers' overview: what waits and for how long, the spend of recent requesters
// against their limits as bars, and the refusals of the last hour by code. Read from
// `GET /overview` with the approver credential, on sign-in, every 15 seconds and on
// demand. The bars are inline SVG whose widths are attributes, not styles, so the
// console's Content-Security-Policy (no inline style) holds; every value is text.

import { h } from './dom.js';
import { isoDuration } from './format.js';

/** @typedef {Awaited<ReturnType<import('@handshake/core').HandshakeEngine['overview']>>} ApproverOverview */
/** @typedef {ApproverOverview['spend']['users'][number]['windows'][number]} SpendWindow */

const REFRESH_MS = 15_000;
const SVG = 'http://www.w3.org/2000/svg';

const WINDOW_LABELS = { daily: 'today', weekly: 'this week', monthly: 'this month' };

/**
 * A wait as people say it: `45 s`, `2 min 5 s`, `1 h 3 min`.
 *
 * @param {number} seconds
 * @returns {string}
 */
export function formatAge(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  if (total < 60) return `${total} s`;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  if (hours > 0) return `${hours} h ${minutes} min`;
  return `${minutes} min ${total % 60} s`;
}

/**
 * The width of a bar, in percent of its track: the share, capped at the track, and
 * rounded to a tenth so the attribute reads cleanly.
 *
 * @param {number} share `used / limit`, from 0
 * @returns {number}
 */
export function barWidth(share) {
  if (!Number.isFinite(share) || share <= 0) return 0;
  return Math.round(Math.min(share, 1) * 1000) / 10;
}

/**
 * A horizontal bar: a track and a fill `percent` wide, labelled for screen readers.
 *
 * @param {number} percent 0–100
 * @param {string} label
 * @param {string} [state] `warn` or `full`, for the fill's colour
 */
function bar(percent, label, state = '') {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'bar');
  svg.setAttribute('viewBox', '0 0 100 10');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const track = document.createElementNS(SVG, 'rect');
  track.setAttribute('class', 'bar-track');
  track.setAttribute('width', '100');
  track.setAttribute('height', '10');
  const fill = document.createElementNS(SVG, 'rect');
  fill.setAttribute('class', `bar-fill${state ? ` ${state}` : ''}`);
  fill.setAttribute('width', String(percent));
  fill.setAttribute('height', '10');
  svg.append(track, fill);
  return svg;
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

/** @type {{ credential: string, timer: ReturnType<typeof setInterval> | undefined, ticker: ReturnType<typeof setInterval> | undefined, controller: AbortController | undefined, onUnauthorized: () => void }} */
const state = {
  credential: '',
  timer: undefined,
  ticker: undefined,
  controller: undefined,
  onUnauthorized: () => {},
};
/** Ages on screen: the element, the age the service reported, and when it was read. */
/** @type {Array<{ element: HTMLTimeElement, seconds: number, readAt: number }>} */
let ages = [];
let wired = false;

const api = (/** @type {string} */ path) => new URL(`../${path}`, window.location.href).href;

/**
 * Shows the overview and keeps it fresh until {@link stopOverview}.
 *
 * @param {string} credential the approver credential the console signed in with
 * @param {() => void} onUnauthorized called when the service refuses the credential
 */
export function startOverview(credential, onUnauthorized) {
  stopOverview();
  state.credential = credential;
  state.onUnauthorized = onUnauthorized;
  if (!wired) {
    wired = true;
    byId('overview-refresh').addEventListener('click', () => void refresh());
  }
  byId('overview').hidden = false;
  void refresh();
  state.timer = setInterval(() => void refresh(), REFRESH_MS);
  state.ticker = setInterval(tickAges, 1_000);
}

/** Hides the overview, forgets what it showed, and stops reading. */
export function stopOverview() {
  clearInterval(state.timer);
  clearInterval(state.ticker);
  state.timer = undefined;
  state.ticker = undefined;
  state.controller?.abort();
  state.controller = undefined;
  state.credential = '';
  ages = [];
  const section = document.getElementById('overview');
  if (!section) return;
  section.hidden = true;
  for (const id of ['ov-pending-list', 'ov-spend-list', 'ov-refusals-list']) {
    byId(id).replaceChildren();
  }
}

async function refresh() {
  if (!state.credential) return;
  state.controller?.abort();
  const controller = new AbortController();
  state.controller = controller;
  const error = byId('overview-error');
  try {
    const response = await fetch(api('overview'), {
      headers: { authorization: `Bearer ${state.credential}`, accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      signal: controller.signal,
    });
    if (response.status === 401) {
      state.onUnauthorized();
      return;
    }
    if (!response.ok) throw new Error(`the service answered ${response.status}`);
    /** @type {ApproverOverview} */
    const overview = await response.json();
    if (controller !== state.controller) return;
    error.textContent = '';
    render(overview);
  } catch (caught) {
    if (controller.signal.aborted) return;
    error.textContent = `The overview could not be read (${caught instanceof Error ? caught.message : 'network error'}); it is retried every 15 seconds.`;
  }
}

function tickAges() {
  const now = performance.now();
  for (const age of ages) {
    const seconds = age.seconds + (now - age.readAt) / 1000;
    age.element.textContent = formatAge(seconds);
    age.element.dateTime = isoDuration(seconds * 1000);
  }
}

/** @param {ApproverOverview} overview */
function render(overview) {
  const readAt = performance.now();
  ages = [];
  /** @param {number} seconds */
  const age = (seconds) => {
    const element = h('time', { className: 'age' });
    ages.push({ element, seconds, readAt });
    return element;
  };

  const updated = new Date(overview.now);
  byId('overview-updated').textContent = Number.isNaN(updated.getTime())
    ? ''
    : `Updated ${updated.toLocaleTimeString()}`;

  // Waiting now.
  const { pending } = overview;
  const summary = byId('ov-pending-summary');
  if (pending.count === 0) {
    summary.replaceChildren('Nothing is waiting.');
  } else {
    summary.replaceChildren(
      h('strong', { className: 'ov-pending-count' }, `${pending.count}${pending.more ? '+' : ''}`),
      ` waiting; the oldest for `,
      age(pending.oldestAgeSeconds),
    );
  }
  byId('ov-pending-list').replaceChildren(
    ...pending.approvals.map((approval) => {
      const item = h(
        'li',
        {},
        h('code', {}, approval.tool),
        ` for ${approval.userId}`,
        approval.amount ? ` · ${approval.amount.value} ${approval.amount.currency}` : '',
        ' · waiting ',
        age(approval.ageSeconds),
      );
      item.dataset.approvalId = approval.approvalId;
      return item;
    }),
  );

  // Spend against limits.
  const users = overview.spend.users;
  byId('ov-spend-empty').hidden = users.length > 0;
  byId('ov-spend-more').hidden = !overview.spend.more;
  byId('ov-spend-list').replaceChildren(
    ...users.map((user) => {
      const item = h(
        'li',
        { className: 'ov-user' },
        h('span', { className: 'ov-name' }, user.userId),
      );
      item.dataset.userId = user.userId;
      if (user.windows.length === 0) {
        item.append(h('span', { className: 'muted' }, 'no spending limit'));
        return item;
      }
      const rows = h('ul', { className: 'ov-windows' });
      for (const window of user.windows)
        rows.append(windowRow(user.userId, user.currency ?? '', window));
      item.append(rows);
      return item;
    }),
  );

  // Refusals by code.
  const refusals = overview.refusals;
  byId('ov-refusals').hidden = refusals === undefined;
  if (refusals) {
    byId('ov-refusals-empty').hidden = refusals.total > 0;
    const most = Math.max(1, ...refusals.byCode.map((entry) => entry.count));
    byId('ov-refusals-list').replaceChildren(
      ...refusals.byCode.map((entry) => {
        const percent = barWidth(entry.count / most);
        const item = h(
          'li',
          { className: 'ov-bar-row' },
          h('code', { className: 'ov-label' }, entry.code),
          bar(percent, `${entry.code}: ${entry.count}`),
          h('span', { className: 'ov-value' }, String(entry.count)),
        );
        item.dataset.code = entry.code;
        return item;
      }),
    );
  }
  tickAges();
}

/**
 * @param {string} userId
 * @param {string} currency
 * @param {SpendWindow} window
 */
function windowRow(userId, currency, window) {
  const when = WINDOW_LABELS[window.window] ?? window.window;
  const percent = barWidth(window.share);
  const rounded = Math.round(window.share * 100);
  const text = `${window.used} of ${window.limit} ${currency}`;
  const level = window.share >= 1 ? 'full' : window.share >= 0.8 ? 'warn' : '';
  const row = h(
    'li',
    { className: `ov-bar-row${window.enabled ? '' : ' off'}` },
    h('span', { className: 'ov-label' }, when),
    bar(
      percent,
      `${userId}, ${when}: ${text} (${rounded}%)${window.enabled ? '' : ', limit turned off'}`,
      level,
    ),
    h('span', { className: 'ov-value' }, `${text}${window.enabled ? '' : ' (off)'}`),
  );
  row.dataset.window = window.window;
  return row;
}
