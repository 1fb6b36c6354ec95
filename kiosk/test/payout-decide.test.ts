// The payout desk's decision with plain values (kiosk/src/payout/decide.ts): a refused pass keeps its reason, a
// citizen not on the ward's list is not eligible, a programme out of its dates pays nobody, a claim needs an officer,
// and only the hub's 'paid' is green; every other answer, and no answer, is said in words and never green. And the
// payout settings: every problem in one line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { messageFor, openProgrammeWard, signProgrammeWard, type Programme, type Verdict } from '../../protocol/src/index.js';
import { answerView, decidePayout, money, owedView, waitView, type PayoutInput } from '../src/payout/decide.js';
import { checkPayout } from '../src/payout/config.js';
import { checkConfig } from '../src/config.js';

const root = generateKeyPairSync('ed25519');
const NOW = Date.UTC(2021, 8, 15, 3, 0); // 10:00 on 15 September 2021 in Viet Nam
const sec = NOW / 1000;
const P: Programme = { id: 'ho-tro-2021', name: 'Hỗ trợ người lao động 2021', amount: 1_500_000, validFrom: sec - 86400, validUntil: sec + 30 * 86400, version: 3 };
const ON_LIST = 'a1a1a1a1a1a1a1a1', OFF_LIST = 'b2b2b2b2b2b2b2b2';
const held = openProgrammeWard(signProgrammeWard(P, '79/26734', [Buffer.from(ON_LIST, 'hex')], root.privateKey), root.publicKey);
const green = (holder = ON_LIST): Verdict => ({ verdict: 'green', reason: 'ok', format: 'pass', message: messageFor('ok'), holderToken: holder, passId: '0102030405060708' });
const TZ = 'Asia/Ho_Chi_Minh';

function input(over: Partial<PayoutInput> = {}): PayoutInput {
  return { pass: green(), held, registeredArea: '79/26734', now: NOW, officer: 'CA79-00123', timeZone: TZ, ...over };
}

test('a citizen on the ward\'s list, an officer signed in, the programme open: a claim for the programme\'s amount, and "asking", not green', () => {
  const s = decidePayout(input());
  assert.equal(s.claim, { programme: 'ho-tro-2021', holder: ON_LIST, amount: 1_500_000, ward: '79/26734' });
  assert.is(s.view.reason, 'asking');
  assert.is.not(s.view.lamp, 'green');
  assert.is(s.view.message.vi, 'Đang hỏi trung tâm: chưa chi trả.');
});

test('a refused pass is refused with the pass\'s own reason; no claim', () => {
  for (const reason of ['revoked', 'expired', 'bad-signature'] as const) {
    const s = decidePayout(input({ pass: { verdict: 'red', reason, format: 'pass', message: messageFor(reason) } }));
    assert.is(s.claim, undefined, reason);
    assert.is(s.view.reason, 'pass-refused');
    assert.is(s.view.lamp, 'red');
    assert.is(s.view.message.vi, `${messageFor(reason).vi} Không chi trả.`);
    assert.is(s.view.message.en, `${messageFor(reason).en} Not paid.`);
  }
});

test('not on the ward\'s list: not eligible here, in words; an EU certificate names no citizen', () => {
  const s = decidePayout(input({ pass: green(OFF_LIST) }));
  assert.is(s.claim, undefined);
  assert.is(s.view.reason, 'not-eligible');
  assert.match(s.view.message.vi, /^Không có trong danh sách hưởng hỗ trợ của phường này: không chi trả tại đây\./);
  assert.match(s.view.message.en, /A citizen registered in another ward is paid there\./);
  const dcc = decidePayout(input({ pass: { ...green(), format: 'dcc', holderToken: undefined } }));
  assert.is(dcc.view.reason, 'no-holder');
});

test('the programme before its start and after its end: refused with the dates in the kiosk\'s time zone', () => {
  const before = decidePayout(input({ now: P.validFrom * 1000 - 1 }));
  assert.is(before.claim, undefined);
  assert.is(before.view.reason, 'programme-not-open');
  assert.is(before.view.message.vi, 'Chương trình chưa bắt đầu chi trả (từ 10:00 14/09/2021): không chi trả.');
  const after = decidePayout(input({ now: P.validUntil * 1000 + 1 }));
  assert.is(after.view.reason, 'programme-not-open');
  assert.is(after.view.message.en, 'The programme has ended (until 10:00 15/10/2021): not paid.');
});

test('no list yet, a kiosk registered for another ward, nobody signed in: no claim, each said so', () => {
  const none = decidePayout(input({ held: undefined }));
  assert.equal([none.claim, none.view.reason, none.view.lamp], [undefined, 'no-programme', 'amber']);
  const other = decidePayout(input({ registeredArea: '79/27001' }));
  assert.equal([other.claim, other.view.reason], [undefined, 'ward-mismatch']);
  assert.match(other.view.message.en, /pays for ward 79\/26734 but the hub registered it for 79\/27001/);
  const nobody = decidePayout(input({ officer: undefined }));
  assert.equal([nobody.claim, nobody.view.reason], [undefined, 'sign-in-needed']);
  assert.match(nobody.view.message.en, /^Scan your officer card to sign in/);
});

test('only the hub\'s "paid" is green, with the amount in each language\'s way of writing money', () => {
  assert.equal(money(1_500_000), { vi: '1.500.000 đ', en: '1,500,000 VND' });
  const paid = answerView({ v: 1, key: 'k'.repeat(16), outcome: 'paid', amount: 1_500_000, payment: { kiosk: 'ward-a', at: NOW } }, { kiosk: 'ward-a', timeZone: TZ });
  assert.equal([paid.lamp, paid.word, paid.message], ['green', { vi: 'CHI TRẢ', en: 'PAY' }, { vi: 'Chi trả 1.500.000 đ.', en: 'Pay 1,500,000 VND.' }]);
  const late = answerView({ v: 1, key: 'k'.repeat(16), outcome: 'paid', amount: 1_500_000 }, { kiosk: 'ward-a', timeZone: TZ, late: true });
  assert.is(late.lamp, 'green');
  assert.match(late.message.en, /^Pay 1,500,000 VND \(the hub's reply came late; confirmed\)\.$/);
  for (const outcome of ['already-paid', 'not-eligible', 'other-ward', 'programme-not-open', 'programme-unknown'] as const) {
    const v = answerView({ v: 1, key: 'k'.repeat(16), outcome }, { kiosk: 'ward-a', timeZone: TZ });
    assert.is(v.lamp, 'red', outcome);
    assert.is(v.reason, outcome);
  }
  // a hub that names the citizen's ward, and one from before that field
  assert.match(answerView({ v: 1, key: 'k'.repeat(16), outcome: 'other-ward', ward: '01/00004' }, { kiosk: 'ward-a', timeZone: TZ }).message.en, /registered in another ward \(01\/00004\): support is paid where they reside/);
  assert.match(answerView({ v: 1, key: 'k'.repeat(16), outcome: 'other-ward' }, { kiosk: 'ward-a', timeZone: TZ }).message.en, /registered in another ward: support is paid/);
  for (const why of ['hub-offline', 'hub-timeout'] as const) assert.is.not(waitView(why).lamp, 'green');
  assert.is.not(owedView({ v: 1, key: 'k'.repeat(16), outcome: 'paid', amount: 1 }, NOW, TZ).lamp, 'green', 'a late payment for an earlier citizen never lights green');
});

test('already paid: where and when, in the kiosk\'s time zone; "this kiosk" when it was here', () => {
  const r = { v: 1 as const, key: 'k'.repeat(16), outcome: 'already-paid' as const, payment: { kiosk: 'ward-b', at: NOW } };
  assert.is(answerView(r, { kiosk: 'ward-a', timeZone: TZ }).message.vi, 'Đã chi trả tại ward-b lúc 10:00 15/09/2021: không chi trả lần nữa.');
  assert.is(answerView(r, { kiosk: 'ward-b', timeZone: TZ }).message.en, 'Already paid at this kiosk (ward-b) at 10:00 15/09/2021: do not pay again.');
});

test('the hub out of reach says the payout must wait, in words', () => {
  assert.is(waitView('hub-offline').message.vi.split('. ')[0], 'Chưa chi trả: mất kết nối với trung tâm, vui lòng chờ');
  assert.is(waitView('hub-offline').message.en.split('. ')[0], 'Not paid: no connection to the hub, please wait');
  assert.match(waitView('hub-timeout').message.en, /^Not paid: no reply from the hub yet, please wait\./);
});

test('payout settings: a checkpoint is unchanged; every problem of a payout section in one line', () => {
  assert.equal(checkPayout({ kiosk: { area: '79' } }), { problems: [] });
  assert.equal(checkPayout({ mode: 'payout', payout: { programme: 'ho-tro-2021' }, kiosk: { area: '79/26734' } }).payout, { programme: 'ho-tro-2021', claimTimeoutMs: 10_000 });
  const bad = checkPayout({ mode: 'payout', payout: { programme: 'Hỗ trợ', ward: '79', claimTimeoutMs: 5, colour: 'red' }, kiosk: { area: '79/26734' } });
  assert.equal(bad.problems, [
    'payout.colour is not a setting (payout takes programme, ward, claimTimeoutMs)',
    'payout.programme must be 1-32 of a-z 0-9 - (the id given to chot programme import), got "Hỗ trợ"',
    'payout.ward must be a ward or commune code like 79/26734, got "79"',
    'payout.claimTimeoutMs must be a whole number of ms from 1000 to 120000, got 5',
  ]);
  assert.match(checkPayout({ mode: 'payout', payout: {}, kiosk: { area: '79' } }).problems.join('; '), /payout\.programme is missing.*payout\.ward is not set and kiosk\.area "79" is not a ward code/);
  assert.equal(checkPayout({ mode: 'payout', kiosk: { area: '79/26734' } }).problems.length, 1);
  assert.match(checkPayout({ payout: { programme: 'x' } }).problems[0], /mode is not "payout"/);
  // through the kiosk's config loader: one line naming the file and every problem
  try {
    checkConfig({ kiosk: { id: 'ward-a', area: '79/26734' }, rootKey: '/r.pem', mode: 'payout', payout: { programme: 'BAD', claimTimeoutMs: 'soon' } }, 'kiosk.json');
    assert.unreachable('a bad payout section is refused');
  } catch (e) {
    assert.is((e as Error).message, 'kiosk.json: 2 problems: payout.programme must be 1-32 of a-z 0-9 - (the id given to chot programme import), got "BAD"; payout.claimTimeoutMs must be a whole number of ms from 1000 to 120000, got "soon"');
  }
  const ok = checkConfig({ kiosk: { id: 'ward-a', area: '79/26734' }, rootKey: '/r.pem', mode: 'payout', payout: { programme: 'ho-tro-2021', ward: '79/26734' } });
  assert.equal(ok.payout, { programme: 'ho-tro-2021', ward: '79/26734', claimTimeoutMs: 10_000 });
});

test.run();
