'use strict';
// The officer screen: server-sent events from the kiosk; reconnects by itself when the kiosk restarts.
// Words, never codes; times in the checkpoint's time zone (the kiosk's), never the browser's.
const $ = (s) => document.querySelector(s);
const WARN = { 'clock-unsynced': 'Đồng hồ chưa đồng bộ · clock not synchronised', 'lists-stale': 'Danh sách cũ · lists out of date', 'no-lists': 'Chưa có danh sách · no lists yet' };
const CAT = { resident: 'Người dân · resident', shipper: 'Giao hàng · shipper', official: 'Công vụ · official', medical: 'Y tế · medical', goods: 'Vận tải hàng · goods', foreign: 'Nước ngoài · foreign', 'EU DCC': 'Chứng nhận EU · EU DCC' };
const HUB = { online: 'trực tuyến · online', connecting: 'đang kết nối · connecting', offline: 'MẤT KẾT NỐI · offline', 'not configured': 'không dùng · not used' };
const SCANNER = { ok: 'hoạt động · working', starting: 'đang mở · starting', absent: 'KHÔNG THẤY · not found', stopped: 'ĐÃ DỪNG · stopped' };
const FIELD_OF = { 'outside-hours': 'f-hours', expired: 'f-valid', 'not-yet-valid': 'f-valid', 'wrong-area': 'f-areas', 'issuer-not-allowed': 'f-issuer', 'category-refused': 'f-category' };
const IDLE_AFTER_MS = 15000;
// a payout desk's outcomes in short words for the last scans (the big panel has the whole sentence)
const PAYOUT_WORDS = {
  paid: ['Chi trả', 'Paid'], 'already-paid': ['Đã chi trả trước đó', 'Already paid'], 'not-eligible': ['Không thuộc diện hưởng', 'Not eligible'],
  'other-ward': ['Đăng ký ở phường khác', 'Registered in another ward'], 'programme-not-open': ['Ngoài thời gian chi trả', 'Programme not paying'],
  'programme-unknown': ['Trung tâm không có chương trình', 'Programme unknown to the hub'], 'pass-refused': null, 'no-holder': ['Không phải giấy công dân', 'Not a citizen pass'],
  'no-programme': ['Chưa có danh sách chi trả', 'No payout list yet'], 'ward-mismatch': ['Sai phường cài đặt', 'Kiosk set for another ward'],
  'sign-in-needed': ['Cần cán bộ đăng nhập', 'Officer sign-in needed'], asking: ['Đang hỏi trung tâm', 'Asking the hub'],
  'hub-offline': ['Chưa chi trả: mất kết nối', 'Not paid: hub offline'], 'hub-timeout': ['Chưa chi trả: chờ trung tâm', 'Not paid: waiting for the hub'],
  owed: ['Xác nhận muộn: chi khi quét lại', 'Confirmed late: pay on next scan'],
};
const PAYOUT_MARK = { green: 'CHI', red: 'KHÔNG', amber: 'CHỜ' };
const vnd = (n) => { const d = String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ','); return { vi: `${d.replace(/,/g, '.')} đ`, en: `${d} VND` }; };

let reasons = {}; // code → [vi, en], from the kiosk (protocol's REASON_WORDS)
let zone = 'Asia/Ho_Chi_Minh';
let skew = 0; // the kiosk's clock minus this browser's, so "ago" counts on the kiosk's time
let lastScanAt = null;
let state = null;
let current = null; // the scan on screen, until the screen goes idle
let idleTimer = null;

// ---- words and times ----------------------------------------------------------------------------------------
function words(code) {
  const w = reasons[code];
  return w ? { vi: w[0], en: w[1] } : { vi: 'Lý do khác', en: 'Other reason' };
}

function parts(ms, withDate) {
  let f;
  try {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit', ...(withDate ? { day: '2-digit', month: '2-digit', year: 'numeric' } : {}) });
  } catch { // a zone this browser does not know: the project's default rather than the browser's own
    f = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit', ...(withDate ? { day: '2-digit', month: '2-digit', year: 'numeric' } : {}) });
  }
  return Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
}
const clockText = (ms) => { const p = parts(ms, false); return `${p.hour}:${p.minute}:${p.second}`; };
const shortTime = (ms) => { const p = parts(ms, false); return `${p.hour}:${p.minute}`; };
const dateTime = (ms) => { const p = parts(ms, true); return `${p.hour}:${p.minute} ${p.day}/${p.month}/${p.year}`; };

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() + skew - ms) / 1000));
  if (s < 10) return 'vừa xong · just now';
  if (s < 60) return `${s} giây trước · ${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} phút trước · ${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} giờ trước · ${h} h ago`;
  const d = Math.floor(h / 24);
  return `${d} ngày trước · ${d} days ago`;
}

function setWord(vi, en) {
  const w = $('#word');
  w.replaceChildren();
  const a = document.createElement('span'); a.lang = 'vi'; a.textContent = vi;
  const sep = document.createElement('span'); sep.className = 'sep'; sep.textContent = ' · ';
  const b = document.createElement('span'); b.lang = 'en'; b.textContent = en;
  w.append(a, sep, b);
}

// ---- fitting: every panel's text shrinks until it fits its box, so nothing is cut at 800x480 -------------------
function shrink(box, prop, min, target = box) {
  target.style.setProperty(prop, '1');
  for (let k = 1; k > min && (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1); k -= 0.05) target.style.setProperty(prop, k.toFixed(2));
}

function fitRecent() {
  const ol = $('#scans');
  const items = [...ol.children];
  for (const li of items) li.hidden = false;
  // smaller rows first, down to what still reads from the booth (11.5 px)...
  ol.style.setProperty('--k', '1');
  const px = items.length ? parseFloat(getComputedStyle(items[0]).fontSize) : 0;
  for (let k = 1; k > 0.5 && px * (k - 0.05) >= 11.5 && ol.scrollHeight > ol.clientHeight + 1; k -= 0.05) ol.style.setProperty('--k', (k - 0.05).toFixed(2));
  // ...then, the newest first, whole rows dropped from the oldest end until the rest fit (never a half row)
  let shown = items.length;
  while (shown > 0 && ol.scrollHeight > ol.clientHeight + 1) items[--shown].hidden = true;
  const scans = (n) => `${n} scan${n === 1 ? '' : 's'}`;
  $('#recent-title').textContent = shown === items.length
    ? `${shown} lượt gần nhất · last ${scans(shown)}`
    : `${shown} lượt gần nhất (giữ ${items.length}) · last ${shown} of ${scans(items.length)}`;
}

function fitAll() {
  shrink($('#word'), '--kw', 0.3);
  shrink($('#verdict'), '--k', 0.5);
  shrink($('#detail'), '--k', 0.5);
  shrink($('footer'), '--kf', 0.6);
  fitRecent();
}
let fitQueued = false;
function fitSoon() {
  if (fitQueued) return;
  fitQueued = true;
  requestAnimationFrame(() => { fitQueued = false; fitAll(); });
}
window.addEventListener('resize', fitSoon);

// ---- a scan --------------------------------------------------------------------------------------------------
function showVerdict(s) {
  current = s;
  const v = $('#verdict');
  const p = s.payout;
  v.className = p ? (p.lamp === 'amber' ? 'warn' : p.lamp) : s.override ? 'override' : s.verdict;
  v.dataset.scan = s.id;
  // a payout desk: the payment's word and sentence, never the pass's green
  if (p) setWord(p.word.vi, p.word.en);
  else if (s.override) setWord('MỞ CỔNG', 'GATE OPEN');
  else if (s.verdict === 'green') setWord('QUA', 'PASS');
  else setWord('DỪNG', 'STOP');
  $('#vi').textContent = p ? p.message.vi : s.message.vi;
  $('#en').textContent = p ? p.message.en : s.message.en;
  // the kiosk's own warnings, then how an EU DCC departs from its schema (shown, not decided on)
  const schema = (s.summary && s.summary.warnings) || [];
  $('#warnings').textContent = [...(s.warnings || []).map((w) => WARN[w] || 'Cảnh báo khác · other warning'), ...(schema.length ? [`Chứng nhận lệch chuẩn · certificate deviates from its schema: ${schema.join('; ')}`] : [])].join(' · ');
  showSummary(s.summary, p);
  // the field the refusal is about stands out, for the officer to check against the pass
  if (s.reason === 'outside-hours' && s.summary && !s.summary.dateOfBirth) $('#s-hours').textContent += ` · bây giờ · now ${shortTime(s.at)}`;
  const about = FIELD_OF[s.reason];
  for (const f of document.querySelectorAll('#summary > div')) f.classList.toggle('bad', f.id === about);
  clearTimeout(idleTimer);
  idleTimer = setTimeout(goIdle, IDLE_AFTER_MS);
  fitSoon();
}

function showSummary(sum, payout) {
  $('#summary').hidden = !sum;
  $('#board').hidden = !!sum;
  if (!sum) return;
  // at a payout desk the officer checks the name and ID digits, and reads the programme and amount
  const desk = state && state.payout;
  $('#f-amount').hidden = !desk;
  $('#f-programme').hidden = !desk;
  if (desk) {
    const amount = (payout && payout.amount) || (desk.programme && desk.programme.amount);
    const m = amount ? vnd(amount) : null;
    $('#s-amount').textContent = m ? `${m.vi} · ${m.en}` : '–';
    $('#s-programme').textContent = desk.programme ? desk.programme.name : '–';
  }
  $('#s-name').textContent = sum.name || '–';
  $('#s-last4').textContent = sum.idLast4 || '–';
  $('#s-category').textContent = CAT[sum.category] || sum.category || '–';
  $('#s-plate').textContent = sum.plate || '–';
  const from = sum.validFrom ? Date.parse(sum.validFrom) : NaN, until = sum.validUntil ? Date.parse(sum.validUntil) : NaN;
  $('#s-valid').textContent = `${Number.isFinite(from) ? `${dateTime(from)} → ` : 'đến · until '}${Number.isFinite(until) ? dateTime(until) : '–'}`;
  const dcc = !!sum.dateOfBirth;
  $('#f-born').hidden = !dcc;
  $('#f-plate').hidden = dcc || !!desk;
  $('#f-hours').hidden = dcc || !!desk;
  $('#f-areas').hidden = dcc || !!desk;
  $('#f-category').hidden = !!desk;
  $('#s-issuer').textContent = sum.issuer || '–';
  if (dcc) {
    $('#s-born').textContent = `${sum.dateOfBirth}${sum.proves ? ` · ${sum.proves}` : ''}`;
  } else {
    // a pass's hours are the checkpoint's local time, as the verdict reads them
    $('#s-hours').textContent = sum.hours && sum.hours.length ? sum.hours.map((h) => h.replace('-', '–')).join(', ') : 'cả ngày · all day';
    $('#s-areas').textContent = (sum.areas || []).join(', ') || '–';
  }
}

// ---- an enrolment code scanned by an unenrolled kiosk: under way, refused (why, in words) or done ---------------
const ENROL = { busy: ['warn', 'ĐANG ĐĂNG KÝ', 'ENROLLING'], refused: ['red', 'TỪ CHỐI ĐĂNG KÝ', 'ENROLMENT REFUSED'], enrolled: ['green', 'ĐÃ ĐĂNG KÝ', 'ENROLLED'] };
// the officer's card and the button: signed in, out, a card refused (why, in words), or a sign-in asked first
const OFFICER = { 'signed-in': ['green', 'ĐÃ ĐĂNG NHẬP', 'SIGNED IN'], 'signed-out': ['warn', 'ĐÃ ĐĂNG XUẤT', 'SIGNED OUT'], refused: ['red', 'THẺ BỊ TỪ CHỐI', 'CARD REFUSED'], 'sign-in-needed': ['warn', 'CẦN ĐĂNG NHẬP', 'SIGN IN FIRST'] };
let officerNoticeAt = 0;
function showEnrolment(n, table = ENROL) {
  const [cls, vi, en] = table[n.state] || table.refused;
  current = n;
  const v = $('#verdict');
  v.className = cls;
  v.dataset.scan = '';
  setWord(vi, en);
  $('#vi').textContent = n.vi;
  $('#en').textContent = n.en;
  $('#warnings').textContent = '';
  showSummary(null);
  clearTimeout(idleTimer);
  idleTimer = setTimeout(goIdle, IDLE_AFTER_MS);
  fitSoon();
}

function goIdle() {
  current = null;
  $('#verdict').dataset.scan = '';
  showSummary(null);
  showIdle();
}

// ---- idle: ready or not, since when, hub and lists ------------------------------------------------------------
function readiness() {
  if (!state) return { cls: 'warn', vi: 'ĐANG KẾT NỐI', en: 'CONNECTING' };
  if (!state.trust) return { cls: 'warn', vi: 'CHƯA CÓ DANH SÁCH', en: 'NO LISTS' };
  const desk = state.payout;
  if (desk && !desk.programme) return { cls: 'warn', vi: 'CHƯA CÓ DANH SÁCH CHI', en: 'NO PAYOUT LIST' };
  if (desk && desk.programme.open !== 'open') return { cls: 'warn', vi: 'NGOÀI THỜI GIAN CHI', en: 'NOT PAYING NOW' };
  if (!/\bok\b/.test(state.scanner || '')) return { cls: 'warn', vi: 'MÁY QUÉT LỖI', en: 'SCANNER DOWN' };
  return { cls: 'idle', vi: 'SẴN SÀNG', en: 'READY' };
}

function showIdle() {
  if (current) return;
  const r = readiness();
  const v = $('#verdict');
  v.className = r.cls;
  setWord(r.vi, r.en);
  const last = lastScanAt ? ago(lastScanAt) : null;
  $('#vi').textContent = last ? `Lượt quét cuối: ${last.split(' · ')[0]}` : 'Chưa có lượt quét nào';
  $('#en').textContent = last ? `Last scan: ${last.split(' · ')[1]}` : 'No scan yet';
  $('#warnings').textContent = r.cls === 'warn' ? 'Cán bộ kiểm tra thủ công · the officer checks by hand' : '';
  showBoard();
  fitSoon();
}

function listsText(st) {
  if (!st.trust) return { text: 'CHƯA CÓ · none yet: mọi giấy sẽ bị từ chối · every pass is refused', bad: true };
  const got = Math.max(st.trust.receivedAt || 0, st.status ? st.status.receivedAt || 0 : 0);
  const status = st.status ? `v${st.status.version}` : '–';
  const [viAgo, enAgo] = got ? ago(got).split(' · ') : [];
  const text = `tin cậy v${st.trust.version}, trạng thái ${status}${got ? `, nhận ${viAgo}` : ''}${st.listsStale ? ': CŨ' : ''} · trust v${st.trust.version}, status ${status}${got ? `, received ${enAgo}` : ''}${st.listsStale ? ': OUT OF DATE' : ''}`;
  return { text, bad: !!st.listsStale || !st.status };
}

function showBoard() {
  if (!state) return;
  const st = state;
  const desk = st.payout;
  $('#b-checkpoint-k').textContent = desk ? 'Điểm chi trả, phường · Payout desk, ward' : 'Chốt · Checkpoint';
  $('#b-checkpoint').textContent = desk ? `${st.kiosk} · ${desk.ward}` : `${st.kiosk} · ${st.area}`;
  for (const id of ['#f-b-amount', '#f-b-programme', '#f-b-validity']) $(id).hidden = !desk;
  for (const id of ['#f-b-last', '#f-b-clock']) $(id).hidden = !!desk;
  if (desk) showDesk(desk);
  $('#b-time').textContent = `${clockText(Date.now() + skew)}`;
  $('#b-last').textContent = lastScanAt ? `${shortTime(lastScanAt)} · ${ago(lastScanAt)}` : 'chưa có · none yet';
  // the name only: the officer's code goes into the records, never onto the screen
  $('#b-officer').textContent = st.officer ? st.officer.name : 'chưa đăng nhập · nobody signed in';
  $('#b-officer').className = st.officer ? '' : 'bad';
  const hub = $('#b-hub');
  // a payout desk says how many claims wait for the hub's answer, and how many late payments are owed
  const waiting = desk && desk.pending ? ` · ${desk.pending} chờ trả lời · waiting` : '';
  const owed = desk && desk.owed ? ` · ${desk.owed} chi khi quét lại · owed` : '';
  hub.textContent = `${HUB[st.hub] || st.hub}${waiting}${owed}`;
  hub.className = st.hub === 'online' || st.hub === 'not configured' ? '' : 'bad';
  const clock = $('#b-clock');
  clock.textContent = st.clock && st.clock.synced ? `đồng bộ · synced (${st.clock.source})` : 'CHƯA ĐỒNG BỘ · not synced';
  clock.className = st.clock && st.clock.synced ? '' : 'bad';
  const l = listsText(st);
  $('#b-lists').textContent = l.text;
  $('#b-lists').className = l.bad ? 'bad' : '';
}

function showDesk(desk) {
  const p = desk.programme;
  const m = p ? vnd(p.amount) : null;
  $('#b-amount').textContent = m ? `${m.vi} · ${m.en}` : '–';
  $('#b-amount').className = p ? '' : 'bad';
  $('#b-programme').textContent = p ? `${p.name} (v${p.version}, ${p.eligible.toLocaleString('vi-VN')} người · eligible)` : 'CHƯA CÓ DANH SÁCH · no list yet: không chi trả được · nothing can be paid';
  $('#b-programme').className = p ? '' : 'bad';
  const open = p ? { open: 'đang chi · paying', 'not-yet': 'CHƯA BẮT ĐẦU · not yet', ended: 'ĐÃ KẾT THÚC · ended' }[p.open] : '';
  $('#b-validity').textContent = p ? `${dateTime(p.validFrom * 1000)} → ${dateTime(p.validUntil * 1000)} · ${open}` : '–';
  $('#b-validity').className = p && p.open === 'open' ? '' : 'bad';
}

// ---- the last scans --------------------------------------------------------------------------------------------
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }

function recentRow(s) {
  const p = s.payout;
  const li = el('li', p ? (p.lamp === 'amber' ? 'warn' : p.lamp) : s.override ? 'override' : s.verdict);
  li.dataset.scan = s.id;
  // a gate's passage sensor: a green nobody passed after is cancelled (HỦY); a tailgate is a stop like a red
  const mark = p ? PAYOUT_MARK[p.lamp] : s.override ? 'MỞ' : s.verdict === 'green' ? 'QUA' : s.reason === 'no-passage' ? 'HỦY' : 'DỪNG';
  li.append(el('time', null, shortTime(s.at)), el('span', 'mark', mark));
  const name = s.summary && s.summary.name;
  // a payout: the outcome in words (a refused pass: the pass's reason), then the name
  const pw = p && (PAYOUT_WORDS[p.reason] ? { vi: PAYOUT_WORDS[p.reason][0], en: PAYOUT_WORDS[p.reason][1] } : words(s.reason));
  if (pw) {
    li.append(el('span', 'vi', pw.vi), el('span', 'en', ` · ${pw.en}`));
    if (name) li.append(document.createTextNode(' — '), el('span', 'name', name));
  } else if (s.verdict !== 'green' || s.override) {
    const w = words(s.reason);
    li.append(el('span', 'vi', w.vi), el('span', 'en', ` · ${w.en}`));
    if (name) li.append(document.createTextNode(' — '), el('span', 'name', name));
  } else {
    li.append(el('span', 'name', name || words(s.reason).vi));
  }
  return li;
}

function addRecent(s) {
  const li = recentRow(s);
  const ol = $('#scans');
  ol.prepend(li);
  while (ol.children.length > 20) ol.lastChild.remove();
  fitSoon();
}

// ---- the kiosk's state -----------------------------------------------------------------------------------------
function setCell(id, text, bad) {
  const c = $(id);
  c.querySelector('.v').textContent = text;
  c.className = bad ? 'bad' : '';
}

function scannerText(s) {
  // "serial ok, camera absent": each source in words
  const parts = String(s || '').split(',').map((x) => x.trim().split(' ')).filter((p) => p.length === 2);
  if (!parts.length) return { text: 'không có · none', bad: true };
  return { text: parts.map(([, st]) => SCANNER[st] || st).join(', '), bad: !parts.some(([, st]) => st === 'ok') };
}

function showState(st) {
  state = st;
  if (st.timeZone) zone = st.timeZone;
  if (typeof st.now === 'number') skew = st.now - Date.now();
  if (st.lastScanAt && (!lastScanAt || st.lastScanAt > lastScanAt)) lastScanAt = st.lastScanAt;
  setCell('#st-link', HUB[st.hub] || st.hub, !(st.hub === 'online' || st.hub === 'not configured'));
  setCell('#st-clock', st.clock && st.clock.synced ? 'đồng bộ · synced' : 'CHƯA ĐỒNG BỘ · not synced', !(st.clock && st.clock.synced));
  setCell('#st-lists', !st.trust ? 'CHƯA CÓ · none' : st.listsStale ? 'CŨ · out of date' : `mới · current (v${st.trust.version}/v${st.status ? st.status.version : '–'})`, !st.trust || st.listsStale);
  const sc = scannerText(st.scanner);
  setCell('#st-scanner', sc.text, sc.bad);
  setCell('#st-backlog', st.backlog ? `${st.backlog} lượt · scans` : '0', st.backlog > 100);
  if (current) showBoard(); else showIdle();
  const n = st.officerNotice;
  if (n && n.at > officerNoticeAt) { officerNoticeAt = n.at; showEnrolment(n, OFFICER); }
  fitSoon();
}

async function load() {
  const r = await fetch('/state');
  const d = await r.json();
  reasons = d.reasons || {};
  lastScanAt = null;
  // a notice from before this page loaded is not news
  if (d.state && d.state.officerNotice) officerNoticeAt = Math.max(officerNoticeAt, d.state.officerNotice.at);
  showState(d.state);
  $('#scans').replaceChildren();
  for (const s of d.scans.slice().reverse()) addRecent(s);
}

function connect() {
  const es = new EventSource('/events');
  es.addEventListener('open', () => load().catch(() => {}));
  es.addEventListener('scan', (e) => {
    const s = JSON.parse(e.data);
    lastScanAt = s.at;
    // an annul (nobody passed after a green) goes in the list only: the next traveller may be at the booth already,
    // and a big STOP would be about someone else
    if (s.reason !== 'no-passage') showVerdict(s);
    addRecent(s);
  });
  es.addEventListener('state', (e) => showState(JSON.parse(e.data)));
  es.addEventListener('enrolment', (e) => showEnrolment(JSON.parse(e.data)));
  // a payout's answer came (or did not, in time): its row changes, and the big panel if that scan is on it
  es.addEventListener('payout', (e) => {
    const s = JSON.parse(e.data);
    const row = document.querySelector(`#scans li[data-scan="${s.id}"]`);
    if (row) row.replaceWith(recentRow(s));
    // a late 'paid' always takes the panel: the kiosk sends one only for the citizen still last at the desk
    if ($('#verdict').dataset.scan === s.id || (s.payout && s.payout.lamp === 'green')) showVerdict(s);
    fitSoon();
  });
  es.onerror = () => { setCell('#st-link', 'MẤT KẾT NỐI VỚI MÁY · kiosk not responding', true); fitSoon(); };
}

// the local clock and the "ago" texts move on their own between the kiosk's updates
setInterval(() => { if (current) return; showIdle(); }, 1000);
showIdle();
connect();
