// The control endpoints (/__*, not rate-limited): stats, reset, profile, id listings, health, shutdown.

import { HttpError, dec, parseJson, send } from './http-util.mjs';

/** Answer one control request; `close()` stops the server (for POST /__shutdown). */
export function control(engine, req, res, url, text, close) {
  const path = url.pathname;
  const m = req.method;
  if (m === 'GET' && path === '/__stats') {
    const includeIds = ['1', 'true'].includes(url.searchParams.get('ids') || '');
    return send(res, 200, engine.stats({ includeIds }));
  }
  if (m === 'GET' && path === '/__health') return send(res, 200, { ok: true });
  if (m === 'POST' && path === '/__reset') {
    const body = parseJson(text, { allowEmpty: true });
    if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
      throw new HttpError(400, 'bad.request', 'reset body must be a JSON object of options');
    }
    try {
      engine.reset(body);
    } catch (e) {
      throw new HttpError(400, 'bad.request', e.message);
    }
    return send(res, 200, { ok: true, profile: engine.config.profile, config: engine.stats().config });
  }
  if (m === 'POST' && path === '/__profile') {
    const body = parseJson(text, { allowEmpty: true }) || {};
    const name = body.profile ?? url.searchParams.get('profile');
    try {
      engine.setProfile(name);
    } catch (e) {
      throw new HttpError(400, 'bad.request', e.message);
    }
    return send(res, 200, { ok: true, profile: engine.config.profile });
  }
  if (m === 'GET' && path.startsWith('/__contacts/')) {
    return send(res, 200, engine.contactIds(dec(path.slice('/__contacts/'.length))));
  }
  if (m === 'GET' && path === '/__messages') return send(res, 200, engine.messageIds());
  if (m === 'POST' && path === '/__shutdown') {
    res.on('finish', () => close());
    return send(res, 200, { ok: true });
  }
  throw new HttpError(404, 'not.found', `Resource not found: ${m} ${path}`);
}
