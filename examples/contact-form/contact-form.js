// A contact form endpoint on node:http: POST (form-encoded or JSON) -> validation -> the
// `contact-form` template to the site owner (reply-to: the visitor) and `contact-form-receipt` to
// the visitor. Bots are turned away by a honeypot field and a per-IP rate limit; visitor input
// only ever reaches HTML through escaping (the templates escape variables, this file escapes the
// pages it writes itself).
import { addressProblem } from 'mailroom-js';

const MAX_BODY_BYTES = 32 * 1024;
const LIMITS = { name: 100, email: 254, topic: 150, message: 5000 };
// Control characters (line breaks included) have no place in a name, an address or a topic.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * @param {object} options
 * @param {import('mailroom-js').Mailer} options.mailer
 * @param {string} options.owner Where messages go, e.g. "Shop <hello@shop.example>".
 * @param {string} [options.siteName] Shown on the pages. Default "our site".
 * @param {number} [options.rateLimit] Submissions per IP per window. Default 5.
 * @param {number} [options.rateWindowMs] Window length. Default 10 minutes.
 * @param {boolean} [options.trustProxy] Take the client IP from X-Forwarded-For (behind a proxy you run). Default false.
 * @param {boolean} [options.sendReceipt] Send the visitor a copy. Default true.
 * @param {(line: string) => void} [options.log] Default console.log.
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void}
 */
export function createContactForm(options) {
  const { mailer, owner, siteName = 'our site', rateLimit = 5, rateWindowMs = 10 * 60_000, trustProxy = false, sendReceipt = true, log = console.log } = options;
  const limiter = createRateLimiter(rateLimit, rateWindowMs);

  return (req, res) => {
    handle(req, res).catch((error) => {
      log(`contact form: ${error.message}`);
      if (!res.headersSent) reply(req, res, 500, { ok: false, error: 'Your message could not be sent. Please try again later.' });
    });
  };

  async function handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/contact') return reply(req, res, 404, { ok: false, error: 'Not found' });
    if (req.method === 'GET') return page(res, 200, formPage(siteName));
    if (req.method !== 'POST') return reply(req, res, 405, { ok: false, error: 'Use POST' }, { allow: 'GET, POST' });

    const ip = clientIp(req, trustProxy);
    const wait = limiter.take(ip);
    if (wait > 0) {
      return reply(req, res, 429, { ok: false, error: 'Too many messages from your address. Please try again later.' }, { 'retry-after': String(Math.ceil(wait / 1000)) });
    }

    const fields = await readFields(req);
    if (!fields) return reply(req, res, 413, { ok: false, error: 'The message is too large.' });
    // A field humans never see (hidden by CSS): only bots fill it. They get the same answer as a
    // person, so they learn nothing, and nothing is sent.
    if (fields.website) {
      log(`contact form: honeypot filled from ${ip}, nothing sent`);
      return reply(req, res, 200, { ok: true }, {}, fields.name);
    }
    const errors = validate(fields);
    if (Object.keys(errors).length > 0) return reply(req, res, 400, { ok: false, errors });

    const visitor = { name: fields.name.trim(), email: fields.email.trim() };
    const data = { visitor, topic: fields.topic.trim() || undefined, message: fields.message.trim(), page: req.headers.referer, receivedAt: new Date().toISOString() };
    await mailer.send({ to: owner, template: { name: 'contact-form', data }, tags: ['contact-form'] });
    if (sendReceipt) {
      // The visitor's copy is a courtesy: when it fails, the owner still has the message.
      await mailer.send({ to: { name: visitor.name, address: visitor.email }, template: { name: 'contact-form-receipt', data }, tags: ['contact-form-receipt'] })
        .catch((error) => log(`contact form: receipt not sent: ${error.message}`));
    }
    return reply(req, res, 200, { ok: true }, {}, visitor.name);
  }
}

function validate(fields) {
  const errors = {};
  const check = (name, label, required) => {
    const value = fields[name].trim();
    if (required && !value) errors[name] = `${label} is required.`;
    else if (value.length > LIMITS[name]) errors[name] = `${label} is longer than ${LIMITS[name]} characters.`;
    else if (name !== 'message' && CONTROL.test(value)) errors[name] = `${label} must be on one line.`;
  };
  check('name', 'Your name', true);
  check('email', 'Your email', true);
  check('topic', 'The topic', false);
  check('message', 'The message', true);
  if (!errors.email && addressProblem(fields.email.trim())) errors.email = 'Your email address does not look right.';
  return errors;
}

async function readFields(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks).toString('utf8');
  let raw = {};
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
    try {
      raw = JSON.parse(body);
    } catch {
      raw = {};
    }
  } else {
    raw = Object.fromEntries(new URLSearchParams(body));
  }
  const text = (value) => (typeof value === 'string' ? value : '');
  return { name: text(raw.name), email: text(raw.email), topic: text(raw.topic), message: text(raw.message), website: text(raw.website) };
}

function clientIp(req, trustProxy) {
  const forwarded = trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]?.trim() : '';
  return forwarded || req.socket.remoteAddress || 'unknown';
}

/** A fixed window per IP; returns how long to wait (0: go ahead). Old windows are dropped as it goes. */
function createRateLimiter(limit, windowMs) {
  const windows = new Map();
  return {
    take(ip) {
      const now = Date.now();
      for (const [key, window] of windows) if (window.resetAt <= now) windows.delete(key);
      const window = windows.get(ip) ?? { count: 0, resetAt: now + windowMs };
      windows.set(ip, window);
      if (window.count >= limit) return window.resetAt - now;
      window.count += 1;
      return 0;
    },
  };
}

// A browser posting the form gets a page; a script (fetch, curl) gets JSON.
function reply(req, res, status, body, headers = {}, name) {
  if ((req.headers.accept ?? '').includes('text/html')) {
    const text = body.ok
      ? `Thank you${name ? `, ${escapeHtml(name)}` : ''}: your message was sent.`
      : escapeHtml(body.error ?? Object.values(body.errors ?? {}).join(' '));
    return page(res, status, `<p>${text}</p><p><a href="/contact">Back</a></p>`, headers);
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function page(res, status, content, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'", ...headers });
  res.end(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Contact</title><body>${content}</body></html>`);
}

function formPage(siteName) {
  return `<h1>Contact ${escapeHtml(siteName)}</h1>
<form method="post" action="/contact">
  <p><label>Your name <input name="name" required maxlength="${LIMITS.name}"></label></p>
  <p><label>Your email <input name="email" type="email" required maxlength="${LIMITS.email}"></label></p>
  <p><label>Topic <input name="topic" maxlength="${LIMITS.topic}"></label></p>
  <p><label>Message <textarea name="message" required maxlength="${LIMITS.message}"></textarea></label></p>
  <p style="position:absolute;left:-10000px" aria-hidden="true"><label>Leave this empty <input name="website" tabindex="-1" autocomplete="off"></label></p>
  <p><button>Send</button></p>
</form>`;
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
