// The payout point's decision, pure like ../decide.ts: the pass's verdict (decided exactly as at a checkpoint), the
// ward's programme list the kiosk holds, the time and the officer on duty in; either a local refusal in words or a
// claim to send to the hub out. And the words for every answer the hub can give, or not give. Money is never paid
// offline: only the hub's 'paid' turns the screen green; every other path is red or amber.
import { type ClaimResult, type Programme, type ProgrammeWard, type Verdict } from '../../../protocol/src/index.js';

/** What the officer is told to do, and the lamp: green only for the hub's 'paid'. */
export type PayoutLamp = 'green' | 'red' | 'amber';

/**
 * Why a payout scan ended where it did: the pass's own reason when the pass is refused, a local refusal, the hub's
 * outcome, or the hub not answering (hub-offline, hub-timeout: the payout must wait).
 */
export type PayoutReason =
  | 'pass-refused' | 'no-holder' | 'no-programme' | 'ward-mismatch' | 'programme-not-open' | 'not-eligible' | 'sign-in-needed'
  | 'asking' | 'hub-offline' | 'hub-timeout' | 'owed'
  | ClaimResult['outcome'];

export interface PayoutView {
  lamp: PayoutLamp;
  reason: PayoutReason;
  /** the big word, Vietnamese first */
  word: { vi: string; en: string };
  message: { vi: string; en: string };
  /** 'local': decided at the kiosk, 'hub': the hub's answer, 'wait': no answer yet */
  by: 'local' | 'hub' | 'wait';
  amount?: number;
  /** where and when the citizen was paid (already-paid; a retry's own paid) */
  payment?: { kiosk: string; at: number };
}

export interface PayoutInput {
  /** the pass's verdict, decided as at a checkpoint (../decide.ts) */
  pass: Verdict;
  /** the ward's programme list held, if any */
  held: ProgrammeWard | undefined;
  /** the area the hub registered this kiosk for: the hub pays only its citizens */
  registeredArea: string;
  /** the decision time, ms */
  now: number;
  /** the officer on duty's code; a claim needs one */
  officer?: string;
  timeZone: string;
}

export interface ClaimIntent { programme: string; holder: string; amount: number; ward: string }

export type PayoutStep = { view: PayoutView; claim?: undefined } | { view: PayoutView; claim: ClaimIntent };

const W = {
  pay: { vi: 'CHI TRẢ', en: 'PAY' },
  noPay: { vi: 'KHÔNG CHI TRẢ', en: 'DO NOT PAY' },
  paidBefore: { vi: 'ĐÃ CHI TRẢ', en: 'ALREADY PAID' },
  wait: { vi: 'CHƯA CHI TRẢ', en: 'NOT PAID YET' },
  asking: { vi: 'ĐANG HỎI', en: 'ASKING THE HUB' },
  signIn: { vi: 'CẦN ĐĂNG NHẬP', en: 'SIGN IN FIRST' },
} as const;

/** 1500000 → "1.500.000 đ" and "1,500,000 VND": the way each language writes money. */
export function money(amount: number): { vi: string; en: string } {
  const digits = String(Math.trunc(amount)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return { vi: `${digits.replace(/,/g, '.')} đ`, en: `${digits} VND` };
}

/** "14:05 26/11/2026" in the kiosk's time zone. */
export function when(ms: number, timeZone: string): string {
  let f: Intl.DateTimeFormat;
  const o = { hourCycle: 'h23', hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric' } as const;
  try { f = new Intl.DateTimeFormat('en-GB', { ...o, timeZone }); } catch { f = new Intl.DateTimeFormat('en-GB', { ...o, timeZone: 'Asia/Ho_Chi_Minh' }); }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute} ${p.day}/${p.month}/${p.year}`;
}

/** Whether the programme pays at `now` (its validity, seconds), and if not which side of it `now` is. */
export function programmeOpen(p: Pick<Programme, 'validFrom' | 'validUntil'>, now: number): 'open' | 'not-yet' | 'ended' {
  if (now < p.validFrom * 1000) return 'not-yet';
  if (now > p.validUntil * 1000) return 'ended';
  return 'open';
}

function refused(reason: PayoutReason, vi: string, en: string, word: { vi: string; en: string } = W.noPay, lamp: PayoutLamp = 'red'): PayoutView {
  return { lamp, reason, word, message: { vi, en }, by: 'local' };
}

const hexToBytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

/** A payout scan: a local refusal, or the claim to send (with the screen's "asking the hub"). */
export function decidePayout(i: PayoutInput): PayoutStep {
  const p = i.pass;
  if (p.verdict !== 'green') {
    const m = p.message;
    return { view: refused('pass-refused', `${m.vi} Không chi trả.`, `${m.en} Not paid.`) };
  }
  if (!p.holderToken || p.format !== 'pass') {
    return { view: refused('no-holder', 'Mã này không gắn với công dân (không phải giấy của chot): không chi trả được.', 'This code names no citizen (not a chot pass): nothing can be paid on it.') };
  }
  const held = i.held;
  if (!held) {
    return { view: refused('no-programme', 'Máy chưa nhận danh sách chi trả của phường: chưa chi trả được, chờ trung tâm gửi danh sách.', 'This kiosk has no payout list for its ward yet: nothing can be paid until the hub sends it.', W.wait, 'amber') };
  }
  // the hub pays only citizens of the ward it registered this kiosk for: a kiosk set up for another ward would
  // have every claim refused, so it says so before a citizen is kept waiting
  if (i.registeredArea.includes('/') && i.registeredArea !== held.ward) {
    return { view: refused('ward-mismatch', `Máy cài đặt chi trả cho phường ${held.ward} nhưng đăng ký tại trung tâm cho ${i.registeredArea}: gọi kỹ thuật viên.`, `This kiosk pays for ward ${held.ward} but the hub registered it for ${i.registeredArea}: call the technician.`) };
  }
  const open = programmeOpen(held.programme, i.now);
  if (open !== 'open') {
    const from = when(held.programme.validFrom * 1000, i.timeZone), until = when(held.programme.validUntil * 1000, i.timeZone);
    return {
      view: open === 'not-yet'
        ? refused('programme-not-open', `Chương trình chưa bắt đầu chi trả (từ ${from}): không chi trả.`, `The programme does not pay yet (from ${from}): not paid.`)
        : refused('programme-not-open', `Chương trình đã hết hạn chi trả (đến ${until}): không chi trả.`, `The programme has ended (until ${until}): not paid.`),
    };
  }
  if (!held.holders.has(hexToBytes(p.holderToken))) {
    // the kiosk holds its own ward's list only: it cannot tell a citizen of another ward from one not eligible
    return { view: refused('not-eligible', 'Không có trong danh sách hưởng hỗ trợ của phường này: không chi trả tại đây. Người đăng ký cư trú ở phường khác nhận tại nơi cư trú.', "Not on this ward's list for the programme: not paid here. A citizen registered in another ward is paid there.") };
  }
  // money handed over is answered for by an officer: the claim carries who, as an override does
  if (!i.officer) {
    return { view: refused('sign-in-needed', 'Cán bộ quét thẻ cán bộ để đăng nhập, rồi quét lại giấy của người dân.', "Scan your officer card to sign in, then scan the citizen's pass again.", W.signIn, 'amber') };
  }
  const amount = held.programme.amount;
  return {
    view: { lamp: 'amber', reason: 'asking', word: W.asking, by: 'wait', amount, message: { vi: 'Đang hỏi trung tâm: chưa chi trả.', en: 'Asking the hub: not paid yet.' } },
    claim: { programme: held.programme.id, holder: p.holderToken, amount, ward: held.ward },
  };
}

export interface AnswerContext {
  /** this kiosk's id: a payment made here is said so */
  kiosk: string;
  timeZone: string;
  /** the reply came after the claim timed out, while its scan was still the one on screen */
  late?: boolean;
}

/** The hub's answer in words. Only 'paid' is green. */
export function answerView(r: ClaimResult, c: AnswerContext): PayoutView {
  const base = { by: 'hub' as const, ...(r.payment ? { payment: r.payment } : {}) };
  switch (r.outcome) {
    case 'paid': {
      const m = money(r.amount ?? 0);
      return {
        ...base, lamp: 'green', reason: 'paid', word: W.pay, amount: r.amount,
        message: c.late
          ? { vi: `Chi trả ${m.vi} (trung tâm trả lời muộn, đã xác nhận).`, en: `Pay ${m.en} (the hub's reply came late; confirmed).` }
          : { vi: `Chi trả ${m.vi}.`, en: `Pay ${m.en}.` },
      };
    }
    case 'already-paid': {
      const at = r.payment ? when(r.payment.at, c.timeZone) : undefined;
      const here = r.payment?.kiosk === c.kiosk;
      const where = r.payment ? (here ? { vi: `tại máy này (${c.kiosk})`, en: `at this kiosk (${c.kiosk})` } : { vi: `tại ${r.payment.kiosk}`, en: `at ${r.payment.kiosk}` }) : { vi: 'ở nơi khác', en: 'elsewhere' };
      return {
        ...base, lamp: 'red', reason: 'already-paid', word: W.paidBefore,
        message: { vi: `Đã chi trả ${where.vi}${at ? ` lúc ${at}` : ''}: không chi trả lần nữa.`, en: `Already paid ${where.en}${at ? ` at ${at}` : ''}: do not pay again.` },
      };
    }
    case 'other-ward': {
      // the hub names the citizen's ward (a hub before that field does not): the officer sends them there
      const vi = r.ward ? `phường/xã khác (mã ${r.ward})` : 'phường/xã khác', en = r.ward ? `another ward (${r.ward})` : 'another ward';
      return { ...base, lamp: 'red', reason: 'other-ward', word: W.noPay, message: { vi: `Trung tâm: người này đăng ký cư trú ở ${vi}: nhận hỗ trợ tại nơi cư trú, không chi trả tại đây.`, en: `The hub: this citizen is registered in ${en}: support is paid where they reside, not here.` } };
    }
    case 'not-eligible':
      return { ...base, lamp: 'red', reason: 'not-eligible', word: W.noPay, message: { vi: 'Trung tâm: không thuộc diện hưởng hỗ trợ của chương trình: không chi trả.', en: 'The hub: not eligible for this programme: not paid.' } };
    case 'programme-not-open':
      return { ...base, lamp: 'red', reason: 'programme-not-open', word: W.noPay, message: { vi: 'Trung tâm: chương trình không trong thời gian chi trả: không chi trả.', en: 'The hub: the programme is not paying now: not paid.' } };
    case 'programme-unknown':
      return { ...base, lamp: 'red', reason: 'programme-unknown', word: W.noPay, message: { vi: 'Trung tâm không có chương trình này: không chi trả; gọi kỹ thuật viên.', en: 'The hub does not know this programme: not paid; call the technician.' } };
  }
}

/** No answer from the hub: the payout waits, in words; never green. */
export function waitView(why: 'hub-offline' | 'hub-timeout', amount?: number): PayoutView {
  const m = why === 'hub-offline'
    ? { vi: 'Chưa chi trả: mất kết nối với trung tâm, vui lòng chờ. Máy gửi yêu cầu khi có kết nối; màn hình báo chi trả khi trung tâm xác nhận.', en: 'Not paid: no connection to the hub, please wait. The claim goes when the link is back; the screen says pay when the hub confirms.' }
    : { vi: 'Chưa chi trả: trung tâm chưa trả lời, vui lòng chờ. Màn hình báo chi trả khi trung tâm xác nhận.', en: 'Not paid: no reply from the hub yet, please wait. The screen says pay when the hub confirms.' };
  return { lamp: 'amber', reason: why, word: W.wait, message: m, by: 'wait', ...(amount !== undefined ? { amount } : {}) };
}

/**
 * The hub's 'paid' arrived after the screen had moved on to another scan: the money is owed to the citizen of that
 * earlier scan, not to whoever stands at the desk now. It is handed over when that citizen scans again here (the
 * kiosk resends the same claim key and the hub answers 'paid' again).
 */
export function owedView(r: ClaimResult, scanAt: number, timeZone: string): PayoutView {
  const m = money(r.amount ?? 0);
  const t = when(scanAt, timeZone);
  return {
    lamp: 'amber', reason: 'owed', word: W.wait, by: 'hub', amount: r.amount, ...(r.payment ? { payment: r.payment } : {}),
    message: { vi: `Trung tâm xác nhận muộn khoản ${m.vi} của lượt ${t}: chưa trao tiền lúc này; chi trả khi người đó quét lại tại máy này.`, en: `The hub confirmed ${m.en} for the ${t} scan late: do not pay now; pay when that citizen scans again at this kiosk.` },
  };
}

/** A claim of this kiosk the hub already answered 'paid' and the officer was told to pay: no second claim. */
export function paidHereView(payment: { kiosk: string; at: number }, kiosk: string, timeZone: string): PayoutView {
  return { ...answerView({ v: 1, key: 'x'.repeat(16), outcome: 'already-paid', payment }, { kiosk, timeZone }), by: 'local' };
}
