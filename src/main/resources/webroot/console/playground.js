// The playground: assistants and chats through the public API, and a generation streamed as it is
// written. What this browser created or opened is remembered in localStorage (the API has no list).

import { ApiError, generateStream, getJson, postJson } from './api.js';
import { $, el } from './dom.js';

const STORE_ASSISTANTS = 'chat-worker.console.assistants';
const STORE_CHATS = 'chat-worker.console.chats';
const HISTORY_PAGE = 100;

let selectedAssistant = null; // id
let openChat = null; // the chat object
let running = null; // {jobId} while a generation streams

export function startPlayground() {
  $('#assistant-provider').addEventListener('change', providerChanged);
  $('#assistant-create').addEventListener('click', guarded(createAssistant));
  $('#assistant-open').addEventListener('click', guarded(() => openAssistant($('#assistant-open-id').value.trim())));
  $('#chat-create').addEventListener('click', guarded(createChat));
  $('#chat-open').addEventListener('click', guarded(() => openChatById($('#chat-open-id').value.trim())));
  $('#message-send').addEventListener('click', guarded(send));
  $('#message-text').addEventListener('keydown', event => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) $('#message-send').click();
  });
  $('#job-cancel').addEventListener('click', guarded(cancel));
  providerChanged();
  renderAssistants();
  renderChats();
  updateButtons();
}

/** openai is offered only when some member has it configured (models.openai in /console/cluster). */
export function setModels(view) {
  const openai = view.members.some(m => m.answered && m.status.models?.openai);
  const option = $('#assistant-provider option[value="openai"]');
  option.disabled = !openai;
  option.textContent = openai ? 'openai' : 'openai (not configured on any node)';
  if (!openai && $('#assistant-provider').value === 'openai') {
    $('#assistant-provider').value = 'builtin';
    providerChanged();
  }
}

function providerChanged() {
  const openai = $('#assistant-provider').value === 'openai';
  $('#assistant-model').disabled = !openai;
  $('#assistant-token-delay').disabled = openai;
}

/** Runs an action and shows its failure in #playground-error as "CODE: message"; a success clears it. */
function guarded(action) {
  return async () => {
    try {
      await action();
      showError(null);
    } catch (err) {
      showError(ApiError.of(err));
    }
  };
}

function showError(err) {
  const box = $('#playground-error');
  box.textContent = err ? String(err) : '';
  box.hidden = !err;
}

// --- assistants ---

async function createAssistant() {
  const provider = $('#assistant-provider').value;
  const model = { provider };
  if (provider === 'openai') {
    model.name = $('#assistant-model').value.trim();
  } else if ($('#assistant-token-delay').value !== '') {
    model.options = { tokenDelayMs: Number($('#assistant-token-delay').value) };
  }
  const body = { name: $('#assistant-name').value.trim(), model };
  const prompt = $('#assistant-prompt').value;
  if (prompt.trim()) body.systemPrompt = prompt;
  const assistant = await postJson('/v1/assistants', body);
  remember(STORE_ASSISTANTS, assistantEntry(assistant));
  select(assistant.id);
}

async function openAssistant(id) {
  if (!id) throw new ApiError('INVALID_REQUEST', 'type an assistant id to open');
  const assistant = await getJson(`/v1/assistants/${encodeURIComponent(id)}`);
  remember(STORE_ASSISTANTS, assistantEntry(assistant));
  select(assistant.id);
}

function assistantEntry(a) {
  const delay = a.model?.options?.tokenDelayMs;
  const model = a.model?.provider === 'openai' ? `openai ${a.model.name}` : `builtin${delay ? `, ${delay} ms/token` : ''}`;
  return { id: a.id, name: a.name, model };
}

function select(id) {
  selectedAssistant = id;
  renderAssistants();
  updateButtons();
}

function renderAssistants() {
  const list = recalled(STORE_ASSISTANTS);
  $('#assistants').replaceChildren(...(list.length ? list.map(a => el('li', {},
    el('button', { type: 'button', class: 'assistant item', 'data-id': a.id, 'aria-pressed': String(a.id === selectedAssistant) },
      el('span', { class: 'item-name' }, a.name || '(no name)'), el('span', { class: 'item-meta' }, a.model),
      el('code', { class: 'item-id' }, a.id))))
    : [el('li', { class: 'empty' }, 'None yet: create one above, or open one by its id.')]));
  for (const button of $('#assistants').querySelectorAll('.assistant')) {
    button.addEventListener('click', () => select(button.dataset.id));
  }
}

// --- chats ---

async function createChat() {
  const chat = await postJson('/v1/chats', { assistantId: selectedAssistant });
  await showChat(chat);
}

async function openChatById(id) {
  if (!id) throw new ApiError('INVALID_REQUEST', 'type a chat id to open');
  await showChat(await getJson(`/v1/chats/${encodeURIComponent(id)}`));
}

async function showChat(chat) {
  openChat = chat;
  remember(STORE_CHATS, { id: chat.id, name: chat.name, assistantId: chat.assistantId });
  renderChats();
  $('#chat-title').textContent = chatName(chat);
  $('#chat-meta').textContent = `id ${chat.id} · assistant ${chat.assistantId}`;
  clearJob();
  updateButtons();
  $('#messages').replaceChildren(...(await history(chat.id)).map(messageView));
  scrollToEnd();
}

/** The whole history, oldest first, a page at a time. */
async function history(chatId) {
  const all = [];
  for (;;) {
    const after = all.length ? `&afterSeq=${all.at(-1).seq}` : '';
    const page = (await getJson(`/v1/chats/${encodeURIComponent(chatId)}/messages?limit=${HISTORY_PAGE}${after}`)).messages;
    all.push(...page);
    if (page.length < HISTORY_PAGE) return all;
  }
}

function renderChats() {
  const list = recalled(STORE_CHATS);
  $('#chats').replaceChildren(...(list.length ? list.map(c => el('li', {},
    el('button', { type: 'button', class: 'chat item', 'data-id': c.id, 'aria-pressed': String(c.id === openChat?.id) },
      el('span', { class: 'item-name' }, chatName(c)), el('span', { class: 'item-meta' }, assistantName(c.assistantId)),
      el('code', { class: 'item-id' }, c.id))))
    : [el('li', { class: 'empty' }, 'None yet.')]));
  for (const button of $('#chats').querySelectorAll('.chat')) {
    button.addEventListener('click', guarded(() => openChatById(button.dataset.id)));
  }
}

/** A chat's name, or a short form of its id when it has none. */
function chatName(chat) {
  return chat.name || `chat ${chat.id.slice(0, 8)}`;
}

/** The name of an assistant this browser knows, else a short form of its id. */
function assistantName(id) {
  const known = recalled(STORE_ASSISTANTS).find(a => a.id === id);
  return `with ${known?.name || id.slice(0, 8)}`;
}

// --- messages and generation ---

function messageView(m) {
  return el('div', { class: 'message', 'data-role': m.role, 'data-seq': m.seq, 'data-job-id': m.jobId },
    el('div', { class: 'message-role' }, m.role), el('div', { class: 'text' }, m.text));
}

async function send() {
  const text = $('#message-text').value;
  if (!text.trim()) throw new ApiError('INVALID_REQUEST', 'type a message first');
  // The page names the job, so that it can be cancelled before its first chunk arrives.
  const jobId = crypto.randomUUID();
  const chatId = openChat.id;
  const reply = el('div', { class: 'message', 'data-role': 'assistant', 'data-streaming': 'true', 'data-job-id': jobId },
    el('div', { class: 'message-role' }, 'assistant'), el('div', { class: 'text' }));
  $('#messages').append(messageView({ role: 'user', text }), reply);
  $('#message-text').value = '';
  scrollToEnd();
  running = { jobId };
  clearJob();
  updateButtons();
  let lastSeq = -1;
  let failure = null;
  let done = false;
  try {
    await generateStream(chatId, { text, jobId }, ({ event, data }) => {
      if (done || failure) return; // exactly one done or error ends it; nothing after counts
      if (event === 'chunk' && data.seq > lastSeq) {
        lastSeq = data.seq;
        reply.querySelector('.text').append(data.delta);
        scrollToEnd();
      } else if (event === 'done') {
        done = true;
        reply.querySelector('.text').textContent = data.message.text; // the stored text
        reply.dataset.seq = data.message.seq;
      } else if (event === 'error') {
        failure = new ApiError(data.code, data.message);
      }
    });
    if (!done && !failure) {
      failure = new ApiError('STREAM_BROKEN', 'the stream ended before the reply did; the job goes on: see its record');
    }
  } catch (err) {
    failure = ApiError.of(err);
  }
  if (failure) {
    reply.dataset.error = failure.code;
    reply.append(el('div', { class: 'message-error' }, String(failure)));
  }
  reply.dataset.streaming = 'false';
  running = null;
  updateButtons();
  try {
    await showJob(jobId);
  } catch (err) {
    if (!failure) throw err; // else the job may not exist (the request was refused): the failure says why
  }
  // A cancel is the user's own doing; any other failure shows up top as well.
  if (failure && failure.code !== 'CANCELLED') throw failure;
}

async function cancel() {
  if (running) await postJson(`/v1/jobs/${encodeURIComponent(running.jobId)}/cancel`);
}

// --- the job record ---

function clearJob() {
  $('#job').hidden = true;
}

/** GET /v1/jobs/{jobId}, asked again for a while if it still runs (a stream that broke off). */
async function showJob(jobId) {
  let job;
  for (let attempt = 0; attempt < 20; attempt++) {
    job = await getJson(`/v1/jobs/${encodeURIComponent(jobId)}`);
    if (job.status !== 'running') break;
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  const field = (name, value) => { $(`#job [data-field="${name}"]`).textContent = value ?? '–'; };
  const usage = job.result?.usage;
  field('status', job.status);
  $('#job [data-field="status"]').dataset.value = job.status;
  field('jobId', job.jobId);
  field('node', job.node);
  field('durationMs', job.result ? `${job.result.durationMs} ms` : null);
  field('usage', usage ? `${usage.promptTokens} prompt + ${usage.completionTokens} completion tokens` : null);
  field('error', job.error ? `${job.error.code}: ${job.error.message}` : null);
  $('#job [data-field="error"]').parentElement.hidden = !job.error;
  $('#job').hidden = false;
}

// --- state shown on the buttons, and what this browser remembers ---

function updateButtons() {
  $('#chat-create').disabled = !selectedAssistant;
  $('#message-send').disabled = !openChat || Boolean(running);
  $('#job-cancel').disabled = !running;
}

function scrollToEnd() {
  const box = $('#messages');
  box.scrollTop = box.scrollHeight;
}

function recalled(key) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? [];
  } catch {
    return []; // storage unavailable or garbled: start afresh
  }
}

/** Keeps entry first in the list under key (newest first), replacing an older copy of it. */
function remember(key, entry) {
  const list = [entry, ...recalled(key).filter(e => e.id !== entry.id)].slice(0, 50);
  try {
    localStorage.setItem(key, JSON.stringify(list));
  } catch { /* storage unavailable: the list lives as long as the page */ }
}
