// cdp_report.js REPORT.html OUT.png [WIDE_ID]: opens a report in headless Chromium over
// the DevTools protocol (--remote-debugging-pipe: no npm package, no network), lets it
// render, and prints one JSON object with what the page shows: the requirement matrix
// rows, each ladder's rendered size and how many arrows and heads it draws, whether the
// ladder of WIDE_ID scrolls sideways instead of being cut, and every console message,
// exception and failed load. OUT.png gets a screenshot of the page top and OUT-ladder.png
// one of the first ladder. Exit status 0 when the page loaded, 1 otherwise.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [report, png, wideId] = process.argv.slice(2);
if (!report || !png) {
  console.error('usage: node cdp_report.js REPORT.html OUT.png [WIDE_ID]');
  process.exit(2);
}
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'siploc-chromium-'));
const browser = spawn(process.env.CHROMIUM || 'chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-default-apps', '--disable-extensions', '--mute-audio',
  `--user-data-dir=${profile}`, '--remote-debugging-pipe', '--window-size=1400,1000',
  'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let stderr = '';
browser.stderr.on('data', (d) => { stderr += d; });

// The pipe protocol: one JSON message per NUL-terminated chunk, fd 3 in, fd 4 out.
const toBrowser = browser.stdio[3], fromBrowser = browser.stdio[4];
let nextId = 1, buf = '';
const pending = new Map(), waiters = [];
const events = { console: [], exceptions: [], failed: [] };
fromBrowser.on('data', (chunk) => {
  buf += chunk.toString('utf8');
  let nul;
  while ((nul = buf.indexOf('\0')) >= 0) {
    const msg = JSON.parse(buf.slice(0, nul));
    buf = buf.slice(nul + 1);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(JSON.stringify(msg.error))); else resolve(msg.result);
      continue;
    }
    const p = msg.params || {};
    if (msg.method === 'Runtime.consoleAPICalled')
      events.console.push({ type: p.type, text: (p.args || []).map((a) => a.value).join(' ') });
    else if (msg.method === 'Runtime.exceptionThrown')
      events.exceptions.push(p.exceptionDetails.text + ' ' +
        ((p.exceptionDetails.exception || {}).description || ''));
    else if (msg.method === 'Log.entryAdded')
      events.console.push({ type: p.entry.level, text: p.entry.text, source: p.entry.source });
    else if (msg.method === 'Network.loadingFailed')
      events.failed.push(p.errorText);
    for (let i = waiters.length - 1; i >= 0; i--)
      if (waiters[i].method === msg.method) waiters.splice(i, 1)[0].resolve(p);
  }
});

function send(method, params = {}, sessionId) {
  const id = nextId++;
  const m = { id, method, params };
  if (sessionId) m.sessionId = sessionId;
  toBrowser.write(JSON.stringify(m) + '\0');
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}
const waitFor = (method) => new Promise((resolve) => waiters.push({ method, resolve }));

// What the page shows, computed in the page (it has no script of its own).
const probe = (wide) => `(() => {
  const ladders = [...document.querySelectorAll('svg.ladder')].map((s) => {
    const r = s.getBoundingClientRect(), box = s.parentElement.closest('div.ladder');
    const text = [...s.querySelectorAll('text')];
    return { id: (s.getAttribute('aria-label') || '').replace('ladder diagram of ', ''),
             width: r.width, height: r.height, arrows: s.querySelectorAll('g.msg').length,
             wire: s.querySelectorAll('g.msg.wire').length,
             failed: s.querySelectorAll('g.msg.failed').length,
             heads: s.querySelectorAll('g.heads').length,
             columns: s.querySelector('g.heads') ? s.querySelector('g.heads').querySelectorAll('rect').length : 0,
             textRendered: text.filter((t) => t.getBBox().width > 0).length,
             texts: text.length,
             scrolls: box ? box.scrollWidth > box.clientWidth : false,
             boxWidth: box ? box.clientWidth : 0 };
  });
  const rows = [...document.querySelectorAll('tr[id^="req-"]')];
  return JSON.stringify({
    title: document.title,
    matrixRows: rows.length,
    matrixVisible: rows.filter((r) => r.getBoundingClientRect().height > 0).length,
    verdicts: rows.map((r) => (r.querySelector('.badge') || {}).textContent),
    ladders,
    wide: ladders.find((l) => l.id === ${JSON.stringify(wide || '')}) || null,
    scripts: document.scripts.length,
  });
})()`;

(async () => {
  const timer = setTimeout(() => { console.error('timeout; chromium said:\n' + stderr); process.exit(1); }, 30000);
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  for (const d of ['Page', 'Runtime', 'Log', 'Network']) await send(d + '.enable', {}, sessionId);
  const loaded = waitFor('Page.loadEventFired');
  await send('Page.navigate', { url: 'file://' + path.resolve(report) }, sessionId);
  await loaded;
  const r = await send('Runtime.evaluate', { expression: probe(wideId), returnByValue: true }, sessionId);
  const out = JSON.parse(r.result.value);
  const shot = await send('Page.captureScreenshot', { format: 'png' }, sessionId);
  fs.writeFileSync(png, Buffer.from(shot.data, 'base64'));
  // The first ladder, scrolled into view and captured alone.
  const clip = await send('Runtime.evaluate', { returnByValue: true, expression:
    `(() => { const s = document.querySelector('svg.ladder'); if (!s) return null;
      s.scrollIntoView(); const r = s.getBoundingClientRect();
      return { x: r.x + scrollX, y: r.y + scrollY, width: Math.min(r.width, 1400),
               height: Math.min(r.height, 1000), scale: 1 }; })()` }, sessionId);
  if (clip.result.value) {
    const l = await send('Page.captureScreenshot', { format: 'png', clip: clip.result.value,
                                                      captureBeyondViewport: true }, sessionId);
    fs.writeFileSync(png.replace(/\.png$/, '') + '-ladder.png', Buffer.from(l.data, 'base64'));
  }
  out.console = events.console;
  out.exceptions = events.exceptions;
  out.failedLoads = events.failed;
  out.pngBytes = fs.statSync(png).size;
  console.log(JSON.stringify(out));
  clearTimeout(timer);
  const exited = new Promise((resolve) => browser.on('exit', resolve));
  send('Browser.close').catch(() => {});
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  browser.kill();
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(0);
})().catch((e) => {
  console.error('cdp_report: ' + e.message + '\nchromium said:\n' + stderr);
  browser.kill();
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(1);
});
