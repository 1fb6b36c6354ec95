// The operators' dashboard: plain JavaScript, no build step, nothing from the internet.
'use strict';
const T = {
  vi: { title: 'Chốt kiểm soát: lưu lượng', logout: 'Đăng xuất', login: 'Đăng nhập', user: 'Tài khoản', password: 'Mật khẩu', signin: 'Đăng nhập',
    storeDown: 'Kho dữ liệu không ghi được: các lượt quét chưa được xác nhận, máy ở chốt vẫn giữ chúng.', today: 'Hôm nay, toàn quốc', scans: 'Lượt quét', passed: 'Qua', refused: 'Từ chối', rate: 'Tỉ lệ qua', from: 'Từ ngày', to: 'Đến ngày', show: 'Xem', csv: 'Tải CSV',
    perHour: 'Lượt quét theo giờ', byCheckpoint: 'Theo chốt', checkpoint: 'Chốt', area: 'Địa bàn', overrides: 'Mở tay', reasons: 'Lý do từ chối', byProvince: 'Theo tỉnh',
    latency: 'Thời gian xử lý p50 / p95', province: 'Tỉnh', fleet: 'Thiết bị', state: 'Trạng thái', lastSeen: 'Lần cuối', version: 'Phiên bản', lists: 'Danh sách', backlog: 'Chờ gửi', clock: 'Đồng hồ', scanner: 'Máy quét',
    online: 'trực tuyến', offline: 'mất kết nối', revoked: 'đã thu hồi', never: 'chưa thấy', synced: 'đồng bộ', unsynced: 'CHƯA đồng bộ', all: 'Toàn quốc', wrong: 'Sai tài khoản hoặc mật khẩu', lang: 'English',
    hubs: (n, list) => `Tiến trình hub đang chạy: ${n} (${list})`, alerts: 'Nghi sao chép mã', noAlerts: 'Không có cảnh báo.', revoke: 'Thu hồi', dismiss: 'Bỏ qua', alertText: (a) => `${a.firstKiosk} → ${a.secondKiosk}: ${a.km} km trong ${a.minutes} phút`, alertState: { open: 'chờ xử lý', revoke: 'sẽ thu hồi', dismissed: 'đã bỏ qua' }, payouts: 'Chi trả hỗ trợ', paidOf: (p, e) => `${p} / ${e} đã chi trả`,
    trust: 'tin cậy', status: 'trạng thái', stale: 'CŨ', none: 'chưa có', listOf: (y) => `danh mục ${y}`, notInList: (y) => `không có trong danh mục ${y}`, nation: 'cả nước',
    hour: 'giờ', perHourUnit: 'lượt/giờ', other: 'lý do khác', agoS: (n) => `${n} giây trước`, agoM: (n) => `${n} phút trước`, agoH: (n) => `${n} giờ trước`, agoD: (n) => `${n} ngày trước`,
    scannerState: { ok: 'hoạt động', starting: 'đang mở', absent: 'không thấy', stopped: 'đã dừng' }, chartTitle: (d, max) => `Lượt quét theo giờ, ${d}; cao nhất ${max} lượt trong một giờ`,
    healthTitle: 'F0–F3 theo địa bàn', healthNow: 'Hiện tại', healthChanges: 'Thay đổi trong kỳ', healthIn: 'Quận/huyện, phường/xã của', noChange: 'không đổi',
    healthMeta: (v, d) => `${v == null ? '' : `danh sách trạng thái v${v} · `}thay đổi ${d}`, healthNote: (min, none) => `Chỉ có số đếm, không có danh sách người. ${T.vi.small(min)}${none ? ` Chưa rõ địa bàn: ${none}.` : ''}`, small: (min) => (min > 1 ? `Số từ 1 đến ${min - 1} hiện là “< ${min}”.` : ''),
    district: 'quận/huyện', ward: 'phường/xã', noHealth: 'Chưa nhập danh sách F0–F3 có địa bàn.',
    movementTitle: 'Di biến động dân cư: nơi đi → tỉnh của chốt', topFlows: 'Luồng đông nhất', origin: 'Nơi đi', destination: 'Tỉnh của chốt', travellers: 'Lượt qua chốt',
    vnUnknown: 'Việt Nam (không rõ tỉnh)', otherOrigins: 'nơi khác', noOrigin: (n) => `${n} lượt quét không rõ nơi đi (máy ở chốt đời cũ, hoặc mã không xác thực được).`, noMovement: 'Chưa có lượt quét nào ghi nơi đi trong kỳ này.',
    matrixCorner: 'Nơi đi ↓ · tỉnh của chốt →', redOf: (n) => `từ chối ${n}`,
    officersTitle: 'Theo cán bộ trực', officer: 'Cán bộ', noOfficers: 'Chưa có cán bộ nào đăng nhập ở chốt trong kỳ này.', noOfficer: (n) => `${n} lượt quét khi không có cán bộ đăng nhập.`,
    passageTitle: 'Qua cổng (cảm biến qua cổng)', validated: 'Hợp lệ, mở cổng', gatePassed: 'Đã qua cổng', notPassed: 'Không qua: hủy lượt', tailgating: 'Qua không có lượt hợp lệ',
    passageNote: 'Chỉ các chốt có cảm biến qua cổng. Hợp lệ gồm lượt quét hợp lệ và lượt cán bộ mở cổng; đã qua = hợp lệ trừ lượt bị hủy vì không ai qua.',
    releaseTitle: 'Cập nhật phần mềm', rolloutState: { active: 'đang triển khai tới', paused: 'TẠM DỪNG, nhắm tới', rollback: 'ĐÃ QUAY LẠI, từng nhắm tới' },
    rolloutText: (x, what) => `Đợt ${x.seq}: phiên bản ${x.version}, ${what} ${x.share}${x.kiosks.length ? ` và ${x.kiosks.join(', ')}` : ''}`,
    progressText: (p) => `${p.updated} / ${p.targeted} máy đã cập nhật · ${p.inProgress} đang cập nhật · ${p.failed} lỗi · ${p.rolledBack} tự quay lại · ${p.refused} từ chối`,
    pauseRollout: 'Tạm dừng đợt cập nhật', rollbackRollout: 'Quay lại phiên bản trước',
    confirmPause: (v) => `Tạm dừng đợt cập nhật ${v}? Máy chưa chuyển sẽ ngừng tải và không chuyển.`, confirmRollback: (v) => `Quay lại: các máy đang chạy ${v} trở về phiên bản trước. Tiếp tục?`,
    brakeSent: 'Đã gửi; máy ở chốt nhận được trong vài giây.',
    brakeHelp: 'Chỉ có các bước đã ký sẵn cùng đợt cập nhật. Bắt đầu hay mở rộng một đợt: chot release rollout trên máy của người quản lý phát hành (trung tâm không giữ khóa ký).' },
  en: { storeDown: 'The store of record cannot write: scans are not acknowledged yet; the kiosks keep them.', title: 'Checkpoints: throughput', logout: 'Log out', login: 'Log in', user: 'User', password: 'Password', signin: 'Log in',
    today: 'Today, nationwide', scans: 'Scans', passed: 'Passed', refused: 'Refused', rate: 'Pass rate', from: 'From', to: 'To', show: 'Show', csv: 'Download CSV',
    perHour: 'Scans per hour', byCheckpoint: 'By checkpoint', checkpoint: 'Checkpoint', area: 'Area', overrides: 'Overrides', reasons: 'Refusal reasons', byProvince: 'By province',
    latency: 'Time to verdict p50 / p95', province: 'Province', fleet: 'Fleet', state: 'State', lastSeen: 'Last seen', version: 'Version', lists: 'Lists', backlog: 'Backlog', clock: 'Clock', scanner: 'Scanner',
    online: 'online', offline: 'OFFLINE', revoked: 'revoked', never: 'never', synced: 'synced', unsynced: 'NOT synced', all: 'Nationwide', wrong: 'Wrong user name or password', lang: 'Tiếng Việt',
    hubs: (n, list) => `Hub processes alive: ${n} (${list})`, alerts: 'Suspected clones', noAlerts: 'No alerts.', revoke: 'Revoke', dismiss: 'Dismiss', alertText: (a) => `${a.firstKiosk} → ${a.secondKiosk}: ${a.km} km in ${a.minutes} min`, alertState: { open: 'waiting', revoke: 'to be revoked', dismissed: 'dismissed' }, payouts: 'Support payouts', paidOf: (p, e) => `${p} / ${e} paid`,
    trust: 'trust', status: 'status', stale: 'OUT OF DATE', none: 'none yet', listOf: (y) => `${y} list`, notInList: (y) => `not in the ${y} list`, nation: 'whole country',
    hour: 'hour', perHourUnit: 'scans/hour', other: 'other reason', agoS: (n) => `${n} s ago`, agoM: (n) => `${n} min ago`, agoH: (n) => `${n} h ago`, agoD: (n) => `${n} days ago`,
    scannerState: { ok: 'working', starting: 'starting', absent: 'not found', stopped: 'stopped' }, chartTitle: (d, max) => `Scans per hour, ${d}; at most ${max} in one hour`,
    healthTitle: 'F0–F3 by area', healthNow: 'Now', healthChanges: 'Changes in the period', healthIn: 'Districts and wards of', noChange: 'no change',
    healthMeta: (v, d) => `${v == null ? '' : `status list v${v} · `}changes ${d}`, healthNote: (min, none) => `Counts only, never a list of people. ${T.en.small(min)}${none ? ` Area not given: ${none}.` : ''}`, small: (min) => (min > 1 ? `Counts from 1 to ${min - 1} are shown as “< ${min}”.` : ''),
    district: 'district', ward: 'ward', noHealth: 'No F0–F3 list with areas has been imported yet.',
    movementTitle: 'Movement: origin → province of the checkpoint', topFlows: 'Largest flows', origin: 'From', destination: 'Checkpoint province', travellers: 'Travellers',
    vnUnknown: 'Viet Nam (province not known)', otherOrigins: 'elsewhere', noOrigin: (n) => `${n} scans with no origin (older kiosks, or codes that did not verify).`, noMovement: 'No scan with an origin in this period yet.',
    matrixCorner: 'From ↓ · checkpoint province →', redOf: (n) => `refused ${n}`,
    officersTitle: 'By officer on duty', officer: 'Officer', noOfficers: 'No officer signed in at any booth in this period.', noOfficer: (n) => `${n} scans with nobody signed in.`,
    passageTitle: 'Through the gate (passage sensor)', validated: 'Valid, gate opened', gatePassed: 'Went through', notPassed: 'Did not pass: cancelled', tailgating: 'Passed with no valid scan',
    passageNote: 'Checkpoints with a passage sensor only. Valid counts valid scans and the officer opening the gate; went through = valid less those cancelled because nobody passed.',
    releaseTitle: 'Software update', rolloutState: { active: 'rolling out to', paused: 'PAUSED, aimed at', rollback: 'ROLLED BACK, was aimed at' },
    rolloutText: (x, what) => `Rollout ${x.seq}: version ${x.version}, ${what} ${x.share}${x.kiosks.length ? ` and ${x.kiosks.join(', ')}` : ''}`,
    progressText: (p) => `${p.updated} / ${p.targeted} kiosks updated · ${p.inProgress} updating · ${p.failed} failed · ${p.rolledBack} rolled back by themselves · ${p.refused} refused`,
    pauseRollout: 'Pause the rollout', rollbackRollout: 'Roll back to the previous version',
    confirmPause: (v) => `Pause the rollout of ${v}? Kiosks not yet switched stop downloading and do not switch.`, confirmRollback: (v) => `Roll back: kiosks running ${v} go back to the version before. Go ahead?`,
    brakeSent: 'Sent; the kiosks have it within seconds.',
    brakeHelp: "Only the steps signed with the rollout. To start or widen one: chot release rollout on the release manager's machine (the hub holds no signing key)." },
};
let lang = localStorage.getItem('chot-lang') || 'vi';
const $ = (s) => document.querySelector(s);
const t = (k) => T[lang][k] ?? k;
const fmt = (n) => (n == null ? '–' : Number(n).toLocaleString('en-US'));
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; };
const LANG_INDEX = () => (lang === 'vi' ? 0 : 1);

/** Words for codes, from the hub (/api/me): reasons and the province names of the configured list. */
let words = { reasons: {}, provinces: { list: '', names: {} }, timeZone: '' };

function applyLang() {
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  $('#lang').textContent = t('lang');
  $('#province-list').textContent = words.provinces.list ? `(${t('listOf')(words.provinces.list)})` : '';
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
  words = { reasons: me.reasons || {}, provinces: me.provinces || { list: '', names: {} }, timeZone: me.timeZone };
  applyLang();
  $('#login-view').hidden = true; $('#app').hidden = false; $('#logout').hidden = false;
  const f = $('#range');
  if (!range) range = { from: today, to: today };
  f.from.value = range.from; f.to.value = range.to;
  await Promise.all([refresh(), loadFleet()]);
  startLive();
}

// ---- words -------------------------------------------------------------------------------------------------
function reasonWord(code) {
  const w = words.reasons[code];
  return w ? w[LANG_INDEX()] : t('other');
}

function reasonsList(r) {
  const ul = el('ul');
  for (const [k, v] of Object.entries(r).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    const li = el('li', `${reasonWord(k)} `);
    li.dataset.reason = k;
    li.append(el('b', fmt(v)));
    ul.append(li);
  }
  return ul;
}

/** "TP. Hồ Chí Minh (79)"; a code not in the configured list says so instead of guessing. */
function provinceCell(code, td) {
  if (code === 'VN') { td.textContent = `${t('all')} `; td.append(el('small', '(VN)')); return td; }
  const p = words.provinces.names[code];
  if (p) { td.textContent = `${lang === 'vi' ? p.vi : p.en} `; td.append(el('small', `(${code})`)); return td; }
  td.textContent = `${code} `;
  td.append(el('small', `(${t('notInList')(words.provinces.list)})`));
  td.classList.add('unknown');
  return td;
}

function areaCell(area, td) {
  td.textContent = `${area} `;
  const code = area === 'VN' ? null : area.slice(0, 2);
  const p = code && words.provinces.names[code];
  td.append(el('small', area === 'VN' ? t('nation') : p ? (lang === 'vi' ? p.vi : p.en) : t('notInList')(words.provinces.list)));
  return td;
}

/** A table row whose cells carry their column's name, shown above the value on a phone. */
function row(table, cells, attrs = {}) {
  const labels = [...document.querySelectorAll(`#${table} thead th`)].map((th) => th.textContent);
  const tr = el('tr');
  for (const [k, v] of Object.entries(attrs)) tr.dataset[k] = v;
  cells.forEach((c, i) => {
    const td = c instanceof Node && c.nodeName === 'TD' ? c : el('td');
    if (c instanceof Node && c.nodeName !== 'TD') td.append(c);
    else if (!(c instanceof Node)) td.textContent = c;
    td.dataset.label = labels[i] || '';
    tr.append(td);
  });
  return tr;
}

// ---- figures: the counters and the tables from one read ------------------------------------------------------
let report = null;

function setCounters(n, day) {
  $('#live-day').textContent = day;
  $('#live-scans').textContent = fmt(n.scans);
  $('#live-green').textContent = fmt(n.green);
  $('#live-red').textContent = fmt(n.red);
  $('#live-rate').textContent = n.passRateText;
}

function renderFigures(r) {
  report = r;
  const q = `from=${range.from}&to=${range.to}`;
  $('#csv').href = `/api/export.csv?${q}`;
  $('#range-label').textContent = r.day;
  const body = $('#checkpoints tbody'); body.replaceChildren();
  const ms = (s) => `${s.p50Ms ?? '–'} / ${s.p95Ms ?? '–'} ms`;
  for (const c of r.checkpoints) {
    const reasons = el('td', null, 'wide'); reasons.append(reasonsList(c.reasons));
    body.append(row('checkpoints', [c.id, areaCell(c.area, el('td')), fmt(c.scans), fmt(c.green), fmt(c.red), c.passRateText, fmt(c.overrides), reasons, ms(c)], { checkpoint: c.id }));
  }
  const n = r.nationwide;
  const foot = $('#checkpoints tfoot'); foot.replaceChildren();
  const reasons = el('td', null, 'wide'); reasons.append(reasonsList(n.reasons));
  foot.append(row('checkpoints', [t('all'), 'VN', fmt(n.scans), fmt(n.green), fmt(n.red), n.passRateText, fmt(n.overrides), reasons, ms(n)]));
  const pb = $('#provinces tbody'); pb.replaceChildren();
  for (const s of r.provinces) pb.append(row('provinces', [provinceCell(s.province, el('td')), fmt(s.scans), fmt(s.green), fmt(s.red), s.passRateText], { province: s.province }));
  renderPassage(r);
  drawChart(n.hours, r.day);
}

/** Gates with a passage sensor: validated, passed, not passed, tailgating; the card only when some gate has one. */
function renderPassage(r) {
  const n = r.nationwide;
  $('#passage-card').hidden = !n.passage;
  if (!n.passage) return;
  $('#passage-meta').textContent = `(${r.day})`;
  const cells = (p) => [fmt(p.validated), fmt(p.passed), fmt(p.notPassed), fmt(p.tailgating)];
  const body = $('#passage tbody'); body.replaceChildren();
  for (const c of r.checkpoints) if (c.passage) body.append(row('passage', [c.id, ...cells(c.passage)], { checkpoint: c.id }));
  const foot = $('#passage tfoot'); foot.replaceChildren();
  foot.append(row('passage', [t('all'), ...cells(n.passage)]));
}

let loading = null, again = false;
/** Reads the figures once and shows them everywhere: when the range is today, the counters are that same read. */
async function refresh() {
  if (loading) { again = true; return loading; }
  loading = (async () => {
    do {
      again = false;
      const q = `from=${range.from}&to=${range.to}`;
      const todayOnly = range.from === today && range.to === today;
      const [r, d] = await Promise.all([api(`/api/figures?${q}`), todayOnly ? null : api(`/api/figures?day=${today}`)]);
      renderFigures(r);
      setCounters((todayOnly ? r : d).nationwide, today);
      // the areas and the movement of the same range, after the counters (they never hold up the live figures)
      await Promise.all([loadHealth().catch(() => {}), loadMovement().catch(() => {}), loadOfficers().catch(() => {})]);
    } while (again);
  })().finally(() => { loading = null; });
  return loading;
}

// ---- F0–F3 per area: counts only, small ones arrive from the hub as "< N" ---------------------------------------
const STATES = ['F0', 'F1', 'F2', 'F3'];
const shownNum = (v) => (typeof v === 'number' ? fmt(v) : v);
/** A cell of parts joined by " · ", each part kept on one line: "F0 6,355 · F1 5,063 · F2 6,954 · F3 1,114". */
function partsCell(parts) {
  const td = el('td');
  parts.forEach((p, i) => { if (i) td.append(' · '); td.append(el('span', p, 'part')); });
  return td;
}
/** The seed's form: "F0 6,355 · F1 5,063 · F2 6,954 · F3 1,114". */
const seedCell = (counts) => partsCell(STATES.map((s) => `${s} ${shownNum(counts[s])}`));
/** The period's changes, in and out, only where there were some: "F0 +15 · F1 +8 −(< 5)". */
function changesCell(ch) {
  const signed = (sign, v) => (v === 0 ? '' : `${sign}${typeof v === 'number' ? fmt(v) : `(${v})`}`);
  const parts = STATES.filter((s) => ch[s].in !== 0 || ch[s].out !== 0).map((s) => [s, signed('+', ch[s].in), signed('−', ch[s].out)].filter(Boolean).join(' '));
  return parts.length ? partsCell(parts) : el('td', t('noChange'));
}
let health = null, healthProvince = '';

/** A card's report over the range shown: its CSV link set, then the JSON read (kept for a language switch). */
function readCard(card, path, extra = '') {
  const q = `from=${range.from}&to=${range.to}`;
  $(`#${card}-csv`).href = `/api/${path}.csv?${q}`;
  return api(`/api/${path}?${q}${extra}`);
}

async function loadHealth() {
  health = await readCard('health', 'areas', healthProvince ? `&province=${healthProvince}` : '');
  renderHealth();
}

function renderHealth() {
  const v = health;
  if (!v) return;
  $('#health-meta').textContent = `(${t('healthMeta')(v.version, v.day)})`;
  $('#health-nation').textContent = `${t('all')}: ${v.nation.text}`;
  const none = STATES.filter((s) => v.noArea[s] !== 0).map((s) => `${s} ${shownNum(v.noArea[s])}`).join(' · ');
  $('#health-note').textContent = v.version == null ? t('noHealth') : t('healthNote')(v.minCount, none);
  const pb = $('#health-provinces tbody'); pb.replaceChildren();
  for (const p of v.provinces) pb.append(row('health-provinces', [provinceCell(p.area, el('td')), seedCell(p.counts), changesCell(p.changes)], { province: p.area }));
  const sel = $('#health-province');
  const chosen = healthProvince || (v.provinces[0] && v.provinces[0].area) || '';
  sel.replaceChildren(...v.provinces.map((p) => { const o = el('option', provinceName(p.area)); o.value = p.area; o.selected = p.area === chosen; return o; }));
  sel.disabled = !v.provinces.length;
  // nothing imported with areas yet: the note says so, no empty tables
  for (const e of [$('#health-provinces'), $('#health-wards'), sel.closest('h2')]) e.hidden = !v.provinces.length;
  const wb = $('#health-wards tbody'); wb.replaceChildren();
  // the first load asked for no province: ask again for the one shown in the list
  if (chosen && !healthProvince) { healthProvince = chosen; loadHealth().catch(() => {}); return; }
  for (const [level, list] of [['district', v.districts], ['ward', v.wards]]) {
    for (const a of list) {
      const td = el('td', `${a.area} `); td.append(el('small', t(level)));
      wb.append(row('health-wards', [td, seedCell(a.counts), changesCell(a.changes)], { area: a.area, level }));
    }
  }
}
$('#health-province').addEventListener('change', (e) => { healthProvince = e.target.value; loadHealth().catch(() => {}); });

// ---- movement: origin → province of the checkpoint ------------------------------------------------------------
function provinceName(code) {
  const p = words.provinces.names[code];
  return p ? `${lang === 'vi' ? p.vi : p.en} (${code})` : code === 'VN' ? t('all') : `${code} (${t('notInList')(words.provinces.list)})`;
}
function originName(o) {
  if (o === 'VN') return t('vnUnknown');
  if (o.startsWith('VN-')) return provinceName(o.slice(3));
  let name = o;
  try { name = new Intl.DisplayNames([lang], { type: 'region' }).of(o) || o; } catch { /* an old browser: the code */ }
  return `${name} (${o})`;
}
let movement = null;

async function loadMovement() {
  movement = await readCard('movement', 'movement');
  renderMovement();
}

function renderMovement() {
  const m = movement;
  if (!m) return;
  $('#movement-meta').textContent = `(${m.day})`;
  // the matrix: the origins and the checkpoint provinces with most travellers; the rest in "elsewhere"
  const exact = (v) => (typeof v === 'number' ? v : 0);
  const origins = m.origins.slice(0, 8).map((o) => o.origin);
  const byProvince = new Map();
  for (const f of m.flows) byProvince.set(f.province, (byProvince.get(f.province) || 0) + exact(f.travellers));
  const provinces = [...byProvince.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 6).map(([p]) => p);
  const cell = new Map(m.flows.map((f) => [`${f.origin}|${f.province}`, f]));
  const head = el('tr'); head.append(el('th', t('matrixCorner')));
  for (const p of provinces) head.append(el('th', provinceName(p)));
  $('#movement-matrix thead').replaceChildren(head);
  const body = $('#movement-matrix tbody'); body.replaceChildren();
  // rows of origins, a column per checkpoint province; on a phone each origin becomes a card
  for (const o of origins) {
    const cells = provinces.map((p) => {
      const f = cell.get(`${o}|${p}`);
      const td = el('td', f ? shownNum(f.travellers) : '0', f ? '' : 'zero');
      td.dataset.province = p;
      if (f && f.red !== 0) { td.append(' '); td.append(el('small', t('redOf')(shownNum(f.red)), 'red')); }
      return td;
    });
    const tr = row('movement-matrix', [originName(o), ...cells], { origin: o });
    tr.firstChild.dataset.label = t('origin'); // on a phone: "From" above the origin, not the corner's both ways
    body.append(tr);
  }
  for (const e of [$('#movement-matrix'), $('#movement-flows'), $('#top-flows')]) e.hidden = !origins.length;
  const fb = $('#movement-flows tbody'); fb.replaceChildren();
  for (const f of m.flows.slice(0, 15)) fb.append(row('movement-flows', [originName(f.origin), provinceName(f.province), shownNum(f.travellers), shownNum(f.green), shownNum(f.red)], { origin: f.origin, province: f.province }));
  $('#movement-note').textContent = `${origins.length ? '' : t('noMovement')} ${m.noOrigin ? t('noOrigin')(fmt(m.noOrigin)) : ''} ${t('small')(m.minCount)}`.trim();
}

// ---- by officer on duty: each officer's scans, per checkpoint they worked ---------------------------------------
let officers = null;

async function loadOfficers() {
  officers = await readCard('officers', 'officers');
  renderOfficers();
}

function renderOfficers() {
  const r = officers;
  if (!r) return;
  $('#officers-meta').textContent = `(${r.day})`;
  const body = $('#officers tbody'); body.replaceChildren();
  for (const o of r.officers) {
    body.append(row('officers', [o.officer, o.checkpoints.join(', '), fmt(o.scans), fmt(o.green), fmt(o.red), o.passRateText, fmt(o.overrides)], { officer: o.officer }));
  }
  $('#officers').hidden = !r.officers.length;
  $('#officers-note').textContent = `${r.officers.length ? '' : t('noOfficers')} ${r.noOfficer ? t('noOfficer')(fmt(r.noOfficer)) : ''}`.trim();
}

// ---- the hourly chart: bars with a value axis, drawn at the box's real width (text is never stretched) -------
function niceStep(max) {
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
}

function drawChart(hours, label) {
  const svg = $('#chart');
  const W = Math.max(200, Math.round(svg.getBoundingClientRect().width)), H = Math.round(svg.getBoundingClientRect().height) || 200;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const ns = 'http://www.w3.org/2000/svg';
  const mk = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v)); if (text != null) e.textContent = text; return e; };
  const max = Math.max(0, ...hours);
  const step = max > 0 ? Math.max(1, niceStep(max)) : 1;
  const top = max > 0 ? Math.ceil(max / step) * step : 4;
  const ticks = []; for (let v = 0; v <= top; v += step) ticks.push(v);
  const left = 8 + 7 * fmt(top).length, right = 6, upper = 14, bottom = 34;
  const plotW = W - left - right, plotH = H - upper - bottom;
  const y = (v) => upper + plotH - (v / top) * plotH;
  const title = mk('title', { id: 'chart-title' }, t('chartTitle')(label, fmt(max)));
  const parts = [title];
  for (const v of ticks) {
    parts.push(mk('line', { class: 'grid', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    parts.push(mk('text', { class: 'tick y', x: left - 4, y: y(v) + 4, 'text-anchor': 'end' }, fmt(v)));
  }
  parts.push(mk('line', { class: 'axis', x1: left, x2: left, y1: upper, y2: upper + plotH }));
  const bw = plotW / 24;
  const every = bw >= 22 ? 1 : bw >= 11 ? 2 : 3;
  hours.forEach((h, i) => {
    const bh = (h / top) * plotH;
    const r = mk('rect', { class: 'bar', x: left + i * bw + 1, y: upper + plotH - bh, width: Math.max(1, bw - 2), height: bh });
    r.append(mk('title', {}, `${String(i).padStart(2, '0')}:00–${String(i + 1).padStart(2, '0')}:00 · ${fmt(h)}`));
    parts.push(r);
    // each hour's value over its bar when there is room for it
    if (h > 0 && bw >= 7 * fmt(h).length + 4) parts.push(mk('text', { class: 'value', x: left + i * bw + bw / 2, y: upper + plotH - bh - 3, 'text-anchor': 'middle' }, fmt(h)));
    if (i % every === 0) parts.push(mk('text', { class: 'tick x', x: left + i * bw + bw / 2, y: upper + plotH + 14, 'text-anchor': 'middle' }, String(i).padStart(2, '0')));
  });
  parts.push(mk('text', { class: 'unit', x: left, y: H - 4 }, `${t('hour')} (${words.timeZone || ''}) · ${t('perHourUnit')}`));
  svg.replaceChildren(...parts);
}
window.addEventListener('resize', () => { if (report) drawChart(report.nationwide.hours, report.day); });

// ---- fleet -------------------------------------------------------------------------------------------------
function ago(ms, now) {
  if (ms == null) return t('never');
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 60 ? t('agoS')(s) : s < 3600 ? t('agoM')(Math.round(s / 60)) : s < 172800 ? t('agoH')(Math.round(s / 3600)) : t('agoD')(Math.round(s / 86400));
}

// the version a kiosk runs, and the software update in hand (GET /api/releases has the rollout's progress)
function versionText(k) {
  const u = k.update;
  if (!u || u.state === 'idle' || (u.state === 'updated' && u.target === k.version)) return k.version || '–';
  const pct = u.state === 'downloading' && u.progress != null ? ` ${u.progress}%` : '';
  return `${k.version || '–'} → ${u.target || ''} ${u.state}${pct}${u.reason ? `: ${u.reason}` : ''}`;
}

function listsText(k) {
  if (k.trustVersion == null) return t('none');
  return `${t('trust')} v${k.trustVersion}, ${t('status')} v${k.statusVersion ?? '–'}${k.listsStale ? ` · ${t('stale')}` : ''}`;
}

function scannerText(s) {
  if (!s) return '–';
  return s.split(',').map((x) => x.trim().split(' ')).map(([kind, st]) => `${kind}: ${t('scannerState')[st] || st || '–'}`).join(', ');
}

// ---- hub processes, suspected clones, payouts ------------------------------------------------------------------
async function loadAlerts() {
  const a = await api('/api/alerts');
  const list = $('#alerts'); list.replaceChildren();
  if (!a.alerts.length) list.append(el('li', t('noAlerts')));
  for (const x of a.alerts.slice(0, 20)) {
    const li = el('li', `${t('alertText')({ ...x, minutes: Math.round(Math.abs(x.secondAt - x.firstAt) / 60000) })} · ${t('alertState')[x.status] || x.status}`);
    if (x.status === 'open') {
      for (const [act, label] of [['revoke', t('revoke')], ['dismiss', t('dismiss')]]) {
        const b = el('button', label);
        b.type = 'button';
        b.addEventListener('click', async () => { await fetch(`/api/alerts/${x.id}/${act}`, { method: 'POST' }); loadAlerts().catch(() => {}); });
        li.append(' ', b);
      }
    }
    list.append(li);
  }
}

// the rollout, its progress and failures, and the steps the release manager signed with it (pause, roll-back): the hub
// publishes one when asked, and holds no key to sign anything else
async function loadReleases() {
  const r = await api('/api/releases');
  $('#release-card').hidden = !r.rollout;
  if (!r.rollout) return;
  const x = r.rollout;
  $('#rollout').textContent = t('rolloutText')(x, t('rolloutState')[x.state] || x.state);
  $('#rollout').classList.toggle('warn', x.state !== 'active');
  $('#rollout-progress').textContent = t('progressText')(r.progress);
  const fails = $('#rollout-failures'); fails.replaceChildren();
  for (const f of r.failures.slice(0, 10)) fails.append(el('li', `${f.kiosk}: ${f.version || ''} ${f.state}${f.reason ? ` (${f.reason})` : ''}`));
  const acts = $('#rollout-actions'); acts.replaceChildren();
  for (const [b, label, ask] of [['pause', 'pauseRollout', 'confirmPause'], ['rollback', 'rollbackRollout', 'confirmRollback']]) {
    if (!r.brakes.includes(b)) continue;
    const btn = el('button', t(label));
    btn.type = 'button';
    btn.dataset.brake = b;
    btn.addEventListener('click', async () => {
      if (!confirm(t(ask)(x.version))) return;
      const res = await fetch(`/api/releases/${b}`, { method: 'POST' });
      const body = await res.json().catch(() => ({}));
      $('#rollout-sent').textContent = res.ok ? t('brakeSent') : body.error || `HTTP ${res.status}`;
      setTimeout(() => loadReleases().catch(() => {}), 1500);
    });
    acts.append(btn, ' ');
  }
  acts.hidden = !acts.children.length;
}

async function loadPayouts() {
  const p = await api('/api/payouts');
  const list = $('#payouts'); list.replaceChildren();
  $('#payouts-card').hidden = !p.programmes.length;
  for (const x of p.programmes) list.append(el('li', `${x.name}: ${t('paidOf')(fmt(x.nationwide.paid), fmt(x.nationwide.eligible))} · ${fmt(x.nationwide.amount)} ₫`));
}

async function loadFleet() {
  const f = await api('/api/fleet');
  if (f.hubs) $('#hubs').textContent = t('hubs')(f.hubs.length, f.hubs.map((h) => h.info).join('; '));
  loadAlerts().catch(() => {});
  loadPayouts().catch(() => {});
  loadReleases().catch(() => {});
  const body = $('#fleet tbody'); body.replaceChildren();
  for (const k of f.kiosks) {
    const clock = k.clock ? `${k.clock.synced ? t('synced') : t('unsynced')} (${k.clock.source}${k.clock.offsetMs != null ? `, ${k.clock.offsetMs} ms` : ''})` : '–';
    const tr = row('fleet', [k.id, k.revoked ? t('revoked') : k.online ? t('online') : t('offline'), ago(k.lastSeen, f.now), versionText(k), listsText(k), fmt(k.backlog), clock, scannerText(k.scanner)], { kiosk: k.id });
    for (const c of [k.online ? '' : 'offline', k.silent ? 'silent' : '']) if (c) tr.classList.add(c);
    body.append(tr);
  }
}

// ---- live --------------------------------------------------------------------------------------------------
let live = null;
function startLive() {
  if (live) return;
  live = new EventSource('/api/events');
  live.onmessage = (e) => {
    const d = JSON.parse(e.data);
    // the store of record down: scans are not acknowledged (the kiosks keep them) until it is back
    $('#store-down').hidden = !d.store || d.store.up;
    $('#store-error').textContent = d.store && !d.store.up ? d.store.error || '' : '';
    // a new day at the hub: today's range moves with it
    if (d.day && d.day !== today) {
      const followed = range.from === today && range.to === today;
      today = d.day;
      if (followed) { range = { from: today, to: today }; $('#range').from.value = today; $('#range').to.value = today; }
    }
    // the event says the figures moved: one read refreshes the counters and the tables together
    refresh().catch(() => {});
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
  refresh().catch(() => {});
});
$('#logout').addEventListener('click', async () => { await fetch('/logout', { method: 'POST' }); if (live) { live.close(); live = null; } showLogin(); });
$('#lang').addEventListener('click', () => { lang = lang === 'vi' ? 'en' : 'vi'; localStorage.setItem('chot-lang', lang); applyLang(); if (!$('#app').hidden) { if (report) renderFigures(report); renderHealth(); renderMovement(); renderOfficers(); loadFleet().catch(() => {}); } });

applyLang();
showApp().catch(() => showLogin());
