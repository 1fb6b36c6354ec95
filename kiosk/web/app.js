'use strict';
// The officer screen: server-sent events from the kiosk; reconnects by itself when the kiosk restarts.
const $ = (s) => document.querySelector(s);
const WARN = { 'clock-unsynced': 'Đồng hồ chưa đồng bộ · clock not synchronised', 'lists-stale': 'Danh sách cũ · lists out of date', 'no-lists': 'Chưa có danh sách · no lists yet' };
const CAT = { resident: 'Người dân · resident', shipper: 'Giao hàng · shipper', official: 'Công vụ · official', medical: 'Y tế · medical', goods: 'Vận tải hàng · goods', foreign: 'Nước ngoài · foreign', 'EU DCC': 'Chứng nhận EU · EU DCC' };
const time = (ms) => new Date(ms).toLocaleTimeString('vi-VN', { hour12: false });
let idle = null;

function showVerdict(s) {
  const v = $('#verdict');
  v.className = s.verdict;
  v.dataset.scan = s.id;
  $('#word').textContent = s.override ? 'MỞ CỔNG · GATE OPEN' : s.verdict === 'green' ? 'QUA · PASS' : 'DỪNG · STOP';
  $('#vi').textContent = s.message.vi;
  $('#en').textContent = s.message.en;
  // the kiosk's own warnings, then how an EU DCC departs from its schema (shown, not decided on)
  const schema = (s.summary && s.summary.warnings) || [];
  $('#warnings').textContent = [...(s.warnings || []).map((w) => WARN[w] || w), ...(schema.length ? [`Chứng nhận lệch chuẩn · certificate deviates from its schema: ${schema.join('; ')}`] : [])].join(' · ');
  const sum = s.summary;
  $('#summary').hidden = !sum;
  if (sum) {
    $('#s-name').textContent = sum.name || '–';
    $('#s-last4').textContent = sum.idLast4 || '–';
    $('#s-category').textContent = CAT[sum.category] || sum.category || '–';
    $('#s-plate').textContent = sum.plate || '–';
    $('#s-until').textContent = sum.validUntil ? new Date(sum.validUntil).toLocaleString('vi-VN', { hour12: false }) : '–';
    $('#s-extra-label').textContent = sum.dateOfBirth ? 'Ngày sinh · Born' : 'Khu vực · Areas';
    $('#s-extra').textContent = sum.dateOfBirth ? `${sum.dateOfBirth} · ${sum.proves || ''}` : (sum.areas || []).join(', ');
  }
  clearTimeout(idle);
  idle = setTimeout(() => { v.className = 'idle'; $('#word').textContent = 'SẴN SÀNG · READY'; $('#vi').textContent = ''; $('#en').textContent = ''; }, 15000);
}

function addRecent(s) {
  const li = document.createElement('li');
  li.className = s.verdict;
  li.textContent = `${time(s.at)}  ${s.verdict === 'green' ? 'QUA' : 'DỪNG'}  ${s.summary?.name || s.reason}`;
  const ol = $('#scans');
  ol.prepend(li);
  while (ol.children.length > 20) ol.lastChild.remove();
}

function showState(st) {
  const link = $('#st-link');
  link.textContent = `Trung tâm · hub: ${st.hub}`;
  link.className = st.hub === 'online' ? '' : 'bad';
  const c = $('#st-clock');
  c.textContent = `Đồng hồ · clock: ${st.clock?.synced ? 'OK' : 'CHƯA ĐỒNG BỘ · not synced'}`;
  c.className = st.clock?.synced ? '' : 'bad';
  const l = $('#st-lists');
  l.textContent = `Danh sách · lists: T${st.trust?.version ?? '–'} S${st.status?.version ?? '–'}${st.listsStale ? ' (cũ · stale)' : ''}`;
  l.className = st.listsStale || !st.trust ? 'bad' : '';
  const sc = $('#st-scanner');
  sc.textContent = `Máy quét · scanner: ${st.scanner}`;
  sc.className = /ok/.test(st.scanner || '') ? '' : 'bad';
  $('#st-backlog').textContent = `Chờ gửi · backlog: ${st.backlog}`;
}

async function load() {
  const r = await fetch('/state');
  const d = await r.json();
  showState(d.state);
  $('#scans').replaceChildren();
  for (const s of d.scans.slice().reverse()) addRecent(s);
}

function connect() {
  const es = new EventSource('/events');
  es.addEventListener('open', () => load().catch(() => {}));
  es.addEventListener('scan', (e) => { const s = JSON.parse(e.data); showVerdict(s); addRecent(s); });
  es.addEventListener('state', (e) => showState(JSON.parse(e.data)));
  es.onerror = () => { $('#st-link').textContent = 'Mất kết nối với máy · kiosk not responding'; $('#st-link').className = 'bad'; };
}
connect();
