// HTTP helpers shared by the API and control routes: errors as Genesys-style responses, bodies, tokens.

export class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c) => {
      if (tooBig) return;
      size += c.length;
      if (size > limit) {
        tooBig = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) reject(new HttpError(413, 'payload.too.large', `Request body exceeds ${limit} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

export function parseJson(text, { allowEmpty = false } = {}) {
  if (text.trim() === '') {
    if (allowEmpty) return undefined;
    throw new HttpError(400, 'bad.request', 'Request body is required');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad.request', 'Request body is not valid JSON');
  }
}

export function tokenOf(req) {
  const auth = req.headers.authorization;
  if (!auth || !auth.trim()) return 'anonymous';
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
  return m ? m[1].trim() : auth.trim();
}

export function send(res, status, body, headers = {}) {
  if (res.writableEnded || res.destroyed) return;
  const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body !== undefined) res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  res.writeHead(status);
  res.end(payload);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const dec = (s) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};
