// Same-origin calls to the node: the public API under /v1 and the console's /console/cluster. No
// Authorization header is set: when keys are on, the browser's cached Basic credentials ride along.

/** A failed call, in the contract's words: {code, message}; shown as "CODE: message". */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }

  toString() {
    return `${this.code}: ${this.message}`;
  }

  /** Any failure (an ApiError, a network error, an abort) as an ApiError. */
  static of(err) {
    if (err instanceof ApiError) return err;
    if (err?.name === 'AbortError' || err?.name === 'TimeoutError') {
      return new ApiError('TIMEOUT', 'the node did not answer in time');
    }
    return new ApiError('UNREACHABLE', `the node could not be reached (${err?.message ?? err})`);
  }
}

/** The contract's error body of a failed response; a body that is not one is described, not lost. */
async function errorOf(response) {
  const raw = await response.text();
  try {
    const body = JSON.parse(raw);
    if (body && typeof body.code === 'string') return new ApiError(body.code, body.message ?? '', response.status);
  } catch { /* not JSON: described below */ }
  return new ApiError(`HTTP_${response.status}`, raw.slice(0, 300) || response.statusText, response.status);
}

/**
 * fetch() that throws an ApiError for a network failure or a status other than 2xx; timeoutMs null:
 * no deadline of its own.
 */
export async function request(method, path, body, { timeoutMs = 15000 } = {}) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (timeoutMs !== null) init.signal = AbortSignal.timeout(timeoutMs);
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(sameOrigin(path), init);
  } catch (err) {
    throw ApiError.of(err);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

/**
 * path as an absolute URL on the page's origin. Not resolved against the page's address: a page opened
 * as http://user:key@host/ (how a key is given in the address) has the credentials in its address, and
 * fetch() refuses any URL that carries credentials ("Request cannot be constructed from a URL that
 * includes credentials"). location.origin never holds them; the browser adds the Basic credentials it
 * cached for the origin by itself.
 */
function sameOrigin(path) {
  return new URL(path, location.origin).href;
}

export async function getJson(path, options) {
  return (await request('GET', path, undefined, options)).json();
}

export async function postJson(path, body, options) {
  return (await request('POST', path, body, options)).json();
}

/**
 * POST /v1/chats/{id}/generate with "stream": true, calling onEvent({event, data}) for every server-sent
 * event as it arrives (data parsed as JSON). EventSource cannot POST, hence fetch() and a reader.
 * Resolves when the body ends; a failure before the stream opens throws an ApiError.
 */
export async function generateStream(chatId, body, onEvent) {
  // No timeout on the stream itself: the job's own deadline ends it with an error event.
  const response = await request('POST', `/v1/chats/${encodeURIComponent(chatId)}/generate`,
    { ...body, stream: true }, { timeoutMs: null });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = parseFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (frame) onEvent(frame);
    }
  }
}

/** One SSE frame: `event:` names it (default "message"), `data:` lines joined; ":" lines are comments. */
function parseFrame(block) {
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
  return data.length === 0 ? null : { event, data: JSON.parse(data.join('\n')) };
}
