#!/usr/bin/env node
// A chat-worker HTTP API client in plain Node.js 20: the built-in fetch, no packages.
// It creates an assistant (builtin model, a small delay per token so that streaming is visible) and
// a chat, sends one streaming generate, prints each delta as it arrives and the reply's summary at
// the end. It checks what the contract promises a streaming client (shared/CONTRACT.md, "HTTP API"):
// chunks come in seq order, exactly one `done` or `error` ends the stream, and the deltas put
// together are the stored message's text (the builtin model's words keep their spaces).
//
// Usage: node examples/node-client.mjs [BASE_URL] [TEXT]
//   BASE_URL            default $CHATWORKER_URL, else http://127.0.0.1:8080
//   CHATWORKER_API_KEY  sent as `Authorization: Bearer <key>` when set
// Exit: 0 on `done`; 1 on a contract error (printed to stderr as {code, message}), a broken stream,
// or a check that failed.

const base = (process.argv[2] || process.env.CHATWORKER_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const text = process.argv[3] || 'What is a circuit breaker, in one sentence?';
const apiKey = process.env.CHATWORKER_API_KEY;

/** A failure the node answered: its HTTP status and the contract's {code, message}. */
class ApiError extends Error {
  constructor(status, body) {
    super(body.message);
    this.status = status;
    this.body = body;
  }
}

function headers(extra = {}) {
  const h = { 'Content-Type': 'application/json', ...extra };
  if (apiKey) h.Authorization = `Bearer ${apiKey}`;
  return h;
}

/** The contract's error body of a failed response; a body that is not one is described, not lost. */
async function errorOf(response) {
  const raw = await response.text();
  try {
    const body = JSON.parse(raw);
    if (body && typeof body.code === 'string') return new ApiError(response.status, body);
  } catch { /* not JSON: described below */ }
  return new ApiError(response.status, { code: `HTTP_${response.status}`, message: raw.slice(0, 500) });
}

async function post(path, body) {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: headers(), body: JSON.stringify(body) });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/**
 * Yields the events of a text/event-stream body as {event, data} while it arrives: an event ends at
 * a blank line; `event:` names it (default "message"), `data:` lines are joined with "\n", lines
 * starting with ":" are comments (keep-alives).
 */
async function* serverSentEvents(body) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true }).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) yield { event, data: data.join('\n') };
    }
  }
}

function fail(message) {
  console.error(`node-client: ${message}`);
  process.exitCode = 1;
}

async function main() {
  const assistant = await post('/v1/assistants', {
    name: 'node-client',
    model: { provider: 'builtin', options: { tokenDelayMs: 20 } },
  });
  const chat = await post('/v1/chats', { assistantId: assistant.id, name: 'node-client' });
  console.log(`assistant ${assistant.id}, chat ${chat.id}`);
  console.log(`> ${text}`);

  const response = await fetch(`${base}/v1/chats/${encodeURIComponent(chat.id)}/generate`, {
    method: 'POST',
    headers: headers({ Accept: 'text/event-stream' }),
    body: JSON.stringify({ text, stream: true }),
  });
  if (!response.ok) throw await errorOf(response);
  const type = response.headers.get('content-type') || '';
  if (!type.startsWith('text/event-stream')) {
    return fail(`expected a text/event-stream answer, got '${type}': ${(await response.text()).slice(0, 500)}`);
  }

  let nextSeq = 0;
  let streamed = '';
  for await (const { event, data } of serverSentEvents(response.body)) {
    const payload = JSON.parse(data);
    if (event === 'chunk') {
      if (payload.seq !== nextSeq) {
        return fail(`chunk seq ${payload.seq} arrived where ${nextSeq} was due`);
      }
      nextSeq++;
      streamed += payload.delta;
      process.stdout.write(payload.delta);
    } else if (event === 'done') {
      process.stdout.write('\n');
      const { jobId, message, usage, node, durationMs } = payload;
      console.log(`done: job ${jobId}, message seq ${message.seq}, usage ${JSON.stringify(usage)}, node ${node}, ${durationMs} ms`);
      if (streamed !== message.text) {
        return fail(`the ${nextSeq} streamed deltas differ from the stored text:\n  streamed: ${JSON.stringify(streamed)}\n  stored:   ${JSON.stringify(message.text)}`);
      }
      return; // exit code 0; anything after `done` would break the contract, but is not ours to read
    } else if (event === 'error') {
      process.stdout.write('\n');
      throw new ApiError(response.status, payload);
    }
    // Other event names are not the contract's: ignored, as an SSE client must.
  }
  return fail(`the stream ended after ${nextSeq} chunks without a done or error event`);
}

main().catch((err) => {
  if (err instanceof ApiError) {
    console.error(JSON.stringify(err.body));
  } else {
    console.error(`node-client: ${base}: ${err.cause?.message || err.message}`);
  }
  process.exitCode = 1;
});
