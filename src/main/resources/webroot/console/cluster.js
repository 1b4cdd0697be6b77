// The cluster view: polls GET /console/cluster every 2 s and keeps one card per member, live. A member
// that leaves stays on the page for 5 minutes, greyed, with when it left; one that joins appears.

import { getJson } from './api.js';
import { chartElement, drawChart } from './chart.js';
import { $, clock, duration, el, num, setText } from './dom.js';

const POLL_MS = 2000;
const WINDOW_MS = 5 * 60 * 1000;

/** nodeId → {card, goneAt}: every member seen since the page loaded, gone ones for WINDOW_MS. */
const members = new Map();

/** Starts polling; onCluster(view) is called after each successful poll (the playground reads models). */
export function startClusterView(onCluster) {
  const poll = async () => {
    try {
      const view = await getJson('/console/cluster', { timeoutMs: 5000 });
      $('#cluster-error').hidden = true;
      render(view);
      onCluster(view);
    } catch (err) {
      // Members are left as they were: a failed poll says nothing about who left.
      const box = $('#cluster-error');
      box.textContent = `${err} (at ${clock(Date.now())}; retrying every ${POLL_MS / 1000} s)`;
      box.hidden = false;
    }
    setTimeout(poll, POLL_MS); // after the answer, so that a slow node never piles up requests
  };
  poll();
}

function render(view) {
  setText(document, '#served-by', view.servedBy);
  const present = new Set(view.members.map(m => m.nodeId));
  for (const member of view.members) {
    const known = members.get(member.nodeId) ?? { card: memberCard(member.nodeId) };
    known.goneAt = null;
    members.set(member.nodeId, known);
    updateCard(known.card, member, view);
  }
  for (const [nodeId, known] of members) {
    if (!present.has(nodeId) && !known.goneAt) {
      known.goneAt = view.at;
      known.card.dataset.state = 'gone';
      setText(known.card, '.state-badge', 'gone');
      setText(known.card, '.member-note', `left the cluster at ${clock(view.at)}`);
    }
  }
  // A member gone for longer than the charts' window is forgotten: a rolling restart gives every
  // restarted node a new id, and their cards would pile up.
  for (const [nodeId, known] of members) {
    if (known.goneAt && view.at - known.goneAt > WINDOW_MS) {
      members.delete(nodeId);
    }
  }
  // Present members in the server's order (by nodeId), then those gone, the latest to leave first.
  const gone = [...members.entries()].filter(([, k]) => k.goneAt).sort((a, b) => b[1].goneAt - a[1].goneAt);
  $('#members').replaceChildren(...view.members.map(m => members.get(m.nodeId).card), ...gone.map(([, k]) => k.card));
  setText(document, '#member-count', `${present.size} member${present.size === 1 ? '' : 's'}`
    + (gone.length ? `, ${gone.length} gone` : ''));
  renderTopology(view.members.find(m => m.nodeId === view.servedBy));
}

function memberCard(nodeId) {
  const stat = (label, cls, unit) => el('div', { class: 'stat' },
    el('dt', {}, label), el('dd', {}, el('span', { class: cls }, '–'), unit ? el('small', {}, unit) : null));
  const chart = (name, ...title) => el('figure', { class: 'chart-box' },
    el('figcaption', {}, el('span', {}, ...title), el('span', { class: 'scale' })),
    chartElement({ 'data-chart': name }));
  const legend = (cls, text) => el('span', { class: `legend ${cls}` }, text);
  return el('article', { class: 'member', 'data-node-id': nodeId, 'data-state': 'up' },
    el('header', { class: 'member-head' },
      el('span', { class: 'node-id', title: nodeId }, nodeId),
      el('span', { class: 'serving', hidden: true }, 'serving this page'),
      el('span', { class: 'state-badge' }, 'up')),
    el('p', { class: 'member-note' }),
    el('div', { class: 'health' },
      el('span', { class: 'health-item' }, 'breaker ', el('span', { class: 'breaker pill' }, '–')),
      el('span', { class: 'health-item' }, el('span', { class: 'ready pill' }, '–')),
      el('span', { class: 'health-item tls' }, '–')),
    el('ul', { class: 'reasons' }),
    el('dl', { class: 'stats' },
      stat('ok', 'rate-ok', 'jobs/s'), stat('failed', 'rate-failed', 'jobs/s'), stat('in flight', 'inflight'),
      stat('Redis ping', 'ping', 'ms'), stat('reconnects', 'reconnects')),
    el('div', { class: 'charts' },
      chart('jobs', legend('ok', 'ok'), ' / ', legend('failed', 'failed'), ' jobs/s'),
      chart('inflight', 'in flight'),
      chart('ping', 'Redis ping ms')),
    el('p', { class: 'chart-span' }),
    el('div', { class: 'failures-box' }, el('h4', {}, 'failures by code, last 2 s'), el('ul', { class: 'failures' })),
    el('p', { class: 'totals' }));
}

/** What the member encrypts (docs/SECURITY.md): the event bus, until its certificate ends, and HTTPS. */
function renderTls(card, tls) {
  const box = card.querySelector('.tls');
  if (!tls) {
    box.textContent = '';
    return;
  }
  const until = tls.certificateValidUntil ? tls.certificateValidUntil.slice(0, 10) : null;
  box.textContent = (tls.eventBus ? `event bus TLS${until ? ` until ${until}` : ''}` : 'event bus in clear')
    + (tls.https ? ' · HTTPS' : '');
  box.title = tls.eventBus
    ? `mutual TLS between members; this node's certificate is valid until ${tls.certificateValidUntil}`
    : 'the event bus between members is not encrypted (CHATWORKER_CLUSTER_TLS_* unset)';
}

function updateCard(card, member, view) {
  card.querySelector('.serving').hidden = member.nodeId !== view.servedBy;
  if (!member.answered) {
    // Silent: keep the last figures shown, greyed, and say why they are old.
    card.dataset.state = 'silent';
    setText(card, '.state-badge', 'silent');
    setText(card, '.member-note', `${member.error ?? 'no answer'} (at ${clock(view.at)})`);
    return;
  }
  const { status, history } = member;
  const samples = history?.samples ?? [];
  const ready = status.ready ?? { status: 'DOWN', reasons: ['the node did not say'] };
  card.dataset.state = 'up';
  setText(card, '.state-badge', 'up');
  setText(card, '.member-note', status.startedAt ? `up ${duration(view.at - status.startedAt)}, since ${clock(status.startedAt)}` : '');

  const breaker = card.querySelector('.breaker');
  breaker.textContent = status.redis.breaker;
  breaker.dataset.value = status.redis.breaker;
  const readyPill = card.querySelector('.ready');
  readyPill.textContent = ready.status === 'UP' ? 'ready' : 'not ready';
  readyPill.dataset.value = ready.status === 'UP' ? 'up' : 'down';
  card.querySelector('.reasons').replaceChildren(...(ready.reasons ?? []).map(r => el('li', {}, r)));
  renderTls(card, status.tls);

  const rates = rateSeries(samples);
  const last = rates.at(-1);
  setText(card, '.rate-ok', last ? num(last.ok) : '–');
  setText(card, '.rate-failed', last ? num(last.failed) : '–');
  card.querySelector('.rate-failed').classList.toggle('bad', Boolean(last?.failed));
  setText(card, '.inflight', String(status.jobs.inFlight));
  renderPing(card, status.redis);
  setText(card, '.reconnects', String(status.redis.reconnects));

  // The history the node keeps (5 min at most), so that a young node's chart is not a sliver.
  const to = samples.at(-1)?.at ?? view.at;
  const from = Math.max(to - WINDOW_MS, samples[0]?.at ?? to);
  const span = { from, to };
  chart(card, 'jobs', 'jobs/s', span, [
    { cls: 'ok', points: rates.map(r => [r.at, r.ok]) },
    { cls: 'failed', points: rates.map(r => [r.at, r.failed]) }]);
  chart(card, 'inflight', 'jobs', span, [{ cls: 'inflight', points: samples.map(s => [s.at, s.inFlight]) }]);
  // A sample's pingMs is null without a connection; no line while the breaker is open either.
  chart(card, 'ping', 'ms', span,
    [{ cls: 'ping', points: samples.map(s => [s.at, s.breaker === 'OPEN' ? null : s.pingMs]) }]);
  setText(card, '.chart-span', `charts: the last ${duration(to - from)}, up to ${clock(to)}`);

  renderFailures(card, samples, last);
  const jobs = status.jobs;
  setText(card, '.totals', `since start: ${jobs.succeeded} succeeded, ${jobs.failed} failed, ${jobs.cancelled} cancelled`);
}

/**
 * Redis ping: status.redis.pingMs is the last health-check PING that succeeded, kept as it was when
 * the node loses Redis; with no connection up or the breaker open it is history, not a latency, so
 * "—" is shown instead, its title saying why. -1 (or nothing): no PING answered yet.
 */
function renderPing(card, redis) {
  const ping = card.querySelector('.ping');
  const unit = ping.nextElementSibling;
  const noConnection = redis.pool?.connectionsUp === 0 || redis.breaker === 'OPEN';
  const known = typeof redis.pingMs === 'number' && redis.pingMs >= 0;
  if (noConnection) {
    ping.textContent = '—';
    ping.title = redis.breaker === 'OPEN'
      ? 'no connection to Redis (circuit breaker OPEN)'
      : `no connection to Redis (0 of ${redis.pool.connections} connections up)`;
  } else {
    ping.textContent = known ? num(redis.pingMs) : '–';
    ping.title = known ? 'the last health-check PING to Redis' : 'no PING answered yet';
  }
  ping.dataset.stale = String(noConnection);
  unit.hidden = noConnection || !known;
}

function chart(card, name, unit, { from, to }, series) {
  const svg = card.querySelector(`svg[data-chart="${name}"]`);
  drawChart(svg, { title: name, unit, series, from, to });
  setText(svg.parentElement, '.scale', `max ${num(Number(svg.dataset.max))}`);
}

/** Per second between consecutive samples: the counters are cumulative. */
function rateSeries(samples) {
  const rates = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const seconds = (b.at - a.at) / 1000;
    if (seconds <= 0) continue;
    const rate = key => Math.max(0, b[key] - a[key]) / seconds;
    const byCode = {};
    for (const [code, n] of Object.entries(b.failedByCode ?? {})) {
      byCode[code] = Math.max(0, n - (a.failedByCode?.[code] ?? 0)) / seconds;
    }
    rates.push({ at: b.at, ok: rate('succeeded'), failed: rate('failed'), cancelled: rate('cancelled'), byCode });
  }
  return rates;
}

/** Every code that failed since the node started, with its rate in the last sample and its total. */
function renderFailures(card, samples, last) {
  const totals = samples.at(-1)?.failedByCode ?? {};
  const codes = Object.keys(totals).filter(code => totals[code] > 0).sort();
  const list = card.querySelector('.failures');
  if (codes.length === 0) {
    list.replaceChildren(el('li', { class: 'none' }, 'none'));
    return;
  }
  list.replaceChildren(...codes.map(code => {
    const rate = last?.byCode[code] ?? 0;
    return el('li', { 'data-code': code, class: rate > 0 ? 'active' : null },
      el('span', { class: 'code' }, code), el('span', { class: 'rate' }, `${num(rate)}/s`),
      el('span', { class: 'total' }, `${totals[code]} total`));
  }));
}

/** The Redis deployment as the serving node last saw it (status.redis.topology). */
function renderTopology(serving) {
  const box = $('#topology');
  const topology = serving?.answered ? serving.status.redis.topology : null;
  if (!topology) {
    box.replaceChildren(el('p', { class: 'muted' }, 'The serving node did not report a topology.'));
    return;
  }
  const node = n => el('li', {}, el('code', {}, n.address),
    n.slots ? el('span', { class: 'muted' }, ` slots ${n.slots}`) : null,
    n.master ? el('span', { class: 'muted' }, ` of ${n.master}`) : null,
    n.linkUp === false ? el('span', { class: 'pill', 'data-value': 'down' }, 'link down') : null);
  const row = (label, ...value) => el('div', { class: 'topo-row' }, el('dt', {}, label), el('dd', {}, ...value));
  const lastFailover = topology.lastFailoverAt
    ? `${topology.failovers} seen, the last at ${clock(topology.lastFailoverAt)}` : 'none seen';
  box.replaceChildren(el('dl', {},
    row('mode', el('span', { class: 'topology-mode' }, topology.mode)),
    row(topology.masters.length === 1 ? 'master' : 'masters', el('ul', { class: 'masters' }, ...topology.masters.map(node))),
    row('replicas', topology.replicas.length
      ? el('ul', { class: 'replicas' }, ...topology.replicas.map(node)) : el('span', { class: 'replicas muted' }, 'none seen')),
    row('failovers', el('span', { class: 'last-failover' }, lastFailover)),
    topology.durability?.replicas ? row('durability', `${topology.durability.replicas} replica(s) confirm each write`) : null,
    topology.observedAt ? row('observed', clock(topology.observedAt)) : null));
}
