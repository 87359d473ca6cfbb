// @ts-check
// The approval console. It signs in with the approver credential (kept in this tab's
// sessionStorage and sent as `Authorization: Bearer`, never a cookie), reads the
// approvers' event stream (`GET /approvals`, `Accept: text/event-stream`) with fetch,
// and posts decisions as JSON. Every value from the service reaches the page through
// `textContent` or an attribute that is not a URL; nothing is parsed as HTML.

import { h } from './dom.js';
import {
  describeReasons,
  flattenParameters,
  formatTimeLeft,
  isoDuration,
  statusLabel,
} from './format.js';
import { startOverview, stopOverview } from './overview.js';
import { readEventStream } from './sse.js';
import { describeAmount } from './words.js';

/** @typedef {import('@handshake/core').ApprovalSummary} ApprovalSummary */

/**
 * @typedef {object} CardView
 * @property {HTMLLIElement} element
 * @property {ApprovalSummary} summary
 * @property {HTMLTimeElement} timeLeft
 * @property {HTMLElement} countdown
 * @property {HTMLInputElement} reason
 * @property {HTMLButtonElement} approve
 * @property {HTMLButtonElement} deny
 * @property {HTMLElement} error
 * @property {boolean} busy
 */

const STORAGE_KEY = 'handshake.approver-credential';
/** Recent decisions shown. */
const RECENT = 20;
/** The stream sends a heartbeat every 15 s; this long without a byte means it is stuck. */
const STALL_MS = 45_000;

// The page lives at `<service>/console/`, so the API is one level up (this keeps working
// when the service is mounted under a base path).
const api = (/** @type {string} */ path) => new URL(`../${path}`, window.location.href).href;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T }} type
 * @returns {T}
 */
function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page has no #${id}`);
  return element;
}

const ui = {
  connection: byId('connection', HTMLElement),
  signOut: byId('sign-out', HTMLButtonElement),
  signIn: byId('sign-in', HTMLElement),
  signInForm: byId('sign-in-form', HTMLFormElement),
  credential: byId('credential', HTMLInputElement),
  signInError: byId('sign-in-error', HTMLElement),
  pending: byId('pending', HTMLElement),
  pendingTitle: byId('pending-title', HTMLElement),
  pendingCount: byId('pending-count', HTMLElement),
  pendingEmpty: byId('pending-empty', HTMLElement),
  pendingList: byId('pending-list', HTMLOListElement),
  recent: byId('recent', HTMLElement),
  recentEmpty: byId('recent-empty', HTMLElement),
  recentList: byId('recent-list', HTMLOListElement),
  announcer: byId('announcer', HTMLElement),
};

/** @type {Map<string, ApprovalSummary>} */
const approvals = new Map();
/** @type {Map<string, CardView>} */
const cards = new Map();
let credential = '';
/** The service's clock minus this browser's, from the snapshot. */
let clockOffset = 0;
/** @type {AbortController | undefined} */
let connection;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let reconnectTimer;
let retryMs = 2_000;
let failures = 0;
let nextId = 0;

/** @param {string} state @param {string} text */
function setConnection(state, text) {
  ui.connection.dataset.state = state;
  ui.connection.textContent = text;
}

/** @param {string} text */
function announce(text) {
  // Clearing first makes screen readers announce a repeated message too.
  ui.announcer.textContent = '';
  window.setTimeout(() => {
    ui.announcer.textContent = text;
  }, 50);
}

/** @param {ApprovalSummary} summary */
function amountText(summary) {
  return summary.amount ? describeAmount(summary.amount).digits : 'no amount';
}

/** @param {string} iso */
function timeElement(iso) {
  const date = new Date(iso);
  return h(
    'time',
    { attrs: { datetime: date.toISOString() } },
    Number.isNaN(date.getTime()) ? iso : date.toLocaleString(),
  );
}

/**
 * @param {HTMLDListElement} list
 * @param {string} term
 * @param {Node | string} description
 */
function addFact(list, term, description) {
  list.append(h('dt', {}, term), h('dd', {}, description));
}

/** @param {ApprovalSummary} summary @returns {CardView} */
function createCard(summary) {
  const n = ++nextId;
  const titleId = `approval-${n}-title`;
  const amountId = `approval-${n}-amount`;
  const reasonId = `approval-${n}-reason`;

  const amount = h('p', { className: 'amount', attrs: { id: amountId } });
  if (summary.amount) {
    const described = describeAmount(summary.amount);
    amount.append(h('span', { className: 'digits' }, described.digits));
    if (described.words) {
      // The dash is for reading aloud and copying ("25.00 USD — twenty-five …"); on
      // screen the words sit under the digits.
      amount.append(
        h('span', { className: 'visually-hidden' }, ' — '),
        h('span', { className: 'words' }, described.words),
      );
    }
  } else {
    amount.append(h('span', { className: 'digits none' }, 'No amount'));
  }

  const timeLeft = h('time', { className: 'time-left' });
  const countdown = h('p', { className: 'countdown' }, 'Time left ', timeLeft);

  const facts = h('dl', { className: 'facts' });
  addFact(facts, 'User', summary.userId);
  addFact(facts, 'Payee', summary.payee ?? 'not stated');
  const original = summary.originalAmount;
  if (
    original &&
    (original.currency !== summary.amount?.currency || original.value !== summary.amount?.value)
  ) {
    addFact(facts, 'Requested as', describeAmount(original).text);
  }
  const why = h('ul', { className: 'reasons' });
  for (const text of describeReasons(summary.reasons, summary.tier)) why.append(h('li', {}, text));
  addFact(facts, 'Why', why);
  addFact(facts, 'Requested', timeElement(summary.createdAt));
  addFact(facts, 'Transaction', h('code', {}, summary.transactionId));

  const params = h('dl', { className: 'params' });
  for (const [path, value] of flattenParameters(summary.parameters)) addFact(params, path, value);
  const json = h(
    'details',
    { className: 'json' },
    h('summary', {}, 'Parameters as JSON'),
    h('pre', {}, JSON.stringify(summary.parameters, null, 2) ?? 'undefined'),
  );

  const reason = h('input', {
    attrs: { id: reasonId, type: 'text', maxlength: '500', autocomplete: 'off' },
  });
  const describedBy = `${titleId} ${amountId}`;
  const approve = h(
    'button',
    { className: 'approve', attrs: { type: 'button', 'aria-describedby': describedBy } },
    'Approve',
  );
  const deny = h(
    'button',
    { className: 'deny', attrs: { type: 'button', 'aria-describedby': describedBy } },
    'Deny',
  );
  const error = h('p', { className: 'error', attrs: { role: 'alert' } });

  const article = h(
    'article',
    { attrs: { 'aria-labelledby': titleId, tabindex: '-1' } },
    h(
      'div',
      { className: 'card-head' },
      h('h3', { attrs: { id: titleId } }, h('code', {}, summary.tool)),
      h('span', { className: `tier tier-${summary.tier.toLowerCase()}` }, summary.tier),
    ),
    amount,
    countdown,
    facts,
    h('h4', {}, 'Parameters'),
    params,
    json,
    h(
      'div',
      { className: 'decide' },
      h('label', { attrs: { for: reasonId } }, 'Reason (optional)'),
      reason,
      h('div', { className: 'actions' }, approve, deny),
      error,
    ),
  );
  const element = h('li', { className: 'card' }, article);
  element.dataset.approvalId = summary.approvalId;

  /** @type {CardView} */
  const view = {
    element,
    summary,
    timeLeft,
    countdown,
    reason,
    approve,
    deny,
    error,
    busy: false,
  };
  approve.addEventListener('click', () => void decide(view, 'approve'));
  deny.addEventListener('click', () => void decide(view, 'deny'));
  updateCountdown(view);
  return view;
}

/** @param {CardView} view @param {boolean} busy */
function setBusy(view, busy) {
  view.busy = busy;
  view.element.setAttribute('aria-busy', String(busy));
  updateCountdown(view);
}

/** @param {CardView} view */
function updateCountdown(view) {
  const left = Date.parse(view.summary.expiresAt) - (Date.now() + clockOffset);
  view.timeLeft.textContent = left > 0 ? formatTimeLeft(left) : 'expired';
  view.timeLeft.dateTime = isoDuration(left);
  view.countdown.classList.toggle('urgent', left > 0 && left < 60_000);
  view.countdown.classList.toggle('over', left <= 0);
  const closed = left <= 0 || view.busy;
  view.approve.disabled = closed;
  view.deny.disabled = closed;
}

/**
 * @param {CardView} view
 * @param {'approve' | 'deny'} decision
 */
async function decide(view, decision) {
  if (view.busy) return;
  const { approvalId } = view.summary;
  const reason = view.reason.value.trim();
  view.error.textContent = '';
  setBusy(view, true);
  try {
    const response = await fetch(api(`approvals/${encodeURIComponent(approvalId)}/decision`), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${credential}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      // The hash binds the decision to the parameters shown; the channel goes to the audit.
      body: JSON.stringify({
        decision,
        ...(reason ? { reason } : {}),
        paramsHash: view.summary.paramsHash,
        channel: 'console',
      }),
      cache: 'no-store',
      credentials: 'omit',
    });
    /** @type {unknown} */
    const body = await response.json().catch(() => undefined);
    if (response.ok && isSummary(body)) {
      approvals.set(body.approvalId, body);
      announce(
        `${decision === 'approve' ? 'Approved' : 'Denied'}: ${view.summary.tool}, ${amountText(view.summary)}`,
      );
      render();
      return;
    }
    if (response.status === 401) {
      signOut('The approver credential was refused; sign in again.');
      return;
    }
    view.error.textContent = errorMessage(body) || `The service answered ${response.status}.`;
  } catch {
    view.error.textContent = 'The service could not be reached; try again.';
  }
  setBusy(view, false);
}

/** @param {unknown} body @returns {body is ApprovalSummary} */
function isSummary(body) {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (/** @type {{ approvalId?: unknown }} */ (body).approvalId) === 'string'
  );
}

/** The message of an error envelope, or ''. @param {unknown} body */
function errorMessage(body) {
  const error =
    typeof body === 'object' && body !== null
      ? /** @type {{ error?: { message?: unknown } }} */ (body).error
      : undefined;
  return typeof error?.message === 'string' ? error.message : '';
}

/** @param {ApprovalSummary} a @param {ApprovalSummary} b */
const byDeadline = (a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt);
/** @param {ApprovalSummary} s */
const decidedTime = (s) => Date.parse(s.decidedAt ?? s.createdAt);

function render() {
  const all = [...approvals.values()];
  const pending = all.filter((s) => s.status === 'pending').sort(byDeadline);
  const pendingIds = new Set(pending.map((s) => s.approvalId));

  // Remove cards that left, keeping the keyboard user's place.
  for (const [id, view] of [...cards]) {
    if (pendingIds.has(id)) continue;
    const hadFocus = view.element.contains(document.activeElement);
    const next = /** @type {HTMLElement | null} */ (
      view.element.nextElementSibling ?? view.element.previousElementSibling
    );
    view.element.remove();
    cards.delete(id);
    if (hadFocus) {
      // The next request itself, not its buttons: a second key press must not decide it.
      const target = next?.querySelector('article');
      if (target instanceof HTMLElement) target.focus();
      else ui.pendingTitle.focus();
    }
  }
  // Insert new cards in deadline order without moving existing ones (moving a node
  // would take the focus away from it).
  pending.forEach((summary, index) => {
    let view = cards.get(summary.approvalId);
    if (!view) {
      view = createCard(summary);
      cards.set(summary.approvalId, view);
      // A link to this one approval (an MCP host asking its user) brings its card forward.
      if (location.hash === `#approval=${encodeURIComponent(summary.approvalId)}`) {
        const linked = view.element;
        linked.classList.add('linked');
        queueMicrotask(() => linked.scrollIntoView({ block: 'center' }));
      }
    }
    const at = ui.pendingList.children[index];
    if (at !== view.element) ui.pendingList.insertBefore(view.element, at ?? null);
  });
  ui.pendingCount.textContent = String(pending.length);
  ui.pendingEmpty.hidden = pending.length > 0;

  const decided = all
    .filter((s) => s.status !== 'pending')
    .sort((a, b) => decidedTime(b) - decidedTime(a))
    .slice(0, RECENT);
  ui.recentList.replaceChildren(...decided.map(recentItem));
  ui.recentEmpty.hidden = decided.length > 0;
}

/** @param {ApprovalSummary} summary */
function recentItem(summary) {
  const item = h(
    'li',
    { className: 'decision' },
    h('span', { className: `badge status-${summary.status}` }, statusLabel(summary.status)),
    ' ',
    h('code', {}, summary.tool),
    ' ',
    h('span', { className: 'digits' }, amountText(summary)),
    h(
      'span',
      { className: 'who' },
      ` for ${summary.userId}`,
      // A withdrawn approval was ended by its requester, not decided by an approver.
      summary.status === 'withdrawn'
        ? ' · the requester cancelled the call'
        : summary.decidedBy
          ? ` · by ${summary.decidedBy}`
          : '',
      // Once a token of the approval was consumed, its call ran: it never runs again.
      summary.executed ? ' · executed' : '',
      ' · ',
      timeElement(summary.decidedAt ?? summary.createdAt),
    ),
  );
  item.dataset.approvalId = summary.approvalId;
  if (summary.reason) item.append(h('q', { className: 'why' }, summary.reason));
  return item;
}

/** @param {{ event: string, data: string }} event */
function handleEvent(event) {
  if (event.event === 'snapshot') {
    /** @type {{ approvals: ApprovalSummary[], now: string }} */
    const snapshot = JSON.parse(event.data);
    const serverNow = Date.parse(snapshot.now);
    if (Number.isFinite(serverNow)) clockOffset = serverNow - Date.now();
    approvals.clear();
    for (const summary of snapshot.approvals) approvals.set(summary.approvalId, summary);
    failures = 0;
    setConnection('live', 'Live');
    render();
    return;
  }
  if (event.event === 'approval') {
    /** @type {ApprovalSummary} */
    const summary = JSON.parse(event.data);
    const known = approvals.get(summary.approvalId);
    approvals.set(summary.approvalId, summary);
    render();
    if (!known && summary.status === 'pending') {
      announce(`New request: ${summary.tool}, ${amountText(summary)}, from ${summary.userId}`);
    } else if (known?.status === 'pending' && summary.status !== 'pending') {
      announce(`${statusLabel(summary.status)}: ${summary.tool}, ${amountText(summary)}`);
    }
    return;
  }
  if (event.event === 'error') {
    /** @type {{ code?: string }} */
    const error = JSON.parse(event.data);
    if (error.code === 'UNAUTHORIZED')
      signOut('The approver credential was refused; sign in again.');
  }
}

async function connect() {
  if (reconnectTimer) clearTimeout(reconnectTimer);
  connection?.abort();
  const controller = new AbortController();
  connection = controller;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let watchdog;
  const kick = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => controller.abort(), STALL_MS);
  };
  setConnection('connecting', failures > 0 ? 'Reconnecting…' : 'Connecting…');
  try {
    const response = await fetch(api('approvals?limit=50'), {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${credential}` },
      cache: 'no-store',
      credentials: 'omit',
      signal: controller.signal,
    });
    if (response.status === 401) {
      signOut('The approver credential was refused; sign in again.');
      return;
    }
    if (!response.ok || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
      throw new Error(`the stream answered ${response.status}`);
    }
    kick();
    await readEventStream(response, {
      onBytes: kick,
      onRetry: (ms) => {
        retryMs = ms;
      },
      onEvent: handleEvent,
    });
  } catch {
    // A network failure, a stalled stream or a sign-out; decided below.
  } finally {
    clearTimeout(watchdog);
  }
  if (controller !== connection || !credential) return;
  failures += 1;
  const delay = Math.min(retryMs * 2 ** Math.min(failures - 1, 4), 30_000);
  setConnection('reconnecting', `Connection lost; retrying in ${Math.ceil(delay / 1000)} s`);
  reconnectTimer = setTimeout(() => void connect(), delay);
}

function showConsole() {
  ui.signIn.hidden = true;
  ui.pending.hidden = false;
  ui.recent.hidden = false;
  ui.signOut.hidden = false;
  render();
  startOverview(credential, () => signOut('The approver credential was refused; sign in again.'));
}

/** @param {string} [message] */
function signOut(message) {
  credential = '';
  stopOverview();
  sessionStorage.removeItem(STORAGE_KEY);
  if (reconnectTimer) clearTimeout(reconnectTimer);
  const open = connection;
  connection = undefined;
  open?.abort();
  approvals.clear();
  cards.clear();
  ui.pendingList.replaceChildren();
  ui.recentList.replaceChildren();
  ui.pending.hidden = true;
  ui.recent.hidden = true;
  ui.signOut.hidden = true;
  ui.signIn.hidden = false;
  ui.signInError.textContent = message ?? '';
  setConnection('signed-out', 'Signed out');
  ui.credential.focus();
}

ui.signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = ui.credential.value.trim();
  ui.signInError.textContent = '';
  if (!value) {
    ui.signInError.textContent = 'Enter the approver credential.';
    return;
  }
  const button = ui.signInForm.querySelector('button');
  if (button) button.disabled = true;
  try {
    const response = await fetch(api('approvals?limit=1'), {
      headers: { authorization: `Bearer ${value}`, accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
    });
    if (response.status === 401) {
      ui.signInError.textContent = 'That credential was not accepted.';
      return;
    }
    if (!response.ok) {
      ui.signInError.textContent = `The service answered ${response.status}; try again.`;
      return;
    }
    credential = value;
    sessionStorage.setItem(STORAGE_KEY, value);
    ui.credential.value = '';
    failures = 0;
    showConsole();
    ui.pendingTitle.focus();
    void connect();
  } catch {
    ui.signInError.textContent = 'The service could not be reached.';
  } finally {
    if (button) button.disabled = false;
  }
});

ui.signOut.addEventListener('click', () => signOut());

setInterval(() => {
  for (const view of cards.values()) updateCountdown(view);
}, 1_000);

const stored = sessionStorage.getItem(STORAGE_KEY);
if (stored) {
  credential = stored;
  showConsole();
  void connect();
}
