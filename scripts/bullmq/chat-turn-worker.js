'use strict';
// The BullMQ side of scripts/bench-generate.sh: a straightforward BullMQ app doing chat-worker's chat
// turn on the same Redis. A Queue and a Worker (concurrency 64 by default) in this one process; the
// producer keeps `outstanding` jobs added but not yet completed (one Queue.add per job, as an app whose
// users send messages one at a time would); each job's processor, one awaited command at a time:
//   GET the assistant, LRANGE the last 20 messages, RPUSH the user message, RPUSH the assistant
//   message, HSET the chat (messageCount, updatedAt).
// The reply is built like chat-worker's builtin model ("You said: " + the user's text) and is the job's
// return value, which BullMQ stores with the job (chat-worker stores its reply with the job record).
// `--pipelined true` sends the two reads as one pipeline and the writes (RPUSH, RPUSH, HSET, HINCRBY)
// as one MULTI: 2 round trips instead of 5, the best a hand-written processor does without Lua.
//
// After `--warmup-seconds` it records for `--duration-seconds`: completed jobs/s, p50/p99 of
// added->completed latency, and INFO commandstats deltas. It prints one JSON line on stdout and
// exits; logs go to stderr. Installed and run by scripts/bench-generate.sh from target/bullmq-bench.

const { randomUUID } = require('crypto');
const { performance } = require('perf_hooks');
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');

const DEFAULTS = {
  'redis-url': 'redis://127.0.0.1:6379',
  concurrency: '64',
  outstanding: '128',
  chats: '1000',
  assistants: '10',
  'history': '20',
  'warmup-seconds': '5',
  'duration-seconds': '20',
  pipelined: 'false',
  seed: 'true',
  prefix: 'app',
  queue: 'chat-turns',
};

function parseArgs(argv) {
  const opts = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in DEFAULTS) || i + 1 >= argv.length) {
      throw new Error(`bad argument ${argv[i]}; known: ${Object.keys(DEFAULTS).join(', ')}`);
    }
    opts[name] = argv[i + 1];
  }
  return opts;
}

const log = (...args) => console.error('[bullmq]', ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function connectionOf(url) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    maxRetriesPerRequest: null, // BullMQ workers require it
  };
}

/** calls per command from INFO commandstats */
function commandCalls(info) {
  const calls = {};
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) calls[m[1]] = Number(m[2]);
  }
  return calls;
}

/** used_cpu_sys + used_cpu_user from INFO cpu, in seconds */
function redisCpuSeconds(info) {
  let total = 0;
  for (const line of info.split('\n')) {
    const m = /^used_cpu_(sys|user):([0-9.]+)/.exec(line.trim());
    if (m) total += Number(m[2]);
  }
  return total;
}

/** [busy, total] jiffies of all CPUs from /proc/stat (others' work included), or zeros */
function machineJiffies() {
  try {
    const f = require('fs').readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return [total - f[3] - f[4], total];
  } catch (e) {
    return [0, 0];
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

const round3 = (x) => Math.round(x * 1000) / 1000;

async function seed(redis, o) {
  const now = new Date().toISOString();
  const batch = redis.pipeline();
  for (let a = 0; a < o.assistants; a++) {
    batch.set(`${o.prefix}:asst:${a}`, JSON.stringify({
      id: `${a}`, name: `bench-${a}`, systemPrompt: 'You are a helpful assistant.',
      model: { provider: 'builtin', name: 'builtin', options: { tokenDelayMs: 0 } },
      memory: { type: 'message_window', maxMessages: o.history, maxTokens: 4096 }, createdAt: now,
    }));
  }
  for (let c = 0; c < o.chats; c++) {
    batch.hset(`${o.prefix}:chat:${c}`, { id: `${c}`, assistantId: `${c % o.assistants}`, name: `chat-${c}`,
      createdAt: now, messageCount: 0 });
  }
  await batch.exec();
}

/** One chat turn, one awaited command at a time (or, pipelined, two round trips). */
function processorFor(redis, o) {
  return async (job) => {
    const { chatId, assistantId, text } = job.data;
    const chatKey = `${o.prefix}:chat:${chatId}`;
    const msgsKey = `${chatKey}:msgs`;
    let assistantJson;
    let history;
    if (o.pipelined) {
      const [[e1, a], [e2, h]] = await redis.pipeline()
        .get(`${o.prefix}:asst:${assistantId}`).lrange(msgsKey, -o.history, -1).exec();
      if (e1 || e2) throw e1 || e2;
      assistantJson = a;
      history = h;
    } else {
      assistantJson = await redis.get(`${o.prefix}:asst:${assistantId}`);
      history = await redis.lrange(msgsKey, -o.history, -1);
    }
    if (assistantJson === null) throw new Error(`no assistant ${assistantId}`);
    const assistant = JSON.parse(assistantJson);
    const messages = history.map((m) => JSON.parse(m));
    const now = new Date().toISOString();
    const user = { id: randomUUID(), chatId, role: 'user', text, createdAt: now };
    // The builtin model: answer the last user message (context: assistant + window, as an app would build it).
    const prompt = [{ role: 'system', text: assistant.systemPrompt }, ...messages, user];
    const reply = {
      id: randomUUID(), chatId, role: 'assistant', text: `You said: ${prompt[prompt.length - 1].text}`,
      createdAt: new Date().toISOString(), jobId: job.id,
    };
    let count;
    if (o.pipelined) {
      const results = await redis.multi().rpush(msgsKey, JSON.stringify(user))
        .rpush(msgsKey, JSON.stringify(reply)).hset(chatKey, 'updatedAt', reply.createdAt)
        .hincrby(chatKey, 'messageCount', 2).exec();
      const error = results.find(([err]) => err);
      if (error) throw error[0];
      count = results[1][1];
    } else {
      await redis.rpush(msgsKey, JSON.stringify(user));
      count = await redis.rpush(msgsKey, JSON.stringify(reply));
      await redis.hset(chatKey, { messageCount: count, updatedAt: reply.createdAt });
    }
    return { message: { ...reply, seq: count } };
  };
}

async function main() {
  const raw = parseArgs(process.argv.slice(2));
  const o = {
    ...raw,
    concurrency: Number(raw.concurrency),
    outstanding: Number(raw.outstanding),
    chats: Number(raw.chats),
    assistants: Number(raw.assistants),
    history: Number(raw.history),
    warmupMs: Number(raw['warmup-seconds']) * 1000,
    durationMs: Number(raw['duration-seconds']) * 1000,
    pipelined: raw.pipelined === 'true',
    seed: raw.seed === 'true',
  };
  const connection = connectionOf(raw['redis-url']);
  const app = new IORedis(connection); // the processor's own connection, as an app would hold
  const admin = new IORedis(connection); // INFO only
  if (o.seed) await seed(app, o);

  const queue = new Queue(o.queue, {
    connection,
    defaultJobOptions: { removeOnComplete: { age: 86400 }, removeOnFail: { age: 86400 } },
  });
  await queue.obliterate({ force: true }); // jobs left over by an earlier run would skew the latencies
  let added = 0;
  let completed = 0;
  let failed = 0;
  let firstError = null;
  let recording = false;
  let stopping = false;
  let recorded = 0;
  const latencies = new Float64Array(8_000_000);
  const intervals = new Float64Array(8_000_000); // between two completions: one job's cycle at concurrency 1
  let lastCompletedAt = 0;
  let intervalCount = 0;

  const addOne = () => {
    const n = added++;
    const chat = n % o.chats;
    return queue.add('turn', {
      chatId: `${chat}`, assistantId: `${chat % o.assistants}`, text: `message ${n} to chat ${chat}`,
      sentAt: performance.now(),
    }).catch((err) => {
      failed++;
      firstError = firstError || String(err);
    });
  };
  const refill = () => {
    while (!stopping && added - completed - failed < o.outstanding) addOne();
  };

  const worker = new Worker(o.queue, processorFor(app, o), { connection, concurrency: o.concurrency });
  worker.on('completed', (job) => {
    completed++;
    const now = performance.now();
    if (recording && recorded < latencies.length) latencies[recorded++] = now - job.data.sentAt;
    if (recording && lastCompletedAt > 0 && intervalCount < intervals.length) intervals[intervalCount++] = now - lastCompletedAt;
    lastCompletedAt = now;
    refill();
  });
  worker.on('failed', (job, err) => {
    failed++;
    firstError = firstError || String(err);
    refill();
  });
  worker.on('error', (err) => log('worker error', String(err)));
  await worker.waitUntilReady();
  await queue.waitUntilReady();

  refill();
  log(`warm-up started: concurrency ${o.concurrency}, ${o.outstanding} jobs outstanding, ${o.chats} chats`);
  await sleep(o.warmupMs);
  const before = commandCalls(await admin.info('commandstats'));
  const redisCpuBefore = redisCpuSeconds(await admin.info('cpu'));
  const cpuBefore = process.cpuUsage();
  const machineBefore = machineJiffies();
  const completedBefore = completed;
  const failedBefore = failed;
  recording = true;
  const t0 = performance.now();
  await sleep(o.durationMs);
  recording = false;
  const seconds = (performance.now() - t0) / 1000;
  const jobs = completed - completedBefore;
  const after = commandCalls(await admin.info('commandstats'));
  const redisCpuAfter = redisCpuSeconds(await admin.info('cpu'));
  const cpu = process.cpuUsage(cpuBefore);
  const machineAfter = machineJiffies();
  const machineTotal = machineAfter[1] - machineBefore[1];
  stopping = true;

  const byCommand = {};
  let total = 0;
  for (const [name, calls] of Object.entries(after)) {
    const delta = calls - (before[name] || 0);
    if (delta > 0 && name !== 'info' && name !== 'ping') {
      byCommand[name] = round3(delta / jobs);
      total += delta;
    }
  }
  const sorted = Array.from(latencies.subarray(0, recorded)).sort((a, b) => a - b);
  const result = {
    bench: 'generate',
    system: o.pipelined ? 'bullmq-pipelined' : 'bullmq',
    concurrency: o.concurrency,
    outstanding: o.outstanding,
    chats: o.chats,
    jobsPerSec: Math.round(jobs / seconds),
    jobs,
    p50Ms: round3(percentile(sorted, 50)),
    p99Ms: round3(percentile(sorted, 99)),
    completionIntervalP50Ms: round3(percentile(Array.from(intervals.subarray(0, intervalCount)).sort((a, b) => a - b), 50)),
    redisCommandsPerJob: round3(total / jobs),
    redisCommandsByType: byCommand,
    redisCpuUsPerJob: round3(((redisCpuAfter - redisCpuBefore) * 1e6) / jobs),
    clientCpuUsPerJob: round3((cpu.user + cpu.system) / jobs),
    machineBusyPct: machineTotal > 0 ? Math.round((100 * (machineAfter[0] - machineBefore[0])) / machineTotal) : null,
    errors: failed - failedBefore,
    firstError,
    seconds: round3(seconds),
    bullmqVersion: require('bullmq/package.json').version,
    ioredisVersion: require('ioredis/package.json').version,
    nodeVersion: process.version,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  log(`${result.system}: ${result.jobsPerSec} jobs/s p50 ${result.p50Ms} ms p99 ${result.p99Ms} ms errors ${result.errors}`);

  // Let the in-flight jobs finish, then close everything; the caller flushes Redis afterwards.
  await worker.close();
  await queue.close();
  await app.quit();
  await admin.quit();
}

main().then(() => process.exit(0), (err) => {
  log('failed:', err && err.stack ? err.stack : err);
  process.exit(1);
});
