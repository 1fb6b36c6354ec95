// The operators' dashboard: plain JavaScript, no build step, nothing from the internet.
'use strict';
const T = {
  vi: { title: 'Chốt kiểm soát: lưu lượng', logout: 'Đăng xuất', login: 'Đăng nhập', user: 'Tài khoản', password: 'Mật khẩu', signin: 'Đăng nhập',
    storeDown: 'Kho dữ liệu không ghi được: các lượt quét chưa được xác nhận, máy ở chốt vẫn giữ chúng.', today: 'Hôm nay, toàn quốc', scans: 'Lượt quét', passed: 'Qua', refused: 'Từ chối', rate: 'Tỉ lệ qua', from: 'Từ ngày', to: 'Đến ngày', show: 'Xem', csv: 'Tải CSV',
    perHour: 'Lượt quét theo giờ', byCheckpoint: 'Theo chốt', checkpoint: 'Chốt', area: 'Địa bàn', overrides: 'Mở tay', reasons: 'Lý do từ chối', byProvince: 'Theo tỉnh',
    province: 'Tỉnh', fleet: 'Thiết bị', state: 'Trạng thái', lastSeen: 'Lần cuối', version: 'Phiên bản', lists: 'Danh sách', backlog: 'Tồn', clock: 'Đồng hồ', scanner: 'Máy quét',
    online: 'trực tuyến', offline: 'mất kết nối', revoked: 'đã thu hồi', never: 'chưa thấy', synced: 'đồng bộ', unsynced: 'CHƯA đồng bộ', all: 'Toàn quốc', wrong: 'Sai tài khoản hoặc mật khẩu', lang: 'English' },
  en: { storeDown: 'The store of record cannot write: scans are not acknowledged yet; the kiosks keep them.', title: 'Checkpoints: throughput', logout: 'Log out', login: 'Log in', user: 'User', password: 'Password', signin: 'Log in',
    today: 'Today, nationwide', scans: 'Scans', passed: 'Passed', refused: 'Refused', rate: 'Pass rate', from: 'From', to: 'To', show: 'Show', csv: 'Download CSV',
    perHour: 'Scans per hour', byCheckpoint: 'By checkpoint', checkpoint: 'Checkpoint', area: 'Area', overrides: 'Overrides', reasons: 'Refusal reasons', byProvince: 'By province',
    province: 'Province', fleet: 'Fleet', state: 'State', lastSeen: 'Last seen', version: 'Version', lists: 'Lists', backlog: 'Backlog', clock: 'Clock', scanner: 'Scanner',
    online: 'online', offline: 'OFFLINE', revoked: 'revoked', never: 'never', synced: 'synced', unsynced: 'NOT synced', all: 'Nationwide', wrong: 'Wrong user name or password', lang: 'Tiếng Việt' },
};
let lang = localStorage.getItem('chot-lang') || 'vi';
const $ = (s) => document.querySelector(s);
const t = (k) => T[lang][k] || k;
const fmt = (n) => (n == null ? '–' : Number(n).toLocaleString('en-US'));
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; };

function applyLang() {
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  $('#lang').textContent = t('lang');
}

async function api(path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (r.status === 401) { showLogin(); throw new Error('logged out'); }
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

function showLogin() { $('#login-view').hidden = false; $('#app').hidden = true; $('#logout').hidden = true; }

let today = null;
let range = null;

async function showApp() {
  const me = await api('/api/me');
  today = me.today;
  $('#login-view').hidden = true; $('#app').hidden = false; $('#logout').hidden = false;
  const f = $('#range');
  if (!range) range = { from: today, to: today };
  f.from.value = range.from; f.to.value = range.to;
  await Promise.all([loadFigures(), loadFleet()]);
  startLive();
}

function reasonsText(r) {
  return Object.entries(r).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
}

async function loadFigures() {
  const q = `from=${range.from}&to=${range.to}`;
  const r = await api(`/api/figures?${q}`);
  $('#csv').href = `/api/export.csv?${q}`;
  $('#range-label').textContent = r.day;
  const body = $('#checkpoints tbody'); body.replaceChildren();
  for (const c of r.checkpoints) {
    const tr = el('tr');
    tr.dataset.checkpoint = c.id;
    for (const v of [c.id, c.area, fmt(c.scans), fmt(c.green), fmt(c.red), c.passRateText, fmt(c.overrides), reasonsText(c.reasons), `${c.p50Ms ?? '–'} / ${c.p95Ms ?? '–'}`]) tr.append(el('td', v));
    body.append(tr);
  }
  const n = r.nationwide;
  const foot = $('#checkpoints tfoot'); foot.replaceChildren();
  const tr = el('tr');
  for (const v of [t('all'), 'VN', fmt(n.scans), fmt(n.green), fmt(n.red), n.passRateText, fmt(n.overrides), reasonsText(n.reasons), `${n.p50Ms ?? '–'} / ${n.p95Ms ?? '–'}`]) tr.append(el('td', v));
  foot.append(tr);
  const pb = $('#provinces tbody'); pb.replaceChildren();
  for (const s of r.provinces) { const row = el('tr'); row.append(el('td', s.province), el('td', fmt(s.scans)), el('td', s.passRateText)); pb.append(row); }
  drawChart(n.hours);
}

function drawChart(hours) {
  const svg = $('#chart'); svg.replaceChildren();
  const max = Math.max(1, ...hours);
  const w = 720 / 24;
  hours.forEach((h, i) => {
    const bh = (h / max) * 130;
    const r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    r.setAttribute('x', String(i * w + 2)); r.setAttribute('y', String(140 - bh)); r.setAttribute('width', String(w - 4)); r.setAttribute('height', String(bh));
    const title = document.createElementNS('http://www.w3.org/2000/svg', 'title'); title.textContent = `${String(i).padStart(2, '0')}:00 ${fmt(h)}`; r.append(title);
    const label = document.createElementNS('http://www.w3.org/2000/svg', 'text');
    label.setAttribute('x', String(i * w + w / 2 - 5)); label.setAttribute('y', '154'); label.textContent = String(i);
    svg.append(r, label);
  });
}

function ago(ms) {
  if (ms == null) return t('never');
  const s = Math.round((Date.now() - ms) / 1000);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

async function loadFleet() {
  const f = await api('/api/fleet');
  const body = $('#fleet tbody'); body.replaceChildren();
  for (const k of f.kiosks) {
    const tr = el('tr', null, [k.online ? '' : 'offline', k.silent ? 'silent' : ''].join(' ').trim());
    tr.dataset.kiosk = k.id;
    const clock = k.clock ? `${k.clock.synced ? t('synced') : t('unsynced')} (${k.clock.source}${k.clock.offsetMs != null ? `, ${k.clock.offsetMs} ms` : ''})` : '–';
    for (const v of [k.id, k.revoked ? t('revoked') : k.online ? t('online') : t('offline'), ago(k.lastSeen), k.version || '–', k.trustVersion != null ? `T${k.trustVersion} S${k.statusVersion}${k.listsStale ? ' !' : ''}` : '–', fmt(k.backlog), clock, k.scanner || '–']) tr.append(el('td', v));
    body.append(tr);
  }
}

let live = null;
function startLive() {
  if (live) return;
  live = new EventSource('/api/events');
  let refresh = null;
  live.onmessage = (e) => {
    const d = JSON.parse(e.data);
    $('#live-day').textContent = d.day;
    $('#live-scans').textContent = fmt(d.scans);
    $('#live-green').textContent = fmt(d.green);
    $('#live-red').textContent = fmt(d.red);
    $('#live-rate').textContent = d.passRateText;
    // the store of record down: scans are not acknowledged (the kiosks keep them) until it is back
    $('#store-down').hidden = !d.store || d.store.up;
    $('#store-error').textContent = d.store && !d.store.up ? d.store.error || '' : '';
    // the tables follow within 2 s when today is on screen
    if (range && range.to >= d.day && !refresh) refresh = setTimeout(() => { refresh = null; loadFigures().catch(() => {}); }, 1000);
  };
  setInterval(() => loadFleet().catch(() => {}), 5000);
}

$('#login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = new URLSearchParams(new FormData(e.target));
  const r = await fetch('/login', { method: 'POST', body, credentials: 'same-origin' });
  if (!r.ok) { $('#login-error').textContent = t('wrong'); return; }
  $('#login-error').textContent = '';
  await showApp();
});
$('#range').addEventListener('submit', (e) => {
  e.preventDefault();
  range = { from: e.target.from.value, to: e.target.to.value };
  if (range.to < range.from) range.to = range.from;
  loadFigures();
});
$('#logout').addEventListener('click', async () => { await fetch('/logout', { method: 'POST' }); if (live) { live.close(); live = null; } showLogin(); });
$('#lang').addEventListener('click', () => { lang = lang === 'vi' ? 'en' : 'vi'; localStorage.setItem('chot-lang', lang); applyLang(); if (!$('#app').hidden) { loadFigures(); loadFleet(); } });

applyLang();
showApp().catch(() => showLogin());
