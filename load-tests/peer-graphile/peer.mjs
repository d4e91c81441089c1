// The peer of Relay's end-to-end benchmark: graphile-worker doing the same durable work as Relay's e2e path.
// relay-bench (PeerBench.java) runs it; one process per command, talking over stdin/stdout in lines:
//
//   node peer.mjs migrate --connection URL
//       installs graphile-worker's schema; prints "migrated".
//   node peer.mjs work --connection URL --sink URL --template FILE [--concurrency N --local-queue N --pool N
//                      --complete-delay MS --send-batch N --linger MS --tracking-keys KID:B64 --public-url URL]
//       a worker process: takes send_email jobs, renders each, POSTs them to the sink in requests of --send-batch
//       and completes each job once the sink accepted its message. Prints "ready" once it looks for jobs;
//       SIGTERM shuts it down gracefully (graphile-worker's own handler).
//   node peer.mjs enqueue --connection URL --bodies FILE [--clients N]
//       reads Relay's POST /v1/batches bodies (one JSON body a line), prints "ready <batches>", waits for "go" on
//       stdin, then from --clients connections turns each body into one job per recipient and adds them with
//       addJobs (graphile_worker.add_jobs: one statement, one transaction per body). Prints "done <json>" and
//       stays alive until stdin closes, so that its CPU can still be read.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import readline from "node:readline";
import { Logger, makeWorkerUtils, run, runMigrations } from "graphile-worker";
import Mustache from "mustache";

const TASK = "send_email";
const TENANT = "bench";

function options(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith("--")) throw new Error(`unexpected argument: ${argv[i]}`);
    opts[argv[i].slice(2)] = argv[++i];
  }
  return opts;
}

function int(opts, name, fallback) {
  const value = opts[name] === undefined ? fallback : Number(opts[name]);
  if (!Number.isInteger(value)) throw new Error(`--${name} must be an integer, not ${opts[name]}`);
  return value;
}

function required(opts, name) {
  if (!opts[name]) throw new Error(`--${name} is required`);
  return opts[name];
}

// Warnings and errors only, on standard error (relay-bench appends it to the peer's log).
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") {
    process.stderr.write(`[peer ${process.pid}] ${level}: ${message}\n`);
  }
});

// ------------------------------------------------------------------------------------------------ rendering

// The message's tracking, as Relay's renderer does it for the same template: every link of the HTML part but the
// unsubscribe link and those marked data-relay-notrack goes through a signed click URL, an open pixel and a hidden
// decoy link go before </body>, the unsubscribe URL is a signed token too and is also list_unsubscribe. The tokens
// are base64url(version, kind, key id, message id, link [, url] || HMAC-SHA256[0..16]), as long as Relay's.
class Tracking {
  constructor(keys, publicUrl) {
    const [kid, secret] = keys.split(",")[0].split(":");
    this.kid = Buffer.from(kid, "ascii");
    this.key = Buffer.from(secret, "base64");
    this.base = publicUrl.replace(/\/$/, "");
  }

  token(kind, messageId, extra) {
    const payload = Buffer.concat([Buffer.from([1, kind, this.kid.length]), this.kid, varint(messageId), extra]);
    const mac = createHmac("sha256", this.key).update(payload).digest().subarray(0, 16);
    return Buffer.concat([payload, mac]).toString("base64url");
  }

  open(id) {
    return `${this.base}/t/o/${this.token(0, id, Buffer.alloc(0))}`;
  }

  click(id, templateId, link, url) {
    const extra = url === undefined
      ? Buffer.concat([Buffer.from([0]), varint(BigInt(templateId)), varint(BigInt(link))])
      : Buffer.concat([Buffer.from([1]), Buffer.from(url, "utf8")]);
    return `${this.base}/t/c/${this.token(1, id, extra)}`;
  }

  decoy(id) {
    return `${this.base}/t/c/${this.token(1, id, Buffer.from([0, 0, 0]))}`;
  }

  unsubscribe(id) {
    return `${this.base}/u/${this.token(2, id, Buffer.alloc(0))}`;
  }
}

function varint(value) {
  let n = BigInt(value);
  const bytes = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    bytes.push(b);
  } while (n > 0n);
  return Buffer.from(bytes);
}

const PIXEL = '<img src="{{{__open}}}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">'
  + '<a href="{{{__decoy}}}" style="display:none" aria-hidden="true" tabindex="-1"></a>';
const LINK = /(<a\b[^>]*?\bhref=")([^"]*)("[^>]*>)/g;

// One locale variant's email parts, links rewritten once into placeholders, parsed once by Mustache.
function compileVariant(email) {
  const links = [];
  const html = email.html.replace(LINK, (all, before, href, after) => {
    if (/data-relay-notrack/.test(all) || /^\{\{\{?\s*&?\s*unsubscribe_url\s*\}?\}\}$/.test(href.trim())
      || href.startsWith("mailto:")) {
      return all;
    }
    links.push(href);
    return `${before}{{{__click_${links.length - 1}}}}${after}`;
  });
  const withPixel = html.includes("</body>") ? html.replace("</body>", `${PIXEL}</body>`) : html + PIXEL;
  const parts = { subject: email.subject, html: withPixel, text: email.text };
  for (const source of Object.values(parts)) Mustache.parse(source);
  for (const href of links) Mustache.parse(href);
  return { parts, links };
}

function loadTemplate(file) {
  const definition = JSON.parse(readFileSync(file, "utf8"));
  const variants = {};
  for (const [locale, variant] of Object.entries(definition.locales)) {
    if (variant.email) variants[locale] = { ...compileVariant(variant.email), defaults: variant.defaults ?? {} };
  }
  const fallback = definition.default_locale;
  return {
    id: 1,
    defaults: definition.defaults ?? {},
    variant(locale) {
      return variants[locale] ?? variants[locale?.split("-")[0]] ?? variants[fallback];
    },
  };
}

const NO_ESCAPE = { escape: (text) => String(text) };
// The HTML escaping of Relay's renderer (jmustache's): mustache.js would also escape "/", making URLs longer.
const HTML_ENTITIES = { "&": "&amp;", "'": "&#39;", '"': "&quot;", "<": "&lt;", ">": "&gt;", "`": "&#x60;", "=": "&#x3D;" };
const HTML_ESCAPE = { escape: (text) => String(text).replace(/[&'"<>`=]/g, (c) => HTML_ENTITIES[c]) };

function render(template, tracking, jobId, payload) {
  const variant = template.variant(payload.recipient.locale);
  const view = { ...template.defaults, ...variant.defaults, ...payload.recipient.variables };
  const unsubscribe = tracking.unsubscribe(jobId);
  view.unsubscribe_url = unsubscribe;
  variant.links.forEach((href, i) => {
    view[`__click_${i}`] = href.includes("{{")
      ? tracking.click(jobId, template.id, i, Mustache.render(href, view, undefined, NO_ESCAPE))
      : tracking.click(jobId, template.id, i);
  });
  view.__open = tracking.open(jobId);
  view.__decoy = tracking.decoy(jobId);
  return {
    subject: Mustache.render(variant.parts.subject, view, undefined, NO_ESCAPE),
    html: Mustache.render(variant.parts.html, view, undefined, HTML_ESCAPE),
    text: Mustache.render(variant.parts.text, view, undefined, NO_ESCAPE),
    list_unsubscribe: unsubscribe,
  };
}

// ------------------------------------------------------------------------------------------------ the sink

// Gathers the messages of concurrently running jobs into requests of up to sendBatch: a request leaves as soon as
// it is full, or lingerMs after its first message when the jobs running do not fill it. Each job's promise settles
// with its message's result, so a job completes only once the sink accepted its message.
class Sender {
  constructor(sinkUrl, sendBatch, lingerMs, sockets) {
    const url = new URL("/v1/messages", sinkUrl);
    this.request = { hostname: url.hostname, port: url.port, path: url.pathname, method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      agent: new http.Agent({ keepAlive: true, maxSockets: sockets }) };
    this.sendBatch = sendBatch;
    this.lingerMs = lingerMs;
    this.pending = [];
    this.timer = null;
  }

  send(message) {
    return new Promise((resolve, reject) => {
      this.pending.push({ message, resolve, reject });
      if (this.pending.length >= this.sendBatch) {
        this.flush();
      } else if (this.timer === null) {
        this.timer = setTimeout(() => this.flush(), this.lingerMs);
      }
    });
  }

  flush() {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const group = this.pending.splice(0, this.sendBatch);
    if (this.pending.length > 0) this.timer = setTimeout(() => this.flush(), this.lingerMs);
    if (group.length === 0) return;
    const body = JSON.stringify({ messages: group.map((p) => p.message) });
    const fail = (error) => group.forEach((p) => p.reject(error));
    const req = http.request(this.request, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("error", fail);
      res.on("end", () => {
        if (res.statusCode !== 200) {
          fail(new Error(`sink answered ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
          return;
        }
        let results;
        try {
          results = JSON.parse(Buffer.concat(chunks).toString()).results;
        } catch (error) {
          fail(error);
          return;
        }
        if (!Array.isArray(results) || results.length !== group.length) {
          fail(new Error(`sink answered ${results?.length} results for ${group.length} messages`));
          return;
        }
        group.forEach((p, i) => (results[i].status === "accepted"
          ? p.resolve(results[i].id)
          : p.reject(new Error(`sink did not accept: ${JSON.stringify(results[i])}`))));
      });
    });
    req.on("error", fail);
    req.setTimeout(10_000, () => req.destroy(new Error("sink request timed out")));
    req.end(body);
  }
}

// ------------------------------------------------------------------------------------------------ commands

async function migrate(opts) {
  await runMigrations({ connectionString: required(opts, "connection"), logger });
  console.log("migrated");
}

async function work(opts) {
  const concurrency = int(opts, "concurrency", 200);
  const sendBatch = int(opts, "send-batch", 50);
  const template = loadTemplate(required(opts, "template"));
  const tracking = new Tracking(required(opts, "tracking-keys"), required(opts, "public-url"));
  const sender = new Sender(required(opts, "sink"), sendBatch, int(opts, "linger", 2),
    Math.max(1, Math.ceil(concurrency / sendBatch)));
  const taskList = {
    [TASK]: async (payload, helpers) => {
      const id = helpers.job.id;
      await sender.send({
        idempotency_key: `gw-${id}`,
        attempt: helpers.job.attempts,
        channel: "email",
        to: payload.recipient.addresses.email,
        tenant: TENANT,
        campaign: payload.campaign,
        recipient_id: payload.recipient.id,
        locale: payload.recipient.locale,
        content: render(template, tracking, id, payload),
      });
    },
  };
  const runner = await run({
    taskList,
    logger,
    preset: {
      worker: {
        connectionString: required(opts, "connection"),
        concurrentJobs: concurrency,
        maxPoolSize: int(opts, "pool", 10),
        localQueue: { size: int(opts, "local-queue", 500) },
        completeJobBatchDelay: int(opts, "complete-delay", 0),
        failJobBatchDelay: int(opts, "complete-delay", 0),
        pollInterval: 2000,
      },
    },
  });
  console.log("ready");
  await runner.promise;
}

async function enqueue(opts) {
  const clients = int(opts, "clients", 4);
  const bodies = readFileSync(required(opts, "bodies"), "utf8").split("\n").filter((line) => line.length > 0);
  const utils = await makeWorkerUtils({ connectionString: required(opts, "connection"), maxPoolSize: clients,
    logger });
  // A connection per client, opened before the clock starts (as Relay's gateway has its pool open).
  await Promise.all(Array.from({ length: clients }, () => utils.withPgClient(() => undefined)));
  const lines = readline.createInterface({ input: process.stdin });
  const input = lines[Symbol.asyncIterator]();
  console.log(`ready ${bodies.length}`);
  const go = await input.next();
  if (go.done || go.value.trim() !== "go") throw new Error(`expected "go", read ${JSON.stringify(go.value)}`);
  const started = process.hrtime.bigint();
  let next = 0;
  let jobs = 0;
  const errors = [];
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < bodies.length) {
      const body = JSON.parse(bodies[next++]);
      const specs = body.recipients.map((recipient) => ({
        identifier: TASK,
        payload: { campaign: body.campaign, template: body.template, priority: body.priority, recipient },
      }));
      try {
        const added = await utils.addJobs(specs);
        jobs += added.length;
      } catch (error) {
        errors.push(String(error));
      }
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`done ${JSON.stringify({ batches: bodies.length, jobs, errors: errors.length,
    error_samples: errors.slice(0, 5), seconds })}`);
  await utils.release();
  // Stay alive until told to go, so that relay-bench reads this process's CPU after the work it caused.
  while (!(await input.next()).done) {
    // ignore
  }
}

const [command, ...rest] = process.argv.slice(2);
const commands = { migrate, work, enqueue };
try {
  if (!commands[command]) throw new Error(`name a command: ${Object.keys(commands).join(", ")}`);
  await commands[command](options(rest));
} catch (error) {
  process.stderr.write(`peer ${command}: ${error.stack ?? error}\n`);
  process.exit(1);
}
